"""Build foleybook's static docs site from its notebooks without Quarto.

nbdev renders docs with Quarto, which cannot be installed everywhere. This module takes the
notebooks nbdev has processed for Quarto (`nbdev.serve.proc_nbs`: `show_doc` cells added and run,
frontmatter as a raw cell, `#|` directives kept) and turns them into plain, valid notebooks that
Sphinx + myst-nb render as they are (outputs saved in the notebooks are shown, nothing is
executed again):

- the raw frontmatter cell becomes a `# title` heading and the description under it, and the
  page is named after nbdev's `output-file` (`00_audio_features.ipynb` -> `audio_features`);
- `#| echo: false`, `#| output: false`, `#| include: false` become the myst-nb cell tags
  `remove-input`, `remove-output`, `remove-cell`, and every `#|` line leaves the shown code;
- Pandoc attributes such as `{target="_blank" style=...}` and the `[source](...)` links of
  `show_doc` (they point at a git host) are dropped; nbdev's absolute links between pages
  (`/core.html#foleyconfig`) become links between the Sphinx pages, to the heading when it exists;
- nbdev inserts the `show_doc` cells of one exported cell in reverse order: they are put back in
  source order;
- `show_doc` signatures lose docments' `:NoneType` guess for unannotated `None` defaults, and
  saved outputs lose machine paths (`scrub_paths`: the checkout, temp and home folders);
- images under `docs/_static` that notebooks show with `../docs/_static/...` point at the site's `_static/`;
- widget views (which need a live kernel) are dropped, and the cell metadata key `execution`
  (nbdev writes floats there, which is not valid nbformat) is deleted;
- the index page gets the sidebar: one toctree per role (`ROLES`: foundations, data, training, ...,
  CLI and recipes), each captioned, its pages in notebook order; a notebook's role is that of the
  module it exports (`role_of`), or of its chapter number when it exports none.

Then `sphinx-build -W` writes the HTML, and README.md is regenerated from the index page.

Usage: `python docs/nbsite.py build [OUT]` (`make docs`), or `build_site(out)` from Python.
"""
from __future__ import annotations
import argparse, hashlib, json, re, shutil, subprocess, sys, tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent

_re_directive = re.compile(r'^\s*#\|\s*([\w-]+)\s*:?\s*(.*?)\s*$')
_re_attrs = re.compile(r'\{(?:target|style|\.)[^{}\n]*\}')
_re_source = re.compile(r'\[source\]\([^)]*\)\s*')
_re_page_link = re.compile(r'\[([^\]\n]*)\]\(/([\w.-]+)\.html(?:#([^)\s]*))?\)')
_re_local_link = re.compile(r'\[([^\]\n]*)\]\([\w.-]+\.ipynb(?:#[^)\s]*)?\)')
_re_nb_link = re.compile(r'\]\(([\w.-]+)\.ipynb(#[^)\s]*)?\)')   # a link to a notebook of nbs/, by its file name
_re_rule = re.compile(r'^\s*---\s*$', re.M)
_re_nonetype = re.compile(r'\b(\w+):NoneType=None\b')   # docments' guess for an unannotated `None` default
_re_tmp = re.compile(r'(?<![\w.])/(?:private/)?(?:tmp|var/tmp|var/folders/[^/\s\'"]+/[^/\s\'"]+/T)/[\w.@-]+')
# any checkout of the repo
_re_checkout = re.compile(r'(?<![\w.])/[^\s\'"()]*?/(?=(?:foleybook|nbs|tests|docs)/[\w/]*\.(?:py|ipynb)\b)')
_re_home = re.compile(r'(?<![\w.])/(?:home/[^/\s\'"]+|root|Users/[^/\s\'"]+)(?=/)')
_re_pkgs = re.compile(r'(?<![\w.])[^\s\'"(]*/(?:site|dist)-packages/')
_re_static = re.compile(r'(\]\(|src=["\'])\.\./docs/_static/')    # notebook-relative images of docs/_static
_tags = {('echo', 'false'): 'remove-input', ('output', 'false'): 'remove-output', ('include', 'false'): 'remove-cell'}
_widget_mimes = ('application/vnd.jupyter.widget-view+json', 'application/vnd.jupyter.widget-state+json')


def _src(cell) -> str:
    s = cell.get('source', '')
    return ''.join(s) if isinstance(s, list) else s


