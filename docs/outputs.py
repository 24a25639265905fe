"""Refresh the outputs saved in the notebooks, which the docs site shows as they are (`make outputs`).

The site never executes a notebook: a page shows what its notebook saved. When the code changes, those outputs can
go stale while every test still passes (tests run the code, not the saved text). This runs each notebook as
`nbdev_test` does (execnb, in `nbs/`, one process a notebook, cells flagged `slow` / `cuda` or `eval: false`
skipped) and replaces the outputs of every code cell that shows some; a cell that shows none stays empty (what a
page shows is the notebook author's choice). Machine paths are scrubbed as the site scrubs them
(`nbsite.scrub_paths`), object addresses dropped, and a figure drawn again with the same text beside it is kept as
it was (re-rendering a PNG changes its bytes, not what it shows).

Usage: `python docs/outputs.py [NOTEBOOK ...]` (default: every notebook of nbs/); then `make clean-nbs`.
"""
from __future__ import annotations
import json, re, subprocess, sys, tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS))
from nbsite import scrub_paths   # noqa: E402

_addr = re.compile(r' at 0x[0-9a-f]+>')
_skipped = re.compile(r'^#\|\s*(?:eval:\s*false|.*\b(?:slow|cuda)\b)', re.M)


def _src(c) -> str: return ''.join(c['source']) if isinstance(c['source'], list) else c['source']


def execute(nb_path, out_path):
    "Run the notebook `nb_path` in its folder as nbdev_test does; write the executed copy to `out_path`."
    import os
    from execnb.shell import CaptureShell
    nb_path = Path(nb_path).resolve(); nb = json.loads(nb_path.read_text())
    os.chdir(nb_path.parent)
    sh = CaptureShell()
    for c in nb['cells']:
        if c['cell_type'] != 'code' or _skipped.search('\n'.join(_src(c).splitlines()[:3])): continue
        c['outputs'] = [dict(o) for o in sh.run(_src(c))]
        if sh.exc: raise SystemExit(f"{nb_path.name}: cell {c.get('id')} failed: {sh.exc!r}")
    Path(out_path).write_text(json.dumps(nb))


def _clean_text(v) -> list:
    v = ''.join(v) if isinstance(v, list) else v
    return _addr.sub('>', scrub_paths(v)).splitlines(keepends=True)


def clean_output(o:dict) -> dict:
    "An output as a notebook keeps it: texts scrubbed of machine paths and addresses, no execution count."
    o = dict(o)
    if 'text' in o: o['text'] = _clean_text(o['text'])
    if 'data' in o: o['data'] = {k: _clean_text(v) if k.startswith('text/') else v for k, v in o['data'].items()}
    if 'execution_count' in o: o['execution_count'] = None
    return o


def _texts(outs) -> list:
    return [(''.join(o.get('text', '')), ''.join(o.get('data', {}).get('text/plain', ''))) for o in outs]


def refresh(nb:dict, ran:dict) -> int:
    "Put the outputs of `ran` (the executed copy of `nb`) into `nb`'s cells that show outputs; how many changed."
    fresh, n = {c.get('id'): c for c in ran['cells']}, 0
    for c in nb['cells']:
        fc = fresh.get(c.get('id'))
        if c['cell_type'] != 'code' or not c.get('outputs') or fc is None or _src(fc) != _src(c): continue
        new = [clean_output(o) for o in fc.get('outputs', [])]
        figure = any(k.startswith('image/') for o in c['outputs'] for k in o.get('data', {}))
        if figure and _texts(new) == _texts(c['outputs']): continue   # the same figure drawn again: kept
        if new != c['outputs']: c['outputs'], n = new, n + 1
    return n


def main(paths) -> int:
    paths = [Path(p).resolve() for p in paths] or sorted((ROOT/'nbs').glob('*.ipynb'))
    with tempfile.TemporaryDirectory() as tmp:
        for p in paths:
            ran = Path(tmp)/p.name
            r = subprocess.run([sys.executable, __file__, '--execute', str(p), str(ran)])
            if r.returncode: print(f"{p.name}: not refreshed (it failed)"); continue
            nb = json.loads(p.read_text())
            n = refresh(nb, json.loads(ran.read_text()))
            if n: p.write_text(json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + '\n')
            print(f"{p.name}: {n} cell(s) refreshed", flush=True)
    return 0


if __name__ == '__main__':
    if sys.argv[1:2] == ['--execute']: execute(*sys.argv[2:4])
    else: sys.exit(main(sys.argv[1:]))
