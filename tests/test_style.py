"""Lines of at most 120 characters where ruff (`make lint`, ruff.toml) does not look: the notebooks' markdown cells,
README.md, and the exported package (ruff lints the notebooks' code cells it comes from; this also covers the lines
nbdev writes itself). A notebook's one-line description, the `> ` line of its title cell, is held to the limit twice:
as a markdown line, and as the module docstring nbdev copies it into, the module's first line (so at most 114
characters between the quotes). Exempt, each by an explicit rule: a markdown table row (a row cannot be broken), a
line whose last word is a URL starting within the limit (as ruff's E501), and the `__all__` lines of a module, which
nbdev wraps itself (at 120 characters before it puts `__all__ = ` in front, at 160 when a second notebook exports
into the module)."""
import json, re, subprocess, sys, unicodedata
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 120


def width(line:str) -> int:
    "The line's width in columns as ruff counts it (wide East Asian characters take two, a tab four)."
    return sum(2 if unicodedata.east_asian_width(ch) in 'WF' else 4 if ch == '\t' else 1 for ch in line)


def exempt_md(line:str) -> bool:
    "Whether a long markdown line is exempt: a table row, a line ending in a URL."
    s = line.strip()
    if s.startswith('|'): return True
    last = s.split()[-1] if s else ''
    return '://' in last and width(line[:line.rfind(last)]) < LIMIT


def long_md_lines(text:str) -> list:
    "(line number, width) of each markdown line over the limit that no rule exempts."
    return [(i, width(l)) for i, l in enumerate(text.splitlines(), 1) if width(l) > LIMIT and not exempt_md(l)]


def long_py_lines(text:str) -> list:
    "(line number, width) of each line of an exported module over the limit, but the `__all__` lines nbdev wraps."
    lines, res, in_all = text.splitlines(), [], False
    for i, l in enumerate(lines, 1):
        in_all = l.startswith('__all__') or (in_all and l.startswith(' '))   # nbdev's own wrapping of __all__
        if width(l) > LIMIT and not in_all: res.append((i, width(l)))
    return res


def test_checks_fail_on_long_lines():
    "The checks flag a line of 121 characters and exempt only what the rules name."
    long = 'word ' * 24 + 'w'
    assert width(long) == 121 and long_md_lines(long) == [(1, 121)] and long_md_lines('x' * 120) == []
    assert long_md_lines('| ' + long + ' |') == []                                    # a table row
    assert long_md_lines('# Title\n\n> ' + long) == [(3, 123)]                       # a title cell's description
    assert long_md_lines('see https://example.org/' + 'a' * 120) == []                 # a URL that cannot be broken
    assert long_md_lines('x' * 119 + ' https://example.org/a') == [(1, 141)]           # the URL starts too late
    assert width('音' * 61) == 122 and long_md_lines('音' * 61) == [(1, 122)]
    assert long_py_lines(f'"""{long}"""\n\nx = 1\ny = "{long}"') == [(1, 127), (4, 127)]   # the docstring too
    assert long_py_lines(f'"""{"d" * 114}"""\n\nx = 1') == []                          # a description that fits
    assert long_py_lines(f"__all__ = ['a',\n           '{long}']\nz = '{long}'") == [(3, 127)]


def test_markdown_cells():
    "Every notebook's markdown cells: lines of at most 120 characters."
    bad = []
    for p in sorted((ROOT/'nbs').glob('*.ipynb')):
        cells = json.loads(p.read_text())['cells']
        for k, c in enumerate(cells):
            if c['cell_type'] != 'markdown': continue
            bad += [f'{p.name} cell {k} line {i}: {w} characters' for i, w in long_md_lines(''.join(c['source']))]
    assert not bad, f'{len(bad)} markdown lines over {LIMIT} characters:\n' + '\n'.join(bad)


def test_readme():
    "README.md (generated from nbs/index.ipynb): lines of at most 120 characters."
    assert long_md_lines((ROOT/'README.md').read_text()) == []


def test_exported_package():
    "The exported modules (ruff lints the code cells they come from; this also covers what nbdev adds)."
    bad = [f'{p.relative_to(ROOT)} line {i}: {w} characters' for p in sorted((ROOT/'foleybook').rglob('*.py'))
           if p.name != '_modidx.py' for i, w in long_py_lines(p.read_text())]
    assert not bad, '\n'.join(bad)


def test_ruff_flags_long_lines(tmp_path):
    "ruff with the project's ruff.toml fails on a 121-character line in a module and in a notebook's code cell."
    pytest.importorskip('ruff')   # the dev requirements install it; `make lint` runs it over the repository
    (tmp_path/'ruff.toml').write_text((ROOT/'ruff.toml').read_text())
    (tmp_path/'ok.py').write_text(f"s = '{'a' * 114}'\n")                     # 120 characters
    (tmp_path/'m.py').write_text(f"s = '{'a' * 115}'\n")                      # 121
    cell = {'cell_type': 'code', 'execution_count': None, 'id': 'a', 'metadata': {}, 'outputs': [],
            'source': [f"t = '{'b' * 115}'"]}
    (tmp_path/'n.ipynb').write_text(json.dumps({'cells': [cell], 'metadata': {}, 'nbformat': 4, 'nbformat_minor': 5}))
    run = lambda *a: subprocess.run([sys.executable, '-m', 'ruff', 'check', '--no-cache', '--output-format', 'concise',
                                     *a], cwd=tmp_path, capture_output=True, text=True)
    assert run('ok.py').returncode == 0
    r = run('.')
    assert r.returncode == 1 and re.search(r'm\.py:1:\d+: E501', r.stdout) and re.search(r'n\.ipynb:cell 1:1:\d+: E501',
                                                                                          r.stdout), r.stdout
