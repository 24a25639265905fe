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
