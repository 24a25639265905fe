"Training output when stdout is not a terminal (a log file, a pipe): one line per epoch, no progress-bar redraws."
import os, subprocess, sys, textwrap
from pathlib import Path

SCRIPT = textwrap.dedent('''
    import torch
    from torch import nn
    from fastai.basics import Learner, DataLoaders, MSELossFlat
    from foleybook.train.checkpoint import progress
    from foleybook.train.settings import fit_pretrained
    from foleybook.core import FoleyConfig, Pretrained
    from dataclasses import dataclass

    @dataclass
    class TinyConfig(FoleyConfig): hidden: int = 8

    class Tiny(Pretrained, nn.Module):
        config_class = TinyConfig
        def __init__(self, config): super().__init__(); self.config = config; self.l = nn.Linear(4, 1)
        def forward(self, x): return self.l(x)

    g = torch.Generator().manual_seed(0)
    x = torch.randn(400, 4, generator=g); items = list(zip(x, x.sum(1, keepdim=True)))
    dls = DataLoaders.from_dsets(items[:320], items[320:], bs=8, device='cpu', num_workers=0)
    learn = Learner(dls, Tiny(TinyConfig()), loss_func=MSELossFlat())
    fit_pretrained(learn, OUT, epochs=4, lr=1e-2)
    print(sum(progress(range(1000))))
''')

def test_one_line_per_epoch_when_piped(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    r = subprocess.run([sys.executable, '-c', f'OUT = {str(tmp_path/"run")!r}\n' + SCRIPT], capture_output=True,
                       text=True,
                       env=env, timeout=300, cwd=Path(__file__).parent.parent)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert '\r' not in r.stdout and '█' not in r.stdout, r.stdout[:500]
    assert lines[0].split() == ['epoch', 'train_loss', 'valid_loss', 'time'], lines
    assert [l.split()[0] for l in lines[1:5]] == ['0', '1', '2', '3'], lines
    assert lines[5:] == ['499500'], lines                    # the generation-loop progress drew nothing
    assert len(r.stdout) < 1000
    assert (tmp_path/'run'/'final'/'model.safetensors').is_file()
