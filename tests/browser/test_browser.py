"""The samplers and the docs site as a user meets them, in a real (headless) browser.

- Every notebook that uses a `Sampler` (found by its code: `Sampler` or a `*_sampler(` helper, so
  new model notebooks join without edits) is opened in JupyterLab and run; in the last sampler of
  the page Generate is pressed with the notebook's own settings, then every control is changed once and
  Generate pressed twice more, and each time the panel must show `<audio>` players with a loadable source,
  a plot image that is not blank (decoded: more than one colour, the axes' frame lines present), a
  readable status line and labels that are not cut. A screenshot of the sampler at the notebook's own
  settings (what a reader meets) goes to `$FOLEYBOOK_SHOTS/NAME.png` (default: the untracked
  `tests/browser/_shots`; `make screenshots` points it at `docs/_static/samplers`, the images the docs
  show where widgets cannot run), so a test run never rewrites tracked files. Last, each number box in turn gets a value
  out of its range (below its bound, or -1000000): it must be
  clamped visibly to its bound, or Generate must show the error and no clips or plot of the run before.
- The built site (`make docs`) is served on 127.0.0.1 and every page is checked for broken links
  and anchors, images that do not load, `<audio>` without a source, formulas MathJax did not
  typeset, and machine paths.
"""
import base64, io, json, os, re, time, urllib.parse
from pathlib import Path
import numpy as np
import pytest
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select
from conftest import ROOT

SHOTS = Path(os.environ.get('FOLEYBOOK_SHOTS', ROOT/'tests'/'browser'/'_shots'))
# the widget `foleybook.display.Sampler` (the diffusion core's table rows: `solvers.SamplerSpec`) or a `*_sampler(...)`
_re_sampler = re.compile(r'\w+_sampler\(|from foleybook\.display import[^\n]*\bSampler\b|\bdisplay\.Sampler\b')
# what a machine path looks like (the checkout, home folders, temp dirs, an installed package)
_re_leak = re.compile('|'.join([re.escape(str(ROOT)), r'/work/\w', r'/home/\w', r'/root/', r'/tmp/tmp\w{4,}',
                                r'/tmp/pytest-of-', r'/var/folders/',
                                r'site-packages', r'dist-packages', r'/usr/lib/python',
                                r'\.venv/lib',   # not .venv/bin/activate, a command
                                r'[A-Z]:\\\\Users']))


def sampler_notebooks() -> list:
    "The notebooks whose code uses a `Sampler` (directly or through a `*_sampler(...)` helper)."
    out = []
    for nb in sorted((ROOT/'nbs').glob('*.ipynb')):
        cells = json.loads(nb.read_text())['cells']
        code = [''.join(c['source']) for c in cells if c['cell_type'] == 'code']
        if any(_re_sampler.search(s) for s in code):
            why = KNOWN_FAILURES.get(nb.stem)
            out.append(pytest.param(nb, marks=pytest.mark.xfail(reason=why, strict=False)) if why else nb)
    return out

# Defects this test found in samplers, left open (see the issues' notes); not strict: remove an entry once its
# defect is fixed. None at present (09b's slow start and 10e's hidden editing tab were fixed).
KNOWN_FAILURES = {}


def poll(fn, done, timeout, every=0.25):
    "`fn()` once it satisfies `done`, or its last value after `timeout` s (no failure: the caller judges it)."
    t0 = time.time()
    while True:
        v = fn()
        if done(v) or time.time() - t0 >= timeout: return v
        time.sleep(every)


def wait(fn, timeout, what, every=0.25):
    "Poll `fn` until it returns something truthy; fail naming `what` after `timeout` s."
    t0, last = time.time(), None
    while time.time() - t0 < timeout:
        try:
            last = fn()
            if last: return last
        except Exception as e: last = e
        time.sleep(every)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")


