"""Notebook cells flagged `cuda` are skipped by `nbdev_test` but not by JupyterLab's Run All: each one checks
for a GPU itself, so a user on a CPU machine can run every cell of every notebook."""
import json
from pathlib import Path

NBS = Path(__file__).parent.parent/'nbs'


def cells_flagged(flag):
    for f in sorted(NBS.glob('*.ipynb')):
        for c in json.loads(f.read_text())['cells']:
            src = ''.join(c['source'])
            if (c['cell_type'] == 'code'
                and any(l.strip().replace(' ', '') == f'#|{flag}' for l in src.splitlines() if l.startswith('#|'))):
                yield f.name, src


def test_cuda_cells_check_for_a_gpu():
    found = list(cells_flagged('cuda'))
    assert len(found) >= 5, f"expected the device-agreement cells, found {len(found)}"
    body = lambda s: [l for l in s.splitlines() if l.strip() and not l.startswith('#|')]
    bad = [name for name, s in found if not body(s)[0].startswith('if torch.cuda.is_available():')]
    assert not bad, f"cuda cells that raise on a CPU machine under Run All: {bad}"


def test_run_notebooks_runs_the_flagged_cells(monkeypatch):
    "`tests/run_notebooks.py --flags cuda` (what `make test-cuda` runs) hands the flag to each notebook's nbdev_test."
    import importlib.util, subprocess, sys
    spec = importlib.util.spec_from_file_location('run_notebooks', Path(__file__).parent/'run_notebooks.py')
    rn = importlib.util.module_from_spec(spec); spec.loader.exec_module(rn)
    calls = []
    monkeypatch.setattr(subprocess, 'call', lambda args, **kw: calls.append(args) or 0)
    monkeypatch.setattr(sys, 'argv', ['run_notebooks.py'])
    nbs = [str(NBS/'05_sampling.ipynb'), str(NBS/'06_diffusion.ipynb')]
    assert rn.main(['--flags', 'cuda', '--jobs', '1', *nbs]) == 0
    assert sorted(a[a.index('--path') + 1] for a in calls) == sorted(str(Path(n).resolve()) for n in nbs)
    assert all(a[-2:] == ['--flags', 'cuda'] for a in calls), calls
    calls.clear(); rn.main(['--jobs', '1', nbs[0]])
    assert '--flags' not in calls[0]                                    # plain runs skip the flagged cells
    found = {name for name, _ in cells_flagged('cuda')}                  # the notebooks tests/gpu/run_cuda.sh finds
    assert {'05_sampling.ipynb', '06_diffusion.ipynb', '16a_specvqgan_pipeline.ipynb'} <= found
