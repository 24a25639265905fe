"""A test run's 'auto' inference forms measure into a cache folder of the run's own (unless FOLEYBOOK_FASTPATH_CACHE
names one): the forms a run chooses never come from an earlier run, nor go into the user's cache; so do the judges it
trains (FOLEYBOOK_JUDGE_CACHE)."""
import os, shutil, tempfile

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


def pytest_unconfigure(config):
    for d in _OWN: shutil.rmtree(d, ignore_errors=True)
