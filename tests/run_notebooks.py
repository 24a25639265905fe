"""Run every notebook's tests, each in its own process, `--jobs` at a time.

One process per notebook: one process for all notebooks would let a notebook's `@patch` or
`torch.set_grad_enabled` leak into the next ones. Each notebook runs in a child forked from this process after it
imported the libraries every notebook imports (torch, torchaudio, fastai, matplotlib, nbdev), and librosa: about 3 CPU
seconds a notebook that a fresh `nbdev_test` process spends importing them. A failed notebook's output is printed as
it ends and its last lines again at the end, where a log's tail shows them. The child runs nbdev's own `test_nb` with
`settings.ini`'s skip flags, as `nbdev_test --path NB --n_workers 0` does. Two at a time use both cores of the CI
machine (each process single-threaded: OMP_NUM_THREADS=1). The slowest notebooks start first, so the last
one to finish is a short one: the order comes from `tests/notebook_seconds.json` (seconds per notebook of an
earlier run; `--record` rewrites it), unknown notebooks first. The 'auto' inference forms measure into a cache
folder of the run's own (unless FOLEYBOOK_FASTPATH_CACHE names one), shared by its notebooks and removed after:
a run's choices never come from an earlier run. FOLEYBOOK_PRECISION=fp32|bf16 in the environment pins them.

    python tests/run_notebooks.py [--jobs 2] [--record] [--flags cuda] [nbs/a.ipynb ...]

`--flags` runs the cells of those flags too (`tst_flags` of settings.ini: `slow`, `cuda`), as nbdev_test's own.
"""
import argparse, json, os, shutil, sys, tempfile, time, traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMES = ROOT/'tests'/'notebook_seconds.json'


def preload():
    "Import what every notebook imports, once, before the children are forked; librosa's numba kernels compiled."
    os.environ.setdefault('OMP_NUM_THREADS', '1')
    import torch, torchaudio, fastai.learner, matplotlib.pyplot, nbdev.test  # noqa: F401
    # librosa compiles its numba gufuncs as its modules import, into one cache that processes write unlocked: two
    # notebooks compiling them at once (a fresh venv) can read each other's half-written files (numba issues 10128,
    # 10434). Compiled here once, the children inherit them and neither compile nor read that cache.
    import librosa.beat, librosa.util.utils, librosa.core.audio, librosa.core.pitch, librosa.sequence  # noqa: F401


def test_one(nb: Path, flags: str = '') -> bool:
    "Test one notebook in this process as `nbdev_test --path nb --n_workers 0 [--flags flags]` does: passed?"
    from nbdev.config import get_config
    from nbdev.test import test_nb
    cfg = get_config(path=ROOT)
    os.chdir(cfg.nbs_path if cfg.nbs_path.exists() else ROOT)
    ok, _ = test_nb(Path(nb).absolute(), skip_flags=cfg.tst_flags.split(), force_flags=flags.split(),
                    basepath=cfg.config_path)
    return ok


def start(nb: Path, flags: str = '') -> tuple:
    "Fork a child that tests `nb`, its output into a temporary file: (pid, log file, start time)."
    log = tempfile.TemporaryFile('w+')
    sys.stdout.flush(); sys.stderr.flush()
    pid = os.fork()
    if pid == 0:   # the child: never returns
        code = 1
        try:
            os.dup2(log.fileno(), 1); os.dup2(log.fileno(), 2)
            code = 0 if test_one(nb, flags) else 1
        except BaseException: traceback.print_exc()
        finally:
            sys.stdout.flush(); sys.stderr.flush(); os._exit(code)
    return pid, log, time.time()


def run_all(nbs: list, jobs: int, flags: str = ''):
    "Test `nbs`, `jobs` at a time, each in a forked child: yields (notebook, seconds, return code, log) as each ends."
    pending, running = list(nbs), {}
    while pending or running:
        while pending and len(running) < max(1, jobs):
            nb = pending.pop(0); pid, log, t0 = start(nb, flags); running[pid] = (nb, log, t0)
        pid, status = os.wait()
        if pid not in running: continue
        nb, log, t0 = running.pop(pid)
        log.seek(0); text = log.read(); log.close()
        yield nb, time.time() - t0, os.waitstatus_to_exitcode(status), text


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
    preload()
    for nb, s, rc, log in run_all(nbs, a.jobs, a.flags):   # in the order they end
        seconds[nb.name] = round(s)
        rel = nb.relative_to(ROOT) if nb.is_relative_to(ROOT) else nb
        if rc: failed.append((str(rel), log)); print(log)
        print(f"{rel}: {s:.0f} s{'  FAILED' if rc else ''}", flush=True)
    if own: shutil.rmtree(own, ignore_errors=True); del os.environ['FOLEYBOOK_FASTPATH_CACHE']
    if judges: shutil.rmtree(judges, ignore_errors=True); del os.environ['FOLEYBOOK_JUDGE_CACHE']
    print(f"{len(nbs)} notebooks, {a.jobs} at a time: {time.time() - t0:.0f} s (their sum: {sum(seconds.values())} s)")
    if a.record: TIMES.write_text(json.dumps(dict(sorted(seconds.items())), indent=1) + '\n')
    for rel, log in failed: print(f"--- the end of {rel}'s output:", *log.splitlines()[-40:], sep='\n')
    if failed: print("nbdev_test failed on: " + ' '.join(rel for rel, _ in failed)); return 1
    print("nbdev_test: every notebook passed")
    return 0


if __name__ == '__main__': sys.exit(main())
