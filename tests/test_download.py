"End-to-end tests of data_scripts/prepare_*.py against a loopback HTTP server serving archives built here."
import hashlib, http.server, io, os, subprocess, sys, tarfile, threading, zipfile
from pathlib import Path
import numpy as np, pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = REPO/'data_scripts'


class _Handler(http.server.BaseHTTPRequestHandler):
    "Serves `server.files` (path -> bytes) with Range support; paths in `server.cut` get half a body once."
    def log_message(self, *a): pass
    def do_GET(self):
        data = self.server.files.get(self.path)
        self.server.log.append((self.path, self.headers.get('Range')))
        if data is None: return self.send_error(404)
        start = 0
        if (r := self.headers.get('Range')):
            start = int(r.split('=')[1].split('-')[0])
            if start >= len(data): return self.send_error(416)
            self.send_response(206); self.send_header('Content-Range', f'bytes {start}-{len(data)-1}/{len(data)}')
        else: self.send_response(200)
        body = data[start:]
        self.send_header('Content-Length', str(len(body))); self.end_headers()
        if self.path in self.server.cut: self.server.cut.discard(self.path); body = body[:len(body)//2]
        self.wfile.write(body)


@pytest.fixture
def server():
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Handler)
    srv.files, srv.cut, srv.log = {}, set(), []
    srv.base = f"http://127.0.0.1:{srv.server_address[1]}"
    t = threading.Thread(target=srv.serve_forever, daemon=True); t.start()
    guard = threading.Timer(600, srv.shutdown); guard.daemon = True; guard.start()   # stops itself even if a test hangs
    yield srv
    guard.cancel(); srv.shutdown(); srv.server_close(); t.join(timeout=10)


def tar_bytes(members, mode='w:gz'):
    "A tar archive in memory from {name: bytes | ('sym'|'hard', target)}."
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tf:
        for name, data in members.items():
            ti = tarfile.TarInfo(name)
            if isinstance(data, tuple):
                ti.type, ti.linkname = (tarfile.SYMTYPE if data[0] == 'sym' else tarfile.LNKTYPE), data[1]
            else: ti.size = len(data)
            tf.addfile(ti, None if isinstance(data, tuple) else io.BytesIO(data))
    return buf.getvalue()


def wav_bytes(seconds=4.0, sr=22050, seed=0):
    import soundfile as sf
    buf = io.BytesIO()
    sf.write(buf, 0.3*np.random.default_rng(seed).standard_normal(int(seconds*sr)).clip(-3, 3)/3, sr, format='WAV',
             subtype='PCM_16')
    return buf.getvalue()


def sha(b): return 'sha256:' + hashlib.sha256(b).hexdigest()


def run_inproc(name, *args, capsys=None):
    "The script's `main` in this process (for the failure modes; each script is also run as a process above)."
    from foleybook.data.download import cli_main
    rc = cli_main(name, list(map(str, args)))
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess([name], rc, out, err)


def run(name, *args):
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'MKL_NUM_THREADS': '1'}
    return subprocess.run([sys.executable, str(SCRIPTS/f'prepare_{name}.py'), *map(str, args)],
                          capture_output=True, text=True, timeout=300, env=env)


def test_ljspeech_truncated_then_resumed(server, tmp_path):
    arch = tar_bytes({'LJSpeech-1.1/metadata.csv': b'LJ001-0001|Hello there|Hello there\n',
                      'LJSpeech-1.1/wavs/LJ001-0001.wav': wav_bytes(1.5)}, 'w:bz2')
    server.files['/LJSpeech-1.1.tar.bz2'] = arch
    server.cut.add('/LJSpeech-1.1.tar.bz2')                     # the first transfer breaks halfway
    r = run('ljspeech', '--root', tmp_path, '--url', server.base + '/LJSpeech-1.1.tar.bz2', '--checksum', sha(arch))
    assert r.returncode == 0, r.stderr
    assert Path(r.stdout.strip().splitlines()[-1]) == tmp_path/'LJSpeech-1.1'
    assert server.log == [('/LJSpeech-1.1.tar.bz2', None), ('/LJSpeech-1.1.tar.bz2', f'bytes={len(arch)//2}-')]
    assert (tmp_path/'downloads'/'LJSpeech-1.1.tar.bz2').read_bytes() == arch
    from foleybook.data.folders import ljspeech
    ds = ljspeech(tmp_path/'LJSpeech-1.1')
    assert ds.texts == ['Hello there'] and ds[0][0].shape == (33075,)


