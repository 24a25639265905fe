__version__ = "0.0.2"

import warnings as _w
# fastai's import calls `torch.jit.script`, which torch 2.14 flags as deprecated with the path of the
# user's site-packages: not actionable for foleybook's users, so it is filtered here, once, by message.
_w.filterwarnings('ignore', message=r'`torch\.jit\.script` is deprecated', category=FutureWarning)
