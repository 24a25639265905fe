"""One policy for every folder a command writes, end to end: a finished folder is refused unless --overwrite,
--resume continues only with the same data and settings, two runs never share a folder (a second one is refused
while the first holds it, and a run killed with kill -9 leaves no lock), and files get the user's umask."""
import json, os, signal, subprocess, sys, time
from pathlib import Path
import pytest
from foleybook.data.synth import SynthFoley
from cli_helpers import run

EXE = Path(sys.executable).parent/'foleybook'


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp('data')
    SynthFoley(4, seed=0, sr=8000, duration=1.0, classes=['DogBark', 'Rain']).write(d/'a')
    SynthFoley(4, seed=1, sr=8000, duration=1.0, classes=['DogBark', 'Rain']).write(d/'b')
    return d


def train(data, out, *more):
    return ['train', 'classifier', '--data', data, '--out', out, '--epochs', '2', '--bs', '2', '--system', 'cpu', *more]


def test_train_policy(data, tmp_path, capsys):
    out = tmp_path/'clf'
    assert run(train(data/'a', out), capsys)[0] == 0
    model = out/'final'/'model.safetensors'
    stamp = model.stat().st_mtime_ns
    code, _, err = run(train(data/'a', out), capsys)                  # finished: refused, untouched
    assert code == 2 and 'holds a finished classifier run; give --overwrite to replace it' in err
    assert model.stat().st_mtime_ns == stamp
    code, _, err = run(train(data/'a', out, '--resume'), capsys)      # finished, same settings: nothing to do
    assert code == 0 and model.stat().st_mtime_ns == stamp
    code, _, err = run(train(data/'b', out, '--resume'), capsys)      # other data: refused, naming it
    assert code == 2 and f"cannot --resume, it was started with other settings: data: '{data/'a'}' -> '{data/'b'}'" \
        in err
    # interrupted (no final model, checkpoints left): --resume continues it, nothing else does
    (out/'final'/'config.json').unlink()
    code, _, err = run(train(data/'a', out), capsys)
    assert code == 2 and 'holds an unfinished classifier run; give --resume to continue it' in err
    code, _, err = run(train(data/'a', out, '--resume', '--set', 'lr=0.5'), capsys)
    assert code == 2 and 'settings.lr: 0.005 -> 0.5' in err, err
    assert run(train(data/'a', out, '--resume'), capsys)[0] == 0 and (out/'final'/'config.json').is_file()
    assert run(train(data/'b', out, '--overwrite'), capsys)[0] == 0
    assert json.loads((out/'run.json').read_text())['data'] == str(data/'b')


def test_pipeline_and_export_policy(data, tmp_path, capsys):
    "A model folder is written whole: an existing one is refused unless --overwrite (both `pipeline` and `export`)."
    vq, prior = tmp_path/'vq', tmp_path/'prior'
    quick = ['--steps', '1', '--bs', '2', '--system', 'cpu']
    assert run(['train', 'vqvae', '--data', data/'a', '--out', vq, *quick], capsys)[0] == 0
    assert run(['codes', '--codec', vq/'final', '--data', data/'a', '--out', tmp_path/'codes'], capsys)[0] == 0
    code, _, err = run(['codes', '--codec', vq/'final', '--data', data/'a', '--out', tmp_path/'codes'], capsys)
    assert code == 2 and 'holds a finished codes file; give --overwrite' in err
    assert run(['train', 'pixelsnail', '--data', tmp_path/'codes', '--out', prior, *quick], capsys)[0] == 0
    pipe = ['pipeline', '--prior', prior/'final', '--codec', vq/'final', '--vocoder', 'griffinlim', '--duration', '1',
            '--classes', 'DogBark,Rain', '--out', tmp_path/'pipe']
    code, out, err = run(pipe, capsys)
    assert code == 0 and f"read it with `generate --model {tmp_path/'pipe'}`" in out, err
    code, _, err = run(pipe, capsys)
    assert code == 2 and 'holds a finished model folder; give --overwrite' in err
    assert run([*pipe, '--overwrite'], capsys)[0] == 0
    # generate reads the pipeline folder by --model and by --experiment (--pipeline) alike
    for flag in ('--model', '--experiment', '--pipeline'):
        code, _, err = run(['generate', flag, tmp_path/'pipe', '--class', 'Rain', '--out', tmp_path/f'g{flag}'], capsys)
        assert code == 0, err
    assert not [p for p in tmp_path.iterdir() if p.name.startswith('.')]   # no partial folder left behind


def test_umask(data, tmp_path, capsys):
    "Every file written takes the user's umask (a lab shares a results folder), not the temp file's 0600."
    old = os.umask(0o022)
    try:
        assert run(train(data/'a', tmp_path/'clf', '--epochs', '1'), capsys)[0] == 0
        assert run(['evaluate', '--gen', data/'b', '--ref', data/'a', '--classifier', tmp_path/'clf'/'final',
                    '--report', tmp_path/'r'/'report.md'], capsys)[0] == 0
    finally: os.umask(old)
    files = [p for p in tmp_path.rglob('*') if p.is_file()]
    assert {p.suffix for p in files} >= {'.json', '.safetensors', '.md', '.png'}
    bad = [(str(p), oct(p.stat().st_mode & 0o777)) for p in files if p.stat().st_mode & 0o777 != 0o644]
    assert not bad, bad


@pytest.mark.skipif(not EXE.exists(), reason=f"console script not installed next to {sys.executable}")
def test_two_runs_never_share_a_folder(data, tmp_path, capsys):
    "A run holds its folder: a second run into it is refused (naming the first); after `kill -9` none holds it."
    out = tmp_path/'run'
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'MKL_NUM_THREADS': '1'}
    first = subprocess.Popen([str(EXE), *map(str, train(data/'a', out, '--epochs', '400'))], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        t0 = time.time()
        while not (out/'run.json').is_file() and time.time() - t0 < 240:   # written once the run holds the folder
            assert first.poll() is None, first.stderr.read()
            time.sleep(0.5)
        for argv in (train(data/'a', out, '--epochs', '400', '--resume'), train(data/'a', out, '--overwrite'),
                     ['bench', '--systems', 'diffwave', '--out', out]):
            code, _, err = run(argv, capsys)
            assert code == 2 and f"another foleybook run (process {first.pid}) is writing into it" in err, err
    finally:
        first.send_signal(signal.SIGKILL); first.wait()
    code, _, err = run(train(data/'a', out, '--resume', '--epochs', '3'), capsys)   # the lock died with its process
    assert code == 2 and 'cannot --resume, it was started with other settings: settings.epochs: 400 -> 3' in err, err
    code, _, err = run(train(data/'a', out, '--overwrite', '--epochs', '1'), capsys)
    assert code == 0, err
