"""nbdev's notebook processing for the docs (`nbsite.py`), with every worker holding the whole package first.

nbdev's pool reuses its workers, and a notebook's exported cells, run again for the docs, register its trainers in the
worker's registries (`foleybook.train.trainers.TRAINERS`) when the package's own module has not been imported there
yet; a later notebook in that worker then met the notebook's copy, and the build depended on how the notebooks fell to
the workers. Each worker here imports every module of the package first (`foleybook.pretrained.discover`), so the
package's entries are always there and a notebook's copy never replaces them (`trainer`'s rule), whatever the order. A
failing notebook is summed up in one line (its exception lines) after the tracebacks. nbdev runs every cell with an
import for the docs and warns when such a cell holds other code; an optional import's fallback (`try: import X` /
`except ImportError: X = None`) is an import here (`imports_only`), so only cells that mix in other code warn.

    python docs/nbproc.py NBS_DIR [N_WORKERS]   (run in the folder holding settings.ini)
"""
import ast, concurrent.futures as cf, multiprocessing as mp, re, sys, traceback, warnings
from pathlib import Path
import nbdev.doclinks, nbdev.serve as serve   # doclinks first, as nbdev's own docs command
import nbdev.processors as processors


def _fallback(node) -> bool:
    "`try: import X` with `except ImportError: X = None` (an optional dependency): an import, not other code."
    return (isinstance(node, ast.Try) and all(isinstance(n, (ast.Import, ast.ImportFrom)) for n in node.body)
            and all(isinstance(n, (ast.Import, ast.ImportFrom, ast.Assign)) for h in node.handlers for n in h.body))


def imports_only(source: str) -> bool:
    "Whether a cell holds imports and optional-dependency fallbacks only (nbdev runs such cells for the docs)."
    try: tree = ast.parse(source)
    except SyntaxError: return False
    return all(isinstance(n, (ast.Import, ast.ImportFrom)) or _fallback(n) for n in tree.body)


_do_eval = processors._do_eval
def _do_eval_quiet(cell):
    ("nbdev's choice of the cells it runs, without its 'imports and other code' warning for a cell whose other code is "
     "an optional import's fallback.")
    with warnings.catch_warnings():
        if imports_only(cell.source): warnings.filterwarnings('ignore', 'Found cells containing imports')
        return _do_eval(cell)
processors._do_eval = _do_eval_quiet


def load_package():
    "Import every module of foleybook, so that its registries hold the package's entries."
    from foleybook.pretrained import discover
    discover()


def _name(item) -> str: return Path(item[0] if isinstance(item, tuple) else item).name


def _summary(e: BaseException) -> str:
    "The exception lines of `e` and of the worker's traceback it carries (not the frames)."
    c = e.__cause__   # a worker's: its traceback as text; this process's: the exception
    if type(c).__name__ == '_RemoteTraceback': text = str(c)
    else: text = ''.join(traceback.format_exception_only(c)) if c else ''
    lines = f"{text}\n{type(e).__name__}: {e}".splitlines()
    keep = dict.fromkeys(l for l in lines if re.match(r'([A-Za-z_][\w.]*)?(Error|Exception|Exit|Interrupt)\b', l))
    return ' | '.join(keep)[:2000]


def pooled(f, items, n_workers=1, **kwargs):
    "`fastcore.parallel`'s job for `proc_nbs`: `f` on each of `items` in `n_workers` spawned processes (0: this one)."
    bad = []
    if n_workers:
        with cf.ProcessPoolExecutor(n_workers, mp_context=mp.get_context('spawn'), initializer=load_package) as ex:
            for item, fut in [(it, ex.submit(f, it)) for it in items]:
                try: fut.result()
                except Exception as e: bad.append((item, e))
    else:
        load_package()
        for item in items:
            try: f(item)
            except Exception as e: bad.append((item, e))
    for item, e in bad: print(f"nbproc: {_name(item)} failed: {_summary(e)}", file=sys.stderr)
    if bad: sys.exit(1)


if __name__ == '__main__':
    serve.parallel = pooled
    serve.proc_nbs(sys.argv[1], n_workers=int(sys.argv[2]) if len(sys.argv) > 2 else 2, force=True)