def test_resume_from_part_file_of_killed_run(server, tmp_path):
    arch = tar_bytes(
        {
            'UrbanSound8K/metadata/UrbanSound8K.csv': b'slice_file_name,fsID,start,end,salience,fold,classID,class\n'
            b'1-1-0-0.wav,1,0,1,1,3,3,dog_bark\n',
            'UrbanSound8K/audio/fold3/1-1-0-0.wav': wav_bytes(2.0, 44100),
        }
    )
    server.files['/UrbanSound8K.tar.gz'] = arch
    (tmp_path/'downloads').mkdir()
    (tmp_path/'downloads'/'UrbanSound8K.tar.gz.part').write_bytes(arch[:1000])     # left by a killed process
    r = run('urbansound8k', '--root', tmp_path, '--url', server.base + '/UrbanSound8K.tar.gz', '--checksum', sha(arch))
    assert r.returncode == 0, r.stderr
    assert server.log == [('/UrbanSound8K.tar.gz', 'bytes=1000-')]
    from foleybook.data.folders import urbansound8k
    ds = urbansound8k(tmp_path/'UrbanSound8K')
    assert ds.classes == ['dog_bark'] and ds[0][0].shape == (44100,)


def test_checksum_mismatch_removes_file(server, tmp_path, capsys):
    good = tar_bytes({'LJSpeech-1.1/metadata.csv': b'x|y|y\n'})
    corrupt = bytearray(good); corrupt[len(corrupt)//2] ^= 0xFF
    server.files['/LJSpeech-1.1.tar.bz2'] = bytes(corrupt)
    r = run_inproc('ljspeech', '--root', tmp_path, '--url', server.base + '/LJSpeech-1.1.tar.bz2', '--checksum',
                   sha(good), capsys=capsys)
    assert r.returncode == 1
    assert 'sha256 checksum mismatch' in r.stderr and 'the download was removed' in r.stderr
    assert list((tmp_path/'downloads').iterdir()) == []
    assert not (tmp_path/'LJSpeech-1.1').exists()


@pytest.mark.parametrize('member', [{'../../evil.txt': b'pwned'}, {'/tmp/evil_abs.txt': b'pwned'},
                                    {'UrbanSound8K/link': ('sym', '../../../evil.txt')},
                                    {'UrbanSound8K/hard': ('hard', '../evil.txt')}])
def test_path_traversal_archive_refused(server, tmp_path, member, capsys):
    arch = tar_bytes({'UrbanSound8K/metadata/UrbanSound8K.csv': b'a', **member})
    server.files['/UrbanSound8K.tar.gz'] = arch
    root = tmp_path/'deep'/'root'
    r = run_inproc('urbansound8k', '--root', root, '--url', server.base + '/UrbanSound8K.tar.gz', '--checksum',
                   sha(arch), capsys=capsys)
    assert r.returncode == 1 and 'refusing to extract member' in r.stderr, r.stderr
    assert not (root/'UrbanSound8K').exists()                  # nothing extracted, not even the good member
    assert not (tmp_path/'evil.txt').exists() and not (tmp_path/'deep'/'evil.txt').exists()


def test_zip_traversal_refused(tmp_path):
    from foleybook.data.download import extract
    from foleybook.core import DataError
    with zipfile.ZipFile(tmp_path/'a.zip', 'w') as z: z.writestr('ok.txt', 'x'); z.writestr('../evil.txt', 'x')
    with pytest.raises(DataError, match="'../evil.txt': its path leaves"): extract(tmp_path/'a.zip', tmp_path/'out')
    assert not (tmp_path/'evil.txt').exists() and list((tmp_path/'out').iterdir()) == []


def test_dcase2023_script(server, tmp_path):
    top = 'DCASE_2023_Challenge_Task_7_Dataset'
    members = {f'{top}/dev/{c}/{i:03d}.wav': wav_bytes(4.0, seed=i) for c in ['dog_bark', 'rain'] for i in range(2)}
    members[f'{top}/eval/DogBark/000.wav'] = wav_bytes(4.0, seed=9)
    members[f'{top}/DevMeta.csv'] = b'meta'
    arch = tar_bytes(members)
    server.files['/DCASE.tar.gz'] = arch
    r = run('dcase2023', '--root', tmp_path, '--url', server.base + '/DCASE.tar.gz')     # no checksum: a warning
    assert r.returncode == 0, r.stderr
    assert 'NOT verified' in r.stderr
    out = tmp_path/'DCASE2023'
    assert sorted(p.name for p in (out/'dev').iterdir()) == ['DogBark', 'Rain']
    from foleybook.data.folders import ClassFolder
    ds = ClassFolder(out/'dev')
    assert ds.classes == ['DogBark', 'Rain'] and len(ds) == 4 and ds.bad == []
    assert len(ClassFolder(out/'eval')) == 1


def test_sc09_script(server, tmp_path):
    members = {f'zero/spk{i}_nohash_0.wav': wav_bytes(1.0, 16000, i) for i in range(3)}
    members['nine/spkA_nohash_0.wav'] = wav_bytes(1.0, 16000, 7)
    members['dog/spkB_nohash_0.wav'] = wav_bytes(1.0, 16000, 8)           # not a digit: left out
    members['validation_list.txt'] = b'zero/spk1_nohash_0.wav\n'
    members['testing_list.txt'] = b'zero/spk2_nohash_0.wav\n'
    arch = tar_bytes(members)
    server.files['/sc.tar.gz'] = arch
    r = run('sc09', '--root', tmp_path, '--url', server.base + '/sc.tar.gz', '--checksum', sha(arch))
    assert r.returncode == 0, r.stderr
    out = tmp_path/'sc09'
    assert sorted(p.name for p in (out/'train').iterdir()) == ['Nine_spkA_nohash_0.wav', 'Zero_spk0_nohash_0.wav']
    assert [p.name for p in (out/'valid').iterdir()] == ['Zero_spk1_nohash_0.wav']
    assert [p.name for p in (out/'test').iterdir()] == ['Zero_spk2_nohash_0.wav']
    from foleybook.data.folders import sc09
    assert sorted(sc09(out, 'train').labels) == [0, 9]


def test_vas_script(server, tmp_path):
    from foleybook.data.download import VAS_CLASSES, VAS_FILES
    for c in VAS_CLASSES:
        for k in ('rgb', 'flow', 'melspec'):
            ext = 'npy' if k == 'melspec' else 'pkl'
            server.files[f'/vas/{c}_{VAS_FILES[k]}.tar'] = tar_bytes({f'./{c}/{VAS_FILES[k]}/video_00001.{ext}': b'x'},
                                                                     'w')
    r = run('vas', '--root', tmp_path, '--url', server.base + '/vas')
    assert r.returncode == 0, r.stderr
    out = tmp_path/'vas'/'features'
    assert sorted(p.name for p in out.iterdir()) == sorted(VAS_CLASSES)
    assert (out/'dog'/VAS_FILES['rgb']/'video_00001.pkl').read_bytes() == b'x'
    assert len(server.log) == 24


def test_http_error_is_clear(server, tmp_path, capsys):
    r = run_inproc('ljspeech', '--root', tmp_path, '--url', server.base + '/nothing.tar.bz2', capsys=capsys)
    assert r.returncode == 1 and 'HTTP 404' in r.stderr


def test_published_sources_have_checksums_or_say_none():
    from foleybook.data.download import SOURCES, VAS_MD5, parse_checksum
    assert SOURCES['dcase2023'][1] is None                      # none published: documented, not invented
    for name in ('urbansound8k', 'sc09', 'ljspeech'):
        algo, hexd = parse_checksum(SOURCES[name][1])
        assert algo in ('md5', 'sha256') and len(hexd) == {'md5': 32, 'sha256': 64}[algo]
    assert len(VAS_MD5) == 32 and all(len(v) == 32 for v in VAS_MD5.values())


def test_offline_leaves_nothing(tmp_path):
    "No network: no empty downloads/ folder, and no claim that a `.part` is kept when none is; one with data is kept."
    from foleybook.core import DataError
    from foleybook.data.download import download
    url = 'http://127.0.0.1:9/UrbanSound8K.tar.gz'   # the discard port: the connection is refused
    with pytest.raises(DataError) as e: download(url, tmp_path/'downloads'/'UrbanSound8K.tar.gz', retries=0)
    assert 'nothing was downloaded' in str(e.value) and 'is kept' not in str(e.value)
    assert list(tmp_path.iterdir()) == []
    (tmp_path/'downloads').mkdir(); (tmp_path/'downloads'/'UrbanSound8K.tar.gz.part').write_bytes(b'x' * 10)
    with pytest.raises(DataError, match=r'UrbanSound8K.tar.gz.part is kept, run again to resume'):
        download(url, tmp_path/'downloads'/'UrbanSound8K.tar.gz', retries=0)


def test_unknown_host_is_not_retried(tmp_path, monkeypatch, capsys):
    "No DNS (offline): one attempt, a message that says so, and `prepare`'s --root not left behind."
    import socket, urllib.error
    from foleybook.data import download as dl
    from foleybook.cli import main
    tries = []
    def offline(*a, **k): tries.append(1); raise urllib.error.URLError(socket.gaierror(-2, 'Name or service not known'))
    monkeypatch.setattr(dl.urllib.request, 'urlopen', offline)
    assert main(['prepare', 'urbansound8k', '--root', str(tmp_path/'data')]) == 2
    err = capsys.readouterr().err
    assert 'the host is unknown, or there is no network here' in err and 'nothing was downloaded' in err, err
    assert tries == [1] and not (tmp_path/'data').exists()
