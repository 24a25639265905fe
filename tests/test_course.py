"""The notebooks read as a course, not as a lab diary: no development-diary words and no machine paths in what a
reader sees (notebook sources and saved outputs, README, docs pages, the committed results and bench scripts)."""
import json, re
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]

# Words that tell the story of the project's making instead of what the code is and what was measured.
DIARY = [r'sessions?[ _-]?\d', r'\b(?:this|that|earlier|previous|next|last) session', r'\bafter the merges?\b',
         r'\bthe lead\b', r"\blead's\b", r'\bhelper sessions?\b',
         r'\b(?:\d+|two|three|four|five|other) (?:other )?helpers\b', r'\bwork(?:ing)? periods?\b',
         r'(?<![-\w])round \d',
         r'\bdemo\d', r'\bas it was then\b', r'\buntil session\b', r'\bsince session\b', r'\bsa\d\d\b',
         r'\bA_s\d', r'\bother agents\b']
DIARY += [r'\bcommits? [0-9a-f]{7,40}\b', r'\bat [0-9a-f]{7}\b']   # commit hashes as narrative
DIARY_RE = re.compile('|'.join(d.replace(' ', r'\s+') for d in DIARY), re.I)   # a phrase may wrap across lines

# Absolute paths of a machine: named roots anywhere, and in outputs any /a/b-looking path not on the allow-list.
ROOTS_RE = re.compile(r'(?<![\w.~])(?:/work/|/home/|/tmp/|/check/|/Users/|/root/|/mnt/|/private/var/)|\b[A-Z]:\\\\?[\w '
                      r']')
ABS_RE = re.compile(r'(?<![\w.:/~\-\]\)}>…])/(?:[\w.\-]+/)+[\w.\-]+')
ALLOWED = ('/dev/null', '/usr/bin/time', '/usr/bin/env', '/bin/bash', '/bin/sh', '/proc/cpuinfo')


def _notebook_texts():
    "Yield (place, text, is_output) for every cell source and saved text output of the notebooks."
    for p in sorted((ROOT/'nbs').glob('*.ipynb')):
        for i, c in enumerate(json.loads(p.read_text())['cells']):
            yield f'{p.name} cell {i} ({c.get("id")})', ''.join(c['source']), False
            for o in c.get('outputs', []):
                for t in [o.get('text'),
                          *(o.get('data', {}).get(k) for k in ('text/plain', 'text/markdown', 'text/html'))]:
                    if t: yield f'{p.name} cell {i} ({c.get("id")}) output', ''.join(t), True
                if o.get('traceback'):
                    yield f'{p.name} cell {i} ({c.get("id")}) traceback', '\n'.join(o['traceback']), True


def _file_texts():
    ("Yield (place, text, is_output) for README, docs pages and committed results (read as output), and the bench "
     "scripts.")
    files = [ROOT/'README.md', *sorted((ROOT/'docs').glob('*.md')), *sorted((ROOT/'nbs'/'results').glob('*.json')),
             *sorted((ROOT/'nbs'/'results').glob('*.txt'))]
    for f in files:
        if f.exists(): yield str(f.relative_to(ROOT)), f.read_text(), True
    # code: named roots only
    for f in sorted((ROOT/'bench').glob('*.py')): yield str(f.relative_to(ROOT)), f.read_text(), False


# embedded files (the players' audio, images): not words
DATA_RE = re.compile(r'data:[\w/.+-]+(?:;[\w=.-]+)*;base64,[A-Za-z0-9+/=\s]+')

def diary_words(text):
    "The development-diary phrases in `text` (embedded base64 data left out)."
    return [m.group(0) for m in DIARY_RE.finditer(DATA_RE.sub(' ', text))]


def machine_paths(text, output=True):
    "The absolute machine paths in `text` (any absolute-looking path in outputs, named roots anywhere)."
    # the docs build's placeholder for a temporary folder (`docs/nbsite.py`'s `scrub_paths`)
    text = DATA_RE.sub(' ', text.replace('/tmp/…/', '…/'))   # embedded base64 data is not a path
    found = [m.group(0) for m in ROOTS_RE.finditer(text)]
    if output:
        # URLs and links are not paths
        text = re.sub(r'[a-z][\w+.-]*://\S+|\bhref="[^"]*"|\bsrc="[^"]*"|\]\([^)]*\)', ' ', text)
        found += [m.group(0) for m in ABS_RE.finditer(text) if not m.group(0).startswith(ALLOWED)]
    return found


