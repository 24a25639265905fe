"""The research stays out of the library: no package module, notebook code cell or docs script loads a file or a module
of `research/` or `bench/` (chapters quote what those scripts measured from `nbs/results`; prose may name them)."""
import json, re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# a path string into either folder, a sys.path entry for one, an import of one of their scripts, runpy
LOADS = re.compile(r"""['"](?:\.\./)*(?:research|bench)/|/\s*['"](?:research|bench)['"]"""
                   r"""|sys\.path.*\b(?:research|bench)\b|\brunpy\b|^\s*(?:import|from)\s+(?:bench|research)\b""")


def loads(code:str) -> list:
    "The lines of `code` (comments left out) that load something of `research/` or `bench/`."
    return [line.strip() for line in code.splitlines() if LOADS.search(line.split('#')[0])]


def test_the_check_sees_a_load():
    assert loads("r = json.loads(Path('../research/x.json').read_text())") != []
    assert loads("sys.path.insert(0, str(ROOT/'bench')); import judge_seeds") != []
    assert loads("exec(open('bench/solvers_speed.py').read())") != [] and loads("from bench import x") != []
    assert loads("p = sub.add_parser('bench', help='run the benchmark')  # see bench/bench_demo.py") == []


def test_nothing_in_the_library_loads_research_or_bench():
    found = []
    for p in sorted((ROOT/'nbs').glob('*.ipynb')):
        for i, c in enumerate(json.loads(p.read_text())['cells']):
            if c['cell_type'] == 'code':
                found += [f"{p.name} cell {i}: {line}" for line in loads(''.join(c['source']))]
    for p in [*sorted((ROOT/'foleybook').rglob('*.py')), *sorted((ROOT/'docs').glob('*.py'))]:
        found += [f"{p.relative_to(ROOT)}: {line}" for line in loads(p.read_text())]
    assert not found, 'loads research/ or bench/:\n' + '\n'.join(found)
