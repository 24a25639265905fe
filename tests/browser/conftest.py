"""Fixtures of the real-browser tests: headless Debian chromium through selenium, JupyterLab, the built site.

`make test-browser` installs what they need (apt: chromium, chromium-driver; pip: selenium, jupyterlab)
and builds the site first. Without selenium the tests are skipped (plain `pytest tests` stays usable).
"""
import functools, http.server, json, os, shutil, socket, subprocess, sys, tempfile, threading, time, urllib.request
from pathlib import Path
import pytest

pytest.importorskip('selenium', reason='make test-browser installs selenium')
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT/'docs'/'_build'/'html'
CHROME_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                '--disable-background-networking', '--disable-component-update', '--disable-sync',
                '--disable-dev-shm-usage', '--window-size=1400,2000', '--autoplay-policy=no-user-gesture-required']


# JupyterLab user settings of the test's fresh config: never save the notebooks it runs (they would be
# written back with outputs and widget state), every cell in the DOM, no news or update pop-ups.
LAB_SETTINGS = {'@jupyterlab/docmanager-extension/plugin': {'autosave': False},
                '@jupyterlab/notebook-extension/tracker': {'windowingMode': 'none'},
                '@jupyterlab/apputils-extension/notification': {'fetchNews': 'false', 'checkForUpdates': False}}


def _exe(*names):
    for n in names:
        p = shutil.which(n)
        if p: return p
    pytest.fail(f"none of {names} found: run `make test-browser` (it installs Debian's chromium and chromium-driver)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


def wait_http(url, timeout=60., proc=None):
    "Wait until `url` answers (any HTTP status); fail at once if `proc` exits."
    t0 = time.time()
    while time.time() - t0 < timeout:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server exited ({proc.returncode}) before {url} answered")
        try: urllib.request.urlopen(url, timeout=2); return
        except urllib.error.HTTPError: return
        except Exception: time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer in {timeout:.0f} s")


@pytest.fixture(scope='session')
def driver(tmp_path_factory):
    opts = webdriver.ChromeOptions()
    opts.binary_location = _exe('chromium', 'chromium-browser')
    for f in CHROME_FLAGS: opts.add_argument(f)
    opts.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    d = webdriver.Chrome(options=opts, service=Service(_exe('chromedriver')))   # never selenium-manager: offline
    d.set_page_load_timeout(60)
    yield d
    d.quit()


@pytest.fixture(scope='session')
def lab(tmp_path_factory):
    ("A JupyterLab server on 127.0.0.1 over the repository, with a fresh token-less config in a temp dir; yields its "
     "URL.")
    tmp = tmp_path_factory.mktemp('jupyter')
    for plugin, values in LAB_SETTINGS.items():
        f = tmp/'lab-settings'/f'{plugin}.jupyterlab-settings'
        f.parent.mkdir(parents=True, exist_ok=True); f.write_text(json.dumps(values))
    # the kernel's own (inline) backend, as a user has it
    env = {k: v for k, v in os.environ.items() if k != 'MPLBACKEND'}
    env.update(JUPYTER_CONFIG_DIR=str(tmp/'config'), JUPYTER_RUNTIME_DIR=str(tmp/'runtime'),
               JUPYTERLAB_SETTINGS_DIR=str(tmp/'lab-settings'), JUPYTERLAB_WORKSPACES_DIR=str(tmp/'workspaces'),
               IPYTHONDIR=str(tmp/'ipython'), PYTHONPATH=str(ROOT), OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    port = free_port()
    cmd = [sys.executable, '-m', 'jupyterlab', '--no-browser', '--ip=127.0.0.1', f'--port={port}',
           f'--ServerApp.root_dir={ROOT}', "--IdentityProvider.token=", '--ServerApp.password=',
           '--LabApp.expose_app_in_browser=True', '--LabApp.news_url=None',
           '--ServerApp.disable_check_xsrf=True', '--allow-root']
    log = open(tmp/'lab.log', 'w')
    p = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp)
    url = f'http://127.0.0.1:{port}'
    try:
        wait_http(url + '/api/status', proc=p)
        yield url
    finally:
        p.terminate()
        try: p.wait(15)
        except subprocess.TimeoutExpired: p.kill()
        log.close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass


@pytest.fixture(scope='session')
def site():
    "The built docs site (docs/_build/html, from `make docs`) served on 127.0.0.1; yields (URL, folder)."
    if not (SITE/'index.html').exists():
        pytest.fail(f"no built site at {SITE.relative_to(ROOT)}: run `make docs` first")
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(_Quiet, directory=str(SITE)))
    th = threading.Thread(target=srv.serve_forever, daemon=True); th.start()
    yield f'http://127.0.0.1:{srv.server_address[1]}', SITE
    srv.shutdown(); srv.server_close()
