"""The suite's order (tests/conftest.py): the slowest test files and browser tests first, by tests/test_seconds.json."""
import importlib.util, re
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location('suite_conftest', ROOT/'tests'/'conftest.py')
suite = importlib.util.module_from_spec(_spec); _spec.loader.exec_module(suite)


def test_slowest_first_and_a_files_order_kept():
    ids = ['tests/test_control.py::a', 'tests/test_judge.py::x', 'tests/test_control.py::b', 'tests/new_file.py::c',
           'tests/test_control.py::c']
    items = [SimpleNamespace(nodeid=i) for i in ids]
    suite.pytest_collection_modifyitems(None, items)
    assert suite.SECONDS['tests/test_judge.py'] > suite.SECONDS['tests/test_control.py'] > 0
    assert [i.nodeid for i in items] == ['tests/test_judge.py::x', 'tests/test_control.py::a',
                                         'tests/test_control.py::b', 'tests/test_control.py::c', 'tests/new_file.py::c']


def test_browser_tests_by_their_own_seconds():
    slow, fast = (f'tests/browser/test_browser.py::test_sampler_in_jupyterlab[{n}]'
                  for n in ('13h_timing_control', '00d_display'))
    items = [SimpleNamespace(nodeid=i) for i in (fast, 'tests/browser/test_browser.py::test_docs_site', slow)]
    suite.pytest_collection_modifyitems(None, items)
    assert [i.nodeid for i in items][0] == slow and items[-1].nodeid == fast


def test_every_entry_names_a_test_that_exists():
    for key in suite.SECONDS:
        f, _, test = key.partition('::')
        assert (ROOT/f).is_file(), f"tests/test_seconds.json: {key}: no such file"
        if test:
            name = test.split('[')[0]
            assert re.search(rf'^def {name}\(', (ROOT/f).read_text(), re.M), f"{key}: no test {name} in {f}"
            if (nb := re.search(r'\[(\w+)\]$', test)):
                assert (ROOT/'nbs'/f'{nb.group(1)}.ipynb').is_file(), f"{key}: no notebook {nb.group(1)}"