def parse_frontmatter(text: str) -> dict:
    "The `key: value` pairs of a Quarto frontmatter block (values may wrap onto indented lines)."
    d, key = {}, None
    for line in text.strip().strip('-').strip().splitlines():
        m = re.match(r'^([\w-]+):\s*(.*)$', line)
        if m: key = m[1]; d[key] = m[2].strip()
        elif key and line.startswith(' '): d[key] += ' ' + line.strip()
    return {k: v[1:-1].replace("''", "'") if len(v) > 1 and v[0] == v[-1] and v[0] in '\'"' else v for k,
            v in d.items()}


def slugify(heading: str) -> str:
    "The anchor myst-parser gives a heading (GitHub style)."
    s = re.sub(r'[^\w\- ]', '', heading.strip().lower())
    return s.replace(' ', '-')


def page_name(nb_path: Path, front: dict) -> str:
    "The Sphinx docname of a notebook: its nbdev `output-file` without `.html`."
    out = front.get('output-file')
    return Path(out).stem if out else nb_path.stem


def _headings(nb: dict) -> set:
    "The myst anchors of every heading of `nb`'s page: markdown cells and `show_doc` outputs."
    texts = [_src(c) for c in nb['cells'] if c['cell_type'] == 'markdown']
    for c in nb['cells']:
        if c['cell_type'] != 'code' or not _is_asis_doc(c): continue
        for o in c.get('outputs', []):
            md = o.get('data', {}).get('text/markdown')
            if md: texts.append(''.join(md) if isinstance(md, list) else md)
    return {slugify(m[1]) for t in texts for m in re.finditer(r'^#{1,6}\s+(.+?)\s*$', t, re.M)}


def fix_links(text: str, anchors: dict, pages: dict = None) -> str:
    ("Drop `show_doc` source links and Pandoc attributes; point nbdev page links and links to a source notebook "
     "(`00_architecture.ipynb`, `pages`: its page name) at Sphinx pages.")
    text = _re_source.sub('', text)
    text = _re_attrs.sub('', text)
    if pages: text = _re_nb_link.sub(lambda m: f"]({pages.get(m[1], m[1])}.ipynb{m[2] or ''})", text)
    def page(m):
        text, name, anchor = m[1], m[2], m[3]
        if name not in anchors: return text  # not one of our pages: keep the words, drop the link
        slug = slugify(anchor.replace('.', '')) if anchor else ''
        return f'[{text}]({name}.ipynb#{slug})' if slug in anchors[name] else f'[{text}]({name}.ipynb)'
    return _re_page_link.sub(page, text)


# embedded files (players' audio, images)
_re_data = re.compile(r'(data:[\w/.+-]+(?:;[\w=.-]+)*;base64,[A-Za-z0-9+/=\s]+)')

def scrub_paths(text: str, root=None) -> str:
    ("Machine paths out of saved outputs: any checkout of the repository (-> relative), temp dirs (-> `/tmp/…`), home "
     "dirs (-> `~`), installed packages; embedded base64 data is left as it is.")
    if _re_data.search(text):   # base64 is full of '/': the path patterns would be slow on it and could change it
        return ''.join(part if i % 2 else scrub_paths(part, root) for i, part in enumerate(_re_data.split(text)))
    if root: text = text.replace(str(root).rstrip('/') + '/', '')
    text = _re_checkout.sub('', text)
    text = _re_tmp.sub('/tmp/…', text)
    text = _re_pkgs.sub('…/', text)
    return _re_home.sub('~', text)


def _is_asis_doc(cell) -> bool:
    "Is `cell` a hidden-input cell whose output is markdown to be shown as is (what `show_doc` cells are)?"
    src = _src(cell)
    return ('#| output: asis' in src and '#| echo: false' in src
            and any('text/markdown' in o.get('data', {}) for o in cell.get('outputs', [])))


def _doc_line(cell):
    "The source line a `show_doc` output links to (nbdev inserts them in reverse order)."
    md = ''.join(''.join(v) if isinstance(v, list) else v for o in cell.get('outputs', []) for k,
                 v in o.get('data', {}).items() if k == 'text/markdown')
    m = re.search(r'\[source\]\([^)]*#L(\d+)\)', md)
    return int(m[1]) if m else None


