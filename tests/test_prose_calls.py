"""Every call the notebooks' prose cites runs: a backticked `name(arguments)` in a markdown cell that names a foleybook
function (or class, or method of one) binds its arguments to that function's signature, keywords included, and a
trainer's entry (`train_diffwave(...)`) resolves its keys as the trainer would. Pseudo-code that is not a Python call,
and names foleybook does not define (or defines more than once), are not checked."""
import ast, inspect, json, re, sys
from pathlib import Path
import pytest
from foleybook.core import FoleyError
from foleybook.pretrained import discover

NBS = Path(__file__).resolve().parents[1]/'nbs'
CALL = re.compile(r'`([A-Za-z_][\w.]*\([^`]*\))`')


def cited_calls():
    "(notebook, call text) of every backticked call in the notebooks' markdown cells."
    for nb in sorted(NBS.glob('*.ipynb')):
        for c in json.loads(nb.read_text())['cells']:
            if c['cell_type'] == 'markdown':
                for m in CALL.finditer(''.join(c['source'])): yield nb.name, m.group(1)


def _names() -> dict:
    "Every public name of foleybook's modules -> the distinct objects it names."
    discover()
    out = {}
    for name, mod in list(sys.modules.items()):
        if name.startswith('foleybook.') and not name.endswith('_modidx'):
            for k in getattr(mod, '__all__', []):
                if hasattr(mod, k): out.setdefault(k, {})[id(getattr(mod, k))] = getattr(mod, k)
    return {k: list(v.values()) for k, v in out.items()}


def _target(func:ast.expr, names:dict):
    "The object a call's function names (a name, or Class.method), or None when it is not one foleybook object."
    parts = []
    while isinstance(func, ast.Attribute): parts.insert(0, func.attr); func = func.value
    if not isinstance(func, ast.Name): return None
    found = names.get(func.id, [])
    if len(found) != 1: return None
    obj = found[0]
    for p in parts:
        if not hasattr(obj, p): return None
        obj = getattr(obj, p)
    return obj if callable(obj) else None


def _check(text:str, names:dict):
    "None when the call binds (or is not checked), else why it does not."
    try: call = ast.parse(text, mode='eval').body
    except SyntaxError: return None
    if not isinstance(call, ast.Call): return None
    pseudo = lambda a: isinstance(a, ast.Starred) or (isinstance(a, ast.Constant) and a.value is Ellipsis)   # f(...)
    if any(pseudo(a) for a in call.args) or any(k.arg is None for k in call.keywords): return None
    obj = _target(call.func, names)
    if obj is None: return None
    kw = {k.arg: k.value for k in call.keywords}
    spec = getattr(obj, 'spec', None)
    if spec is not None and type(spec).__name__ == 'TrainerSpec':   # a trainer's entry: its keys are the trainer's
        from foleybook.train.trainers import resolve, SHORTCUTS
        skip = ('resume', 'quiet', 'cbs', 'log', 'out', 'preset')
        try: keys = {k: ast.literal_eval(v) for k, v in kw.items() if k not in skip}
        except ValueError: return None
        settings = {k: keys.pop(k) for k in SHORTCUTS if k in keys}
        try: resolve(spec, settings=settings, **keys)
        except FoleyError as e: return str(e)
        return None
    try: sig = inspect.signature(obj)
    except (TypeError, ValueError): return None
    try: sig.bind_partial(*([None] * len(call.args)), **{k: None for k in kw})
    except TypeError as e: return str(e)
    return None


def test_every_cited_call_binds():
    names = _names()
    calls = list(cited_calls())
    assert len(calls) > 50
    bad = [(nb, text, why) for nb, text in calls if (why := _check(text, names))]
    assert not bad, '\n'.join(f"{nb}: `{t}`: {w}" for nb, t, w in bad)


def test_it_catches_a_stale_call():
    names = _names()
    assert "unknown key 'one_cycle'" in _check("train_diffwave(one_cycle=True)", names)
    assert _check("seed_everything(0, colour=3)", names) is not None   # a keyword the function does not take
    assert _check("seed_everything(0)", names) is None
    assert _check("seed_everything(...)", names) is None                 # pseudo-code: not checked
