"""Run every notebook's tests, each in its own `nbdev_test` process, `--jobs` at a time.

One process per notebook: nbdev_test with one worker runs every notebook in one process, where a notebook's
`@patch` or `torch.set_grad_enabled` would leak into the next ones. Two at a time use both cores of the CI
machine (each process single-threaded: OMP_NUM_THREADS=1). The slowest notebooks start first, so the last
one to finish is a short one: the order comes from `tests/notebook_seconds.json` (seconds per notebook of an
earlier run; `--record` rewrites it), unknown notebooks first. The 'auto' inference forms measure into a cache
folder of the run's own (unless FOLEYBOOK_FASTPATH_CACHE names one), shared by its notebooks and removed after:
a run's choices never come from an earlier run. FOLEYBOOK_PRECISION=fp32|bf16 in the environment pins them.

    python tests/run_notebooks.py [--jobs 2] [--record] [--flags cuda] [nbs/a.ipynb ...]

`--flags` runs the cells of those flags too (`tst_flags` of settings.ini: `slow`, `cuda`), as nbdev_test's own.
"""
import argparse, json, os, shutil, subprocess, sys, tempfile, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMES = ROOT/'tests'/'notebook_seconds.json'


def run_one(nb: Path, flags: str = '') -> tuple:
    "Test one notebook in its own process: (notebook, seconds, return code, log)."
    bin_dir = Path(sys.executable).parent
    exe = bin_dir/'nbdev_test' if (bin_dir/'nbdev_test').exists() else 'nbdev_test'
    t0 = time.time()
    with tempfile.TemporaryFile('w+') as log:
        rc = subprocess.call([str(exe), '--path', str(nb), '--n_workers', '0', *(['--flags', flags] if flags else [])],
                             stdout=log, stderr=subprocess.STDOUT,
                             cwd=ROOT,
                             env={**os.environ, 'OMP_NUM_THREADS': os.environ.get('OMP_NUM_THREADS', '1')})
        log.seek(0)
        return nb, time.time() - t0, rc, log.read()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('notebooks', nargs='*', help='default: nbs/*.ipynb')
    ap.add_argument('--jobs', type=int, default=int(os.environ.get('NBTEST_JOBS', 2)))
    ap.add_argument('--flags', default='', help="cell flags to run too, e.g. 'cuda' (nbdev_test's --flags)")
    ap.add_argument('--record', action='store_true', help=f'write the measured seconds to {TIMES.relative_to(ROOT)}')
    a = ap.parse_args(argv)
    nbs = [Path(p).resolve() for p in a.notebooks] or sorted((ROOT/'nbs').glob('*.ipynb'))
    known = json.loads(TIMES.read_text()) if TIMES.exists() else {}
    nbs.sort(key=lambda p: -known.get(p.name, float('inf')))
    t0, failed, seconds = time.time(), [], {}
    own = None if os.environ.get('FOLEYBOOK_FASTPATH_CACHE') else tempfile.mkdtemp(prefix='foleybook-fastpath-')
    if own: os.environ['FOLEYBOOK_FASTPATH_CACHE'] = own
    judges = None if os.environ.get('FOLEYBOOK_JUDGE_CACHE') else tempfile.mkdtemp(prefix='foleybook-judges-')
    if judges: os.environ['FOLEYBOOK_JUDGE_CACHE'] = judges   # the judges the notebooks train: the run's own
    pin = os.environ.get('FOLEYBOOK_PRECISION')
    if pin: print(f"FOLEYBOOK_PRECISION={pin}: every 'auto' inference form runs {pin}", flush=True)
    with ThreadPoolExecutor(max(1, a.jobs)) as ex:
        # results in start order; the notebooks run `jobs` at a time
        for nb, s, rc, log in ex.map(lambda nb: run_one(nb, a.flags), nbs):
            seconds[nb.name] = round(s)
            rel = nb.relative_to(ROOT) if nb.is_relative_to(ROOT) else nb
            if rc: failed.append(str(rel)); print(log)
            print(f"{rel}: {s:.0f} s{'  FAILED' if rc else ''}", flush=True)
    if own: shutil.rmtree(own, ignore_errors=True); del os.environ['FOLEYBOOK_FASTPATH_CACHE']
    if judges: shutil.rmtree(judges, ignore_errors=True); del os.environ['FOLEYBOOK_JUDGE_CACHE']
    print(f"{len(nbs)} notebooks, {a.jobs} at a time: {time.time() - t0:.0f} s (their sum: {sum(seconds.values())} s)")
    if a.record: TIMES.write_text(json.dumps(dict(sorted(seconds.items())), indent=1) + '\n')
    if failed: print("nbdev_test failed on: " + ' '.join(failed)); return 1
    print("nbdev_test: every notebook passed")
    return 0


if __name__ == '__main__': sys.exit(main())