def source_order(cells: list) -> list:
    "Put each run of consecutive `show_doc` cells back in the order their objects stand in the source."
    out, run = [], []
    def flush():
        lines = [_doc_line(c) for c in run]
        out.extend(run if None in lines else [c for _, c in sorted(zip(lines, run), key=lambda t: t[0])])
        run.clear()
    for c in cells:
        if c['cell_type'] == 'code' and _is_asis_doc(c): run.append(c)
        else: flush(); out.append(c)
    flush()
    return out


def convert_nb(nb: dict, anchors: dict, pages: dict = None) -> dict:
    "A processed nbdev notebook made valid for myst-nb (see the module docstring)."
    cells = []
    for cell in source_order(nb['cells']):
        src = _src(cell)
        if cell['cell_type'] == 'raw' and src.strip().startswith('---'):
            fm = parse_frontmatter(src)
            head = f"# {fm.get('title', 'Untitled')}"
            if fm.get('description'): head += f"\n\n*{fm['description']}*"
            cells.append(dict(cell_type='markdown', metadata={}, source=head))
            continue
        if cell['cell_type'] == 'markdown':
            if src.startswith('<!-- WARNING: THIS FILE WAS AUTOGENERATED'): continue
            cells.append(dict(cell_type='markdown', metadata={},
                              source=_re_static.sub(r'\1_static/', fix_links(src, anchors, pages))))
            continue
        if cell['cell_type'] != 'code': continue
        if _is_asis_doc(cell):  # a `show_doc` cell: its markdown becomes page text, so its headings get anchors
            md = next(''.join(v) if isinstance(v, list) else v for o in cell['outputs'] for k,
                      v in o.get('data', {}).items() if k == 'text/markdown')
            cells.append(dict(cell_type='markdown', metadata={},
                              source=_re_nonetype.sub(r'\1=None', fix_links(_re_rule.sub('', md), anchors))))
            continue
        tags, keep = [], []
        for line in src.splitlines():
            m = _re_directive.match(line)
            if m:
                tag = _tags.get((m[1], m[2].lower()))
                if tag: tags.append(tag)
            else: keep.append(line)
        outputs = []
        for o in cell.get('outputs', []):
            o = dict(o)
            txt = lambda v: scrub_paths(''.join(v) if isinstance(v, list) else v, ROOT)
            if 'data' in o:
                if any(k in o['data'] for k in _widget_mimes): continue
                o['data'] = {k: (fix_links(txt(v), anchors) if k == 'text/markdown' else txt(v) if k.startswith('text/')
                                 else v)
                             for k, v in o['data'].items()}
            if 'text' in o: o['text'] = txt(o['text'])
            if 'traceback' in o: o['traceback'] = [txt(t) for t in o['traceback']]
            if o.get('output_type') in ('execute_result', 'display_data'): o.setdefault('metadata', {})
            if o.get('output_type') == 'execute_result': o['execution_count'] = None
            outputs.append(o)
        meta = {k: v for k, v in cell.get('metadata', {}).items() if k not in ('execution', 'tags')}
        if tags: meta['tags'] = sorted(set(tags))
        cells.append(dict(cell_type='code', metadata=meta, source='\n'.join(keep).strip('\n'),
                          outputs=outputs, execution_count=None))
    for i, c in enumerate(cells): c['id'] = f'cell-{i}'
    meta = {k: v for k, v in nb.get('metadata', {}).items() if k in ('kernelspec', 'language_info')}
    meta.setdefault('kernelspec', dict(name='python3', display_name='Python 3', language='python'))
    return dict(cells=cells, metadata=meta, nbformat=4, nbformat_minor=5)


ROLES = [('Foundations', ()), ('Data', ('data',)), ('Training', ('train',)), ('Vocoders', ('vocoders',)),
         ('Codecs', ('codecs',)), ('Priors', ('priors',)), ('Diffusion', ('diffusion',)),
         # the sidebar's captions, in order: the card's, the CLI and then the systems, each in its home
         ('Evaluation', ('eval',)), ('CLI and recipes', ('cli', 'commands', 'recipes')),
         ('Systems', ('generators', 'systems'))]
CHAPTER_ROLES = {'00': 'Foundations', '01': 'Data', '02': 'Training', '03': 'Vocoders', '04': 'Codecs', '05': 'Priors',
                 '06': 'Diffusion', '07': 'Diffusion', '08': 'Codecs', '09': 'Priors', '10': 'Diffusion',
                 '11': 'Priors',
                 '12': 'Evaluation', '13': 'CLI and recipes', '14': 'Systems', '15': 'Systems', '16': 'Systems',
                 '17': 'Systems', '18': 'Systems'}   # the role of a notebook that exports no module
