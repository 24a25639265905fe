"""A test run's 'auto' inference forms measure into a cache folder of the run's own (unless FOLEYBOOK_FASTPATH_CACHE
names one): the forms a run chooses never come from an earlier run, nor go into the user's cache; so do the judges it
trains (FOLEYBOOK_JUDGE_CACHE). The slowest test files start first (tests/test_seconds.json, with pytest-xdist's
`--no-loadscope-reorder`), so that no long file is left to run alone at the end."""
import json, os, shutil, tempfile
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


def pytest_unconfigure(config):
    for d in _OWN: shutil.rmtree(d, ignore_errors=True)


# seconds per test file, or per test where a file's tests are spread over the workers (the browser tests), from a
# run with --durations=0 (setup, call and teardown); what is not listed counts as 0
SECONDS = json.loads((Path(__file__).parent/'test_seconds.json').read_text())


def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda it: -SECONDS.get(it.nodeid, SECONDS.get(it.nodeid.split('::')[0], 0)))   # stable