def test_the_checks_catch_what_they_are_for():
    "The two scanners find each kind of diary word and path they are meant to, and pass legitimate text."
    assert diary_words("the WaveNet of session 8") == ['session 8']
    assert diary_words("run 'demo7' by the lead and 2 helpers") == ['demo7', 'the lead', '2 helpers']
    assert diary_words("the demo preset's sampler helpers; a sessions folder; demo_wavenet; round(x, 3); per-round "
                       "3.8x") == []
    assert diary_words("measured in round 2, see session6.json") == ['round 2', 'session6']
    assert diary_words("the Intel machine of earlier\nsessions, at commit e0da791; at b67470d") == ['earlier\nsession',
        'commit e0da791', 'at b67470d']
    # the data is not text
    assert diary_words('<source src="data:audio/wav;base64,UklGR+Sa69/session8xx=" type="audio/wav"> sa12') == ['sa12']
    assert machine_paths("saved to /work/main/exp/model.pt") == ['/work/', '/work/main/exp/model.pt']
    assert machine_paths("written /srv/data/a.wav") == ['/srv/data/a.wav']
    assert machine_paths(r"C:\Users\me\x.wav") != []
    assert machine_paths("gen/DogBark/0.wav, 3/4 of it, https://zenodo.org/record/1/files/a.zip, /dev/null, "
                         "<a href=\"/docs/page.html\">, 1/2/3, CPU / wall") == []
    assert machine_paths("cd /srv/x/y", output=False) == []
    assert machine_paths("<audio src='data:audio/ogg;base64,T2dnUw/5pnA6/2MYH3s2K0'> /srv/a/b") == ['/srv/a/b']
    assert machine_paths("stage data -> /tmp/…/debug/data/source.json; "
                         "[source](/blob/main/foleybook/audio.py#L1)") == []
    assert machine_paths("stage data -> /tmp/tmpab12/debug/data") == ['/tmp/', '/tmp/tmpab12/debug/data']


@pytest.mark.parametrize('kind', ['notebooks', 'files'])
def test_no_diary_words(kind):
    "No text a reader sees names a work period, who did what or a run by when it was made."
    texts = _notebook_texts() if kind == 'notebooks' else _file_texts()
    bad = [f'{place}: {w!r}' for place, text, _ in texts for w in diary_words(text)]
    assert not bad, 'development-diary words:\n' + '\n'.join(bad)


@pytest.mark.parametrize('kind', ['notebooks', 'files'])
def test_no_machine_paths(kind):
    "No saved output, README or results file holds an absolute path of the machine that made it."
    texts = _notebook_texts() if kind == 'notebooks' else _file_texts()
    bad = [f'{place}: {w!r}' for place, text, out in texts for w in machine_paths(text, out)]
    assert not bad, 'absolute paths:\n' + '\n'.join(bad)


PROSE_LIMIT = 2000   # words of prose a chapter holds at most: a chapter is read, a longer one is a lab diary


def prose_words(nb:dict) -> int:
    "The words (whitespace-separated) of a notebook's markdown cells."
    return sum(len(''.join(c['source']).split()) for c in nb['cells'] if c['cell_type'] == 'markdown')


def test_chapters_are_short():
    "No chapter (the index included) holds over `PROSE_LIMIT` words of prose."
    assert prose_words(dict(cells=[dict(cell_type='markdown', source=['one two\n', 'three']),
                                   dict(cell_type='code', source=['x = 1 # four five'])])) == 3
    long = {p.name: n for p in sorted((ROOT/'nbs').glob('*.ipynb'))
            if (n := prose_words(json.loads(p.read_text()))) > PROSE_LIMIT}
    assert not long, f"chapters over {PROSE_LIMIT} words of prose: {long}"