_re_default_exp = re.compile(r'^#\|\s*default_exp\s+(\S+)', re.M)


def exported_module(nb: dict):
    "The module a notebook exports to (its `#| default_exp`, without the package), or None."
    for c in nb.get('cells', []):
        m = _re_default_exp.search(_src(c)) if c.get('cell_type') == 'code' else None
        if m: return m[1]
    return None


def role_of(nb_name: str, module=None) -> str:
    ("The sidebar caption of a notebook: the role of the module it exports (a top-level module is a foundation), else "
     "its chapter's.")
    if module is not None:
        top = module.split('.')[0]
        return next((r for r, tops in ROLES if top in tops), 'Foundations')
    return CHAPTER_ROLES.get(nb_name[:2], 'Foundations')


def notebook_groups(nbs=None) -> dict:
    "Chapter number ('00' ... '13') -> (its notebooks' names, the modules they export), in notebook order."
    out = {}
    for p in sorted(Path(nbs or ROOT/'nbs').glob('[0-9][0-9]*.ipynb')):
        names, mods = out.setdefault(p.name[:2], ([], []))
        names.append(p.stem)
        m = exported_module(json.loads(p.read_text()))
        if m: mods.append(m)
    return out


def add_toctree(nb: dict, pages: list) -> dict:
    ("Append the sidebar to the index notebook: one hidden, captioned toctree per role of `pages` ((page, role) pairs, "
     "in order).")
    for role, _ in ROLES:
        these = [p for p, r in pages if r == role]
        if not these: continue
        toc = f'```{{toctree}}\n:hidden:\n:maxdepth: 1\n:caption: {role}\n\n' + '\n'.join(these) + '\n```'
        nb['cells'].append(dict(cell_type='markdown', metadata={}, source=toc, id='toctree-' + slugify(role)))
    return nb


def process_notebooks(repo: Path, work: Path, n_workers: int = 1) -> Path:
    "Run nbdev's processing of `repo`'s notebooks in a scratch copy under `work`; returns its `_proc`."
    shutil.copytree(repo/'nbs', work/'nbs', ignore=shutil.ignore_patterns('.ipynb_checkpoints', '_proc'))
    for f in ('settings.ini', 'pyproject.toml'):   # nbdev 2 reads settings.ini (nbdev 3: pyproject.toml)
        if (repo/f).exists(): shutil.copy(repo/f, work/f)
    subprocess.run([sys.executable, str(Path(__file__).with_name('nbproc.py')), str(work/'nbs'), str(n_workers)],
                   cwd=work, check=True)
    return work/'_proc'


def convert_all(proc: Path, src: Path, nbs: Path = None) -> list:
    ("Convert every processed notebook in `proc` into `src` (`nbs`: the source notebooks, for their roles); returns "
     "(page, role) pairs in notebook order.")
    nbs, nb_dir = sorted(p for p in proc.glob('*.ipynb')), nbs
    loaded = {p: json.loads(p.read_text()) for p in nbs}
    names = {}
    for p, nb in loaded.items():
        fm = next((parse_frontmatter(_src(c)) for c in nb['cells']
                   if c['cell_type'] == 'raw' and _src(c).strip().startswith('---')), {})
        names[p] = 'index' if p.stem == 'index' else page_name(p, fm)
    anchors = {names[p]: _headings(nb) for p, nb in loaded.items()}
    src.mkdir(parents=True, exist_ok=True)
    source = Path(nb_dir or ROOT/'nbs')
    def role(p):
        f = source/p.name
        return role_of(p.name, exported_module(json.loads(f.read_text()) if f.exists() else loaded[p]))
    pages = [(names[p], role(p)) for p in nbs if names[p] != 'index']
    SOURCES.clear(); SOURCES.update({names[p]: p.name for p in loaded})
    by_file = {p.stem: names[p] for p in loaded}
    for p, nb in loaded.items():
        out = convert_nb(nb, anchors, by_file)
        if names[p] == 'index': out = add_toctree(out, pages)
        (src/f'{names[p]}.ipynb').write_text(json.dumps(out, indent=1))
    for f in ('conf.py',): shutil.copy(DOCS/f, src/f)
    if (DOCS/'_static').exists(): shutil.copytree(DOCS/'_static', src/'_static', dirs_exist_ok=True)
    return pages