# ---------------------------------------------------------------- decoding the plot
def plot_problem(png: bytes):
    "None if the PNG looks like a whole drawn plot; else what is wrong (a single colour, blank, no frame, half-drawn)."
    im = np.asarray(Image.open(io.BytesIO(png)).convert('RGB')).astype(int)
    h, w, _ = im.shape
    if h < 40 or w < 40: return f"an image of only {w}x{h} px"
    if np.ptp(im.reshape(-1, 3), axis=0).max() < 16: return f"a single colour {tuple(im[0, 0])}"
    white = im.min(-1) > 235
    if white.mean() > 0.8: return f"{white.mean():.0%} white: blank or half-drawn"
    dark = im.sum(-1) < 200
    # frame lines of axes: dark pixels with white 2 px away across them (the margins outside the axes)
    hrows = ((dark[2:-2] & (white[:-4] | white[4:])).sum(1) >= 0.15 * w).nonzero()[0] + 2
    vcols = (dark[:, 2:-2] & (white[:, :-4] | white[:, 4:])).sum(0)
    if not len(hrows) or vcols.max() < 0.15 * h: return "no axes frame lines found"
    if hrows.min() > h / 2 or hrows.max() < h / 2 or vcols.max() < 0.5 * h:
        return "half-drawn: axes frames over part of the image only"
    return None


