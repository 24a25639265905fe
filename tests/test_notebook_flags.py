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


def test_run_notebooks_runs_the_flagged_cells(monkeypatch, tmp_path):
    ("`tests/run_notebooks.py --flags cuda` (what `make test-cuda` runs) hands the flag to each notebook's test, each "
     "in a forked child whose failure fails the run.")
    import importlib.util, sys
    spec = importlib.util.spec_from_file_location('run_notebooks', Path(__file__).parent/'run_notebooks.py')
    rn = importlib.util.module_from_spec(spec); spec.loader.exec_module(rn)
    calls = tmp_path/'calls.txt'
    def fake(nb, flags=''):   # runs in the child: what it was asked, written where the parent reads it
        with open(calls, 'a') as f: f.write(f"{nb}|{flags}\n")
        return 'fail' not in str(flags)
    monkeypatch.setattr(rn, 'test_one', fake)
    monkeypatch.setattr(rn, 'preload', lambda: None)
    monkeypatch.setattr(sys, 'argv', ['run_notebooks.py'])
    nbs = [str(NBS/'05_sampling.ipynb'), str(NBS/'06_diffusion.ipynb')]
    assert rn.main(['--flags', 'cuda', '--jobs', '2', *nbs]) == 0
    got = [l.split('|') for l in calls.read_text().splitlines()]
    assert sorted(n for n, _ in got) == sorted(str(Path(n).resolve()) for n in nbs)
    assert all(f == 'cuda' for _, f in got), got
    calls.unlink(); assert rn.main(['--jobs', '1', nbs[0]]) == 0
    assert calls.read_text().splitlines() == [f"{Path(nbs[0]).resolve()}|"]   # plain runs skip the flagged cells
    assert rn.main(['--jobs', '1', '--flags', 'fail', nbs[0]]) == 1          # a child's failure is the run's
    found = {name for name, _ in cells_flagged('cuda')}                  # the notebooks tests/gpu/run_cuda.sh finds
    assert {'05_sampling.ipynb', '06_diffusion.ipynb', '16a_specvqgan_pipeline.ipynb'} <= found
