"""Sphinx configuration of the foleybook site (built by `make docs` via docs/nbsite.py)."""
import importlib.util, shutil
from pathlib import Path

project = 'foleybook'
author = 'foleybook developers'
copyright = '2026, foleybook developers'
extensions = ['myst_nb', 'sphinx.ext.mathjax']
nb_execution_mode = 'off'          # pages show the outputs saved in the notebooks
nb_merge_streams = False           # each printed line stays where it was printed (above its own player or plot)
myst_heading_anchors = 4
myst_enable_extensions = ['dollarmath', 'colon_fence']
exclude_patterns = ['_build', '**.ipynb_checkpoints']
html_theme = 'sphinx_book_theme'
html_title = 'foleybook'
html_static_path = ['_static']
html_css_files = ['custom.css']
html_show_sourcelink = False
html_copy_source = False           # no `_sources/` copies of the pages (nothing links to them)
html_theme_options = {'show_toc_level': 2, 'use_download_button': False, 'use_fullscreen_button': False,
                      'search_bar_text': 'Search foleybook...'}
suppress_warnings = ['mystnb.unknown_mime_type', 'myst.header']  # show_doc headings are h3 wherever they stand

# MathJax served from the site itself (no CDN), and only what the pages need: the one combined
# component with every TeX package (`tex-chtml-full.js`, 1.3 MB) and its woff-v2 fonts (0.4 MB),
# taken from the `sphinx-mathjax-offline` package (whose extension would copy all 24 MB of MathJax).
# Sphinx adds the script only to pages that have math.
mathjax_path = 'mathjax/tex-chtml-full.js'
MATHJAX_FILES = ['tex-chtml-full.js', 'output/chtml/fonts/woff-v2']


def mathjax_dir() -> Path:
    spec = importlib.util.find_spec('sphinx-mathjax-offline')
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the docs need the package sphinx-mathjax-offline (pip install -e '.[docs]')")
    return Path(list(spec.submodule_search_locations)[0])/'static'/'mathjax'


def copy_mathjax(app, exc):
    if exc is not None or app.builder.format != 'html': return
    src, dst = mathjax_dir(), Path(app.outdir)/'_static'/'mathjax'
    for f in MATHJAX_FILES:
        (dst/f).parent.mkdir(parents=True, exist_ok=True)
        if (src/f).is_dir(): shutil.copytree(src/f, dst/f, dirs_exist_ok=True)
        else: shutil.copy2(src/f, dst/f)


def setup(app):
    mathjax_dir()   # fail early, before the build, when it is missing
    app.connect('build-finished', copy_mathjax)