def test_plot_problem_judges_images():
    "The plot check itself: a real mel grid passes; blank, single-colour and frameless images fail."
    from matplotlib.figure import Figure
    from foleybook.display import mel_grid, fig_png
    t = np.arange(5000) / 22050
    good = fig_png(mel_grid([np.sin(2 * np.pi * 440 * t) * np.exp(-4 * t)] * 2, 22050, pyplot=False))
    assert plot_problem(good) is None
    assert 'single colour' in plot_problem(fig_png(Figure(figsize=(4, 2))))
    top = np.asarray(Image.open(io.BytesIO(good)).convert('RGB')).copy(); top[top.shape[0] // 3:] = 255
    half = io.BytesIO(); Image.fromarray(top).save(half, 'PNG')
    assert plot_problem(half.getvalue()) is not None                     # drawn only in its top third
    noise = np.random.default_rng(0).integers(0, 255, (200, 300, 3), dtype=np.uint8)
    b = io.BytesIO(); Image.fromarray(noise).save(b, 'PNG')
    assert plot_problem(b.getvalue()) == 'no axes frame lines found'
    frames = np.full((200, 300, 3), 255, np.uint8); frames[20:180:159, 30:280] = 0; frames[20:180, 30:280:249] = 0
    b = io.BytesIO(); Image.fromarray(frames).save(b, 'PNG')
    assert 'white' in plot_problem(b.getvalue())                          # empty axes: frames, no mels


# ---------------------------------------------------------------- JupyterLab
JS_NB_STATE = """
const app = window.jupyterapp, w = app && app.shell.currentWidget;
if (!w || !w.content || !w.context || w.context.path !== arguments[0]) return null;
const k = w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
const cells = w.content.widgets.filter(c => c.model.type === 'code' && c.model.sharedModel.getSource().trim());
return {kernel: k ? k.status : null, ready: w.content.isReady !== false,
        ran: cells.filter(c => c.model.executionCount !== null).length, cells: cells.length,
        busy: cells.filter(c => (c.promptNode ? c.promptNode.textContent : '').includes('*')).length,
        errors: cells.flatMap(c => c.model.outputs.toJSON().filter(o => o.output_type === 'error')
                                      .map(o => o.ename + ': ' + o.evalue))};
"""


def run_notebook(driver, lab, rel: str,
                 timeout=420):  # generous: a notebook that trains small models, on a loaded 2-core machine
    "Open `rel` (repository-relative) in JupyterLab, run all its cells, wait until all ran; returns the panel element."
    driver.get(f"{lab}/lab/tree/{rel}?reset")
    wait(lambda: (s := driver.execute_script(JS_NB_STATE, rel)) and s['kernel'] == 'idle', 120,
         f"{rel} to open with an idle kernel")
    driver.execute_script("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    def done():
        s = driver.execute_script(JS_NB_STATE, rel)
        if s['errors']: pytest.fail(f"{rel} raised in JupyterLab: {s['errors']}")
        return s['ran'] == s['cells'] and not s['busy'] and s['kernel'] == 'idle'
    wait(done, timeout, f"every cell of {rel} to run", every=0.5)
    return driver.execute_script("return window.jupyterapp.shell.currentWidget.node")


def find_sampler(panel):
    ("The last shown sampler panel of the notebook (the `foleybook-sampler` VBox; else the last VBox with a button); a "
     "tab not selected is not shown.")
    found = panel.find_elements(By.CSS_SELECTOR, '.foleybook-sampler')
    if not found:
        found = [b for b in panel.find_elements(By.CSS_SELECTOR, '.widget-vbox') if b.find_elements(By.CSS_SELECTOR,
            ':scope > .widget-button')]
    found = [b for b in found if b.is_displayed()] or found
    assert found, "no sampler widget on the page"
    return found[-1]


def controls_of(sampler):
    found = sampler.find_elements(By.CSS_SELECTOR, '.foleybook-control')
    # the widgets above the button
    return found or sampler.find_elements(By.XPATH, "./*[following-sibling::*[contains(@class, 'widget-button')]]")


def change_control(driver, c) -> str:
    "Change control `c` once, as a user would; returns a description of the change."
    label = (c.find_elements(By.CSS_SELECTOR, '.widget-label') or [c])[0].text
    if (sel := c.find_elements(By.TAG_NAME, 'select')):
        s = Select(sel[0]); opts = [o.text for o in s.options]
        i = (opts.index(s.first_selected_option.text) + 1) % len(opts); s.select_by_index(i)
        return f"{label} -> {opts[i]}"
    if (h := c.find_elements(By.CSS_SELECTOR, '.noUi-handle')):
        readout = lambda: c.find_element(By.CSS_SELECTOR, '.widget-readout').text
        before = readout()
        for key in (Keys.ARROW_RIGHT, Keys.ARROW_LEFT):
            driver.execute_script("arguments[0].focus()", h[0]); h[0].send_keys(key)
            if readout() != before: return f"{label} {before} -> {readout()}"
        pytest.fail(f"the slider {label!r} did not move with the arrow keys")
    if (f := c.find_elements(By.CSS_SELECTOR, 'input[type=file]')):   # an upload: a clip of the repository's own
        clip = ROOT/'nbs'/'results'/'diffwave_demo_clips'/'DogBark.wav'
        f[0].send_keys(str(clip))
        return f"{label or 'upload'} <- {clip.name}"
    if 'widget-upload' in (c.get_attribute('class') or ''):
        # ipywidgets' FileUpload keeps its file input out of the page (the browser's own dialog opens on a click), so
        # it cannot be given a file here; 13h_timing_control tests uploads through the widget's value
        return f"{c.text.strip() or 'upload'}: left as it is (a file dialog)"
    if (cb := c.find_elements(By.CSS_SELECTOR, 'input[type=checkbox]')):
        cb[0].click(); return f"{label} toggled"
    if (num := c.find_elements(By.CSS_SELECTOR, 'input[type=number], input[type=text]')):
        inp = num[0]; v = inp.get_attribute('value'); hint = inp.get_attribute('placeholder')
        if inp.get_attribute('type') == 'text' and hint and hint != v and not hint.startswith('a '):
            new = hint   # a text box of a given form (breakpoints, a file): what its hint shows
            inp.send_keys(Keys.CONTROL, 'a'); inp.send_keys(new, Keys.ENTER)
            return f"{label} {v} -> {new}"
        try: new = str(int(v) + 1)
        except ValueError:
            try: new = f"{float(v) * 1.5 + 0.5:g}"
            except ValueError: new = v + 'x'
        inp.send_keys(Keys.CONTROL, 'a'); inp.send_keys(new, Keys.ENTER)
        return f"{label} {v} -> {new}"
    pytest.fail(f"do not know how to change the control {c.get_attribute('outerHTML')[:200]}")


def status_of(sampler) -> str:
    s = sampler.find_elements(By.CSS_SELECTOR, '.foleybook-status')
    s = s or sampler.find_elements(By.CSS_SELECTOR, ':scope > .widget-html')
    return s[0].text.strip() if s else ''


def plot_img(sampler):
    "The plot `<img>` of the panel if one is shown (the Image widget; else an image in an output area)."
    imgs = [i for i in sampler.find_elements(By.TAG_NAME, 'img') if i.is_displayed()]
    return imgs[-1] if imgs else None


JS_IMG_BYTES = """
const done = arguments[arguments.length - 1];
fetch(arguments[0].src).then(r => r.arrayBuffer()).then(b => {
    let s = ''; const u = new Uint8Array(b);
    for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode.apply(null, u.subarray(i, i + 0x8000));
    done(btoa(s)); }).catch(e => done('ERROR ' + e));
"""


def img_bytes(driver, img) -> bytes:
    "The bytes of the image an `<img>` shows (its blob: or data: source, fetched in the page)."
    b = driver.execute_async_script(JS_IMG_BYTES, img)
    assert not b.startswith('ERROR'), f"cannot read the plot image: {b}"
    return base64.b64decode(b)


JS_AUDIO = """
return [...arguments[0].querySelectorAll('audio')].map(a => ({
    src: a.currentSrc || a.src || (a.querySelector('source') || {}).src || '',
    ready: a.readyState, duration: a.duration, error: a.error ? a.error.code : null}));
"""


def check_audio(driver, sampler, where):
    "Every `<audio>` in `sampler` has a source that the browser loads (known duration)."
    def ok():
        a = driver.execute_script(JS_AUDIO, sampler)
        return a if a and all(x['src'] and x['ready'] >= 1 and x['duration'] > 0 for x in a) else None
    audios = wait(ok, 20,
                  f"{where}: <audio> players whose sources load (got {driver.execute_script(JS_AUDIO, sampler)})")
    return len(audios)


def press_generate(driver, sampler, timeout=120):
    "Click Generate and wait until the panel has finished (a new plot, or an error in the status line)."
    btn = (sampler.find_elements(By.CSS_SELECTOR, '.foleybook-generate') or sampler.find_elements(By.CSS_SELECTOR,
        ':scope > .widget-button'))[0]
    def plot_key():
        try:
            img = plot_img(sampler)
            return (img.id, img.get_attribute('src')) if img else None
        except Exception: return 'replaced'   # a stale element: the plot is being replaced
    # the plot of the run before can still be landing: take it once it has held still for half a second
    before = plot_key()
    for _ in range(20):
        time.sleep(0.5)
        now = plot_key()
        if now == before: break
        before = now
    btn.click()
    def finished():
        if not btn.is_enabled() or 'generating' in status_of(sampler): return False
        if 'Error' in status_of(sampler): return 'error'
        img = plot_img(sampler)
        return img is not None and (img.id, img.get_attribute('src')) != before and 'plot'
    return wait(finished, timeout, "the sampler to finish after Generate")


def label_problems(driver, sampler):
    return driver.execute_script("""
        return [...arguments[0].querySelectorAll('.widget-label')].filter(l => l.offsetParent && l.textContent.trim()
               && l.scrollWidth > l.clientWidth + 1).map(l => l.textContent.trim());""", sampler)


def save_shot(sampler, path: Path):
    "A screenshot of the sampler panel, as a small palette PNG."
    im = Image.open(io.BytesIO(sampler.screenshot_as_png)).convert('RGB')
    path.parent.mkdir(parents=True, exist_ok=True)
    im.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def number_boxes(sampler) -> list:
    "The visible number boxes of the panel with their label, bounds and value."
    return sampler.parent.execute_script("""
        return [...arguments[0].querySelectorAll('input[type=number]')].filter(b => b.offsetParent).map(b => {
            const w = b.closest('.widget-inline-hbox'), l = w && w.querySelector('.widget-label');
            const num = v => (v === null || v === '' || isNaN(Number(v))) ? null : Number(v);
            return {el: b, label: l ? l.textContent.trim() : '', min: num(b.getAttribute('min')),
                    max: num(b.getAttribute('max')), value: b.value};});""", sampler)


def type_into(box, text):
    box.send_keys(Keys.CONTROL, 'a'); box.send_keys(str(text), Keys.ENTER); time.sleep(0.3)


def bad_setting_problems(driver, sampler, rel) -> list:
    """Each number box in turn gets a value outside what the sampler can use (below its `min` when the box has
    bounds, else -1000000): the box must clamp it to its bound (visible in the box), or Generate must show the
    error in the status line with no clips or plot of the run before. The box is restored before the next one.
    A seed box may accept any integer (torch takes negative seeds); every other box must refuse, and at
    least one box must, so a sampler whose boxes accept anything fails. A sampler without number boxes must have
    only lists of choices."""
    problems, refused, accepted = [], [], []
    boxes = number_boxes(sampler)
    if not boxes:   # a sampler of choices only (a codec's clip picker): nothing a user can type, every control a list
        kinds = [bool(c.find_elements(By.TAG_NAME, 'select')) for c in controls_of(sampler)]
        assert kinds and all(kinds), (f"{rel}: no number box to give a bad value, and not every control is a list of "
                                      f"choices")
        print("  no number box: every control is a list of choices")
        return []
    for b in boxes:
        name = b['label'] or f"box {boxes.index(b)}"
        bad = b['min'] - 1000 if b['min'] is not None else -1000000
        type_into(b['el'], bad)
        is_bad = lambda v: v == str(bad) or v in (f"{bad}.0", f"{float(bad)}")
        # a bounded box is clamped by the kernel: its answer can come after a busy kernel's round trip (two kernels
        # on two cores: seconds); the poll ends as soon as the clamped value shows
        shown = poll(lambda: b['el'].get_attribute('value'), lambda v: not is_bad(v), 15 if b['min'] is not None else 0)
        if not is_bad(shown):
            # clamped: the visible value must be the box's bound, not something else
            if b['min'] is not None and float(shown) != b['min']:
                problems.append(f"{rel}: {name} = {bad} was changed to {shown}, not to its minimum {b['min']}")
            refused.append(f"{name} clamped to {shown}")
        elif press_generate(driver, sampler) == 'error':
            time.sleep(1)   # let any late output land
            stale = driver.execute_script(JS_AUDIO, sampler)
            if stale or plot_img(sampler):
                problems.append(f"{rel}: after the error for {name} = {bad}, {len(stale)} player(s) and a plot of the "
                                f"run before stay")
            if not status_of(sampler): problems.append(f"{rel}: {name} = {bad}: an error with an empty status line")
            refused.append(f"{name} = {bad}: {status_of(sampler)[:80]}")
        # a late answer to the click (a plot re-rendered as the box scrolled into view can end the wait before it)
        elif 'Error' in poll(lambda: status_of(sampler), lambda v: 'Error' in v, 10):
            refused.append(f"{name} = {bad}: {status_of(sampler)[:80]}")
        elif re.search(r'seed', name, re.I): accepted.append(f"{name} = {bad}")   # any integer is a torch seed
        else:
            problems.append(f"{rel}: {name} = {bad} was neither clamped nor refused (Generate ran)")
        type_into(b['el'], b['value'])
    print(f"  bad settings refused: {refused}; accepted (seeds): {accepted}")
    if not refused: problems.append(f"{rel}: no number box refused or clamped a bad value")
    return problems


def exercise_sampler(driver, lab, nb: Path):
    rel = nb.relative_to(ROOT).as_posix()
    t0 = time.time()
    panel = run_notebook(driver, lab, rel)
    print(f"{rel}: opened and ran in {time.time() - t0:.1f} s"); t0 = time.time()
    sampler = find_sampler(panel)
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", sampler)
    problems = []
    cut = label_problems(driver, sampler)
    if cut: problems.append(f"labels cut short: {cut}")
    changes = []
    for press in range(3):   # first with the notebook's own settings (the screenshot), then with every control changed
        if press == 1:
            changes = [change_control(driver, c) for c in controls_of(sampler)]
            assert changes, f"{rel}: the sampler has no controls"
        where = f"{rel}, Generate #{press + 1} (after {changes})"
        if press_generate(driver, sampler) == 'error': pytest.fail(f"{where}: {status_of(sampler)}")
        check_audio(driver, sampler, where)
        img = plot_img(sampler)
        assert img is not None, f"{where}: no plot image"
        p = plot_problem(img_bytes(driver, img))
        if p: problems.append(f"{where}: the plot is {p}")
        st = status_of(sampler)
        print(f"  Generate #{press + 1}: {st} ({time.time() - t0:.1f} s)"); t0 = time.time()
        if not st or re.search(r"[{}]|\w+': ", st): problems.append(f"{where}: unreadable status line {st!r}")
        if press == 0: save_shot(sampler, SHOTS/f"{nb.stem}.png")
    problems += bad_setting_problems(driver, sampler, rel)
    return problems


@pytest.mark.parametrize('nb', sampler_notebooks(), ids=lambda p: getattr(p, 'stem', None) or p.values[0].stem)
def test_sampler_in_jupyterlab(driver, lab, nb):
    before = nb.read_bytes()
    problems = exercise_sampler(driver, lab, nb)
    assert nb.read_bytes() == before, "JupyterLab wrote the notebook back"
    assert not problems, '\n'.join(problems)


def test_sampler_notebooks_are_found():
    names = [getattr(p, 'stem', None) or p.values[0].stem for p in sampler_notebooks()]
    assert {'00d_display', '14a_dcase2023_pipeline'} <= set(names), names


# ---------------------------------------------------------------- the docs site
JS_PAGE = """
const imgs = [...document.querySelectorAll('img')];
imgs.forEach(i => { i.loading = 'eager'; });
return {links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href')),
        imgs: imgs.map(i => ({src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0, done: i.complete})),
        audio: [...document.querySelectorAll('audio')].map(a => ({
            src: a.currentSrc || a.src || (a.querySelector('source') || {}).src || '',
            ready: a.readyState, error: a.error ? a.error.code : null})),
        math: document.querySelectorAll('.math, span.math, div.math').length,
        typeset: document.querySelectorAll('mjx-container').length,
        text: document.body.innerText};
"""


def _ids(path: Path, cache={}) -> set:
    if path not in cache: cache[path] = set(re.findall(r'\b(?:id|name)="([^"]+)"', path.read_text(errors='ignore')))
    return cache[path]


def test_docs_site(driver, site):
    url, folder = site
    pages = sorted(p.relative_to(folder).as_posix() for p in folder.rglob('*.html')
                   if not any(s.startswith('_') for s in p.relative_to(folder).parts))
    assert len(pages) > 5, pages
    problems, n_links, n_audio, n_img = [], 0, 0, 0
    for page in pages:
        driver.get(f"{url}/{page}")
        wait(lambda: driver.execute_script("return document.readyState") == 'complete', 30, f"{page} to load")
        info = wait(lambda: (i := driver.execute_script(JS_PAGE)) and all(x['done'] for x in i['imgs'])
                    and all(a['ready'] >= 1 or a['error'] for a in i['audio']) and (not i['math'] or i['typeset'])
                    and i, 30,
                    f"{page}: images, players and formulas to load")
        for href in info['links']:
            u = urllib.parse.urlparse(href)
            if u.scheme in ('mailto', 'javascript'): continue
            if u.scheme or u.netloc: problems.append(f"{page}: a link off the site: {href}"); continue
            n_links += 1
            target = (folder/page).parent/urllib.parse.unquote(u.path) if u.path else folder/page
            if u.path.endswith('/') or target.is_dir(): target = target/'index.html'
            target = target.resolve()
            if not target.is_file() or folder.resolve() not in target.parents:
                problems.append(f"{page}: broken link {href}"); continue
            if u.fragment and target.suffix == '.html' and u.fragment not in _ids(target):
                problems.append(f"{page}: link to a missing anchor {href}")
        for i in info['imgs']:
            n_img += 1
            if not i['ok']: problems.append(f"{page}: image does not load: {i['src'][:80]}")
        for a in info['audio']:
            n_audio += 1
            if not a['src']: problems.append(f"{page}: <audio> without a source")
            elif a['error'] or a['ready'] < 1:
                problems.append(f"{page}: <audio> whose source does not load ({a['src'][:40]})")
        if info['math'] and not info['typeset']:
            problems.append(f"{page}: {info['math']} formulas not typeset by MathJax")
        if (m := _re_leak.search(info['text']) or _re_leak.search(driver.page_source)):
            problems.append(f"{page}: a machine path: ...{m.string[max(0, m.start() - 60):m.end() + 60]!r}...")
    for f in folder.rglob('*'):   # every other file of the site: search index, scripts, styles
        if f.is_file() and f.suffix in ('.js', '.css', '.txt', '.json', '.html') and 'mathjax' not in f.parts:
            if (m := _re_leak.search(f.read_text(errors='ignore'))):
                problems.append(f"{f.relative_to(folder)}: a machine path: "
                                f"...{m.string[max(0, m.start() - 60):m.end() + 60]!r}...")
    assert not problems, f"{len(problems)} problems in {len(pages)} pages:\n" + '\n'.join(problems[:40])
    assert n_links > 100 and n_audio > 0 and n_img > 0, (n_links, n_audio, n_img)
