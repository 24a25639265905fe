"""A test run's 'auto' inference forms measure into a cache folder of the run's own (unless FOLEYBOOK_FASTPATH_CACHE
names one): the forms a run chooses never come from an earlier run, nor go into the user's cache; so do the judges it
trains (FOLEYBOOK_JUDGE_CACHE). Each process imports librosa once, one process at a time."""
import fcntl, os, shutil, tempfile
from pathlib import Path

_OWN = []


def pytest_configure(config):
    config.addinivalue_line('markers', "precision: depends on the inference form 'auto' runs (`make test` reruns these "
                                       "with FOLEYBOOK_PRECISION=fp32 and =bf16)")
    if not os.environ.get('FOLEYBOOK_FASTPATH_CACHE'):
        _OWN.append(tempfile.mkdtemp(prefix='foleybook-fastpath-'))
        os.environ['FOLEYBOOK_FASTPATH_CACHE'] = _OWN[-1]
    if not os.environ.get('FOLEYBOOK_JUDGE_CACHE'):   # the judges a run trains: its own, not the user's
        _OWN.append(tempfile.mkdtemp(prefix='foleybook-judges-'))
        os.environ['FOLEYBOOK_JUDGE_CACHE'] = _OWN[-1]
    # librosa compiles its numba gufuncs into one unlocked cache as its modules import: processes doing so at once
    # (the xdist workers in a fresh venv) can crash on each other's half-written files (numba issues 10128, 10434);
    # one at a time, the first compiles and the others load
    with open(Path(tempfile.gettempdir())/'foleybook-librosa-import.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        import librosa.beat, librosa.util.utils, librosa.core.audio, librosa.core.pitch, librosa.sequence  # noqa: F401


def pytest_unconfigure(config):
    for d in _OWN: shutil.rmtree(d, ignore_errors=True)