SOURCES = {}   # page name -> its notebook's file name in nbs/ (filled by `convert_all`)


def write_readme(index_nb: Path, readme: Path, sources: dict = None):
    ("Regenerate README.md from the converted index page (no Quarto needed): a link to a page becomes one to its "
     "notebook in `nbs/` (`sources`: page -> file name; a page not in it, or a name in backticks, keeps its words), "
     "images of `_static/` point at `docs/_static/`.")
    import nbformat
    from nbconvert import MarkdownExporter
    nb = nbformat.reads(index_nb.read_text(), as_version=4)
    nb.cells = [c for c in nb.cells if '{toctree}' not in c.source]
    body, _ = MarkdownExporter().from_notebook_node(nb)
    sources = SOURCES if sources is None else sources
    def link(m):
        page = re.match(r'\[[^\]\n]*\]\(([\w.-]+)\.ipynb', m[0])[1]
        code = m[1].startswith('`')   # nbdev's links of a name in backticks: its words (the lines stay short)
        return f"[{m[1]}](nbs/{sources[page]})" if page in sources and not code else m[1]
    body = _re_local_link.sub(link, body)   # GitHub renders the notebooks
    body = re.sub(r'(\]\(|src=["\'])_static/', r'\1docs/_static/', body)
    readme.write_text(body.strip() + '\n')


STAMP = '.inputs'   # the site's file holding the digest of what it was built from (`inputs_digest`)


def inputs_digest(repo=ROOT) -> str:
    "A digest of every file the site is built from: the notebooks (results and models too), the package, docs' code."
    repo, h = Path(repo), hashlib.sha256()
    files = [p for d in ('nbs', 'foleybook', 'docs') for p in (repo/d).rglob('*')
             if p.is_file() and '_build' not in p.parts and '__pycache__' not in p.parts
             and '.ipynb_checkpoints' not in p.parts]
    for p in sorted(files + [repo/'settings.ini']):
        h.update(p.relative_to(repo).as_posix().encode() + b'\0' + p.read_bytes() + b'\0')
    return h.hexdigest()


def site_is_current(out, repo=ROOT) -> bool:
    "Whether the site in `out` was built (by `build_site`, README included) from the files `repo` holds now."
    stamp = Path(out)/STAMP
    return (Path(out)/'index.html').is_file() and stamp.is_file() and stamp.read_text() == inputs_digest(repo)


def build_site(out, repo=ROOT, work=None, readme=True, n_workers=1, reuse=False) -> Path:
    ("Process, convert and build the HTML site of `repo` into `out` (warnings are errors); with `reuse`, a site in "
     "`out` built from the same files is kept as it is.")
    out = Path(out).resolve()
    if reuse and readme and site_is_current(out, repo):
        print(f"{out}: built from these files already"); return out
    digest = inputs_digest(repo)
    (out/STAMP).unlink(missing_ok=True)
    tmp = Path(work) if work else Path(tempfile.mkdtemp(prefix='foleybook-docs-'))
    try:
        proc = process_notebooks(Path(repo), tmp, n_workers)
        pages = convert_all(proc, tmp/'src', Path(repo)/'nbs')
        subprocess.run([sys.executable, '-m', 'sphinx', '-W', '--keep-going', '-q', '-b', 'html', '-d',
                        str(tmp/'doctrees'),
                        str(tmp/'src'), str(out)], check=True)
        if readme:   # only a site whose README was written too is stamped: `site_is_current` vouches for both
            write_readme(tmp/'src'/'index.ipynb', Path(repo)/'README.md')
            (out/STAMP).write_text(digest)
        return out
    finally:
        if not work: shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('cmd', choices=['build'])
    ap.add_argument('out', nargs='?', default=str(DOCS/'_build'/'html'))
    ap.add_argument('--no-readme', action='store_true', help='do not rewrite README.md')
    ap.add_argument('--workers', type=int, default=2,
                    help="processes for nbdev's notebook processing (2: the CI machine's cores)")
    ap.add_argument('--again', action='store_true', help='build even when the site is built from these files already')
    a = ap.parse_args()
    print(f"site written to {build_site(a.out, readme=not a.no_readme, n_workers=a.workers, reuse=not a.again)}")
