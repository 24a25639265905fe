"""The README's step-by-step command-line path, run as a user runs it: the installed `foleybook` script, one
subprocess per step, debug presets: data -> each model -> codes -> the prior -> a pipeline -> generate -> evaluate."""
import json, os, subprocess, sys
from pathlib import Path
import pytest, soundfile as sf

EXE = Path(sys.executable).parent/'foleybook'
pytestmark = pytest.mark.skipif(not EXE.exists(), reason=f"console script not installed next to {sys.executable}")


def fb(*args, cwd):
    "Run `foleybook ARGS` in `cwd`; fail with its output when it does not exit 0."
    p = subprocess.run([str(EXE), *map(str, args)], cwd=cwd, capture_output=True, text=True,
                       env={**os.environ, 'OMP_NUM_THREADS': '1', 'MKL_NUM_THREADS': '1'})
    assert p.returncode == 0, f"foleybook {' '.join(map(str, args))}\n{p.stdout}\n{p.stderr}"
    assert 'Traceback' not in p.stderr and 'FutureWarning' not in p.stderr and 'DeprecationWarning' not in p.stderr, p.stderr
    return p.stdout


def test_readme_walkthrough(tmp_path):
    w = tmp_path
    out = fb('prepare', '--list', cwd=w)
    assert 'synthfoley' in out.split()
    fb('prepare', 'synthfoley', '--root', 'data', cwd=w)
    data = w/'data'/'SynthFoley'
    assert len(list(data.glob('*/*.wav'))) == 7 * 20
    out = fb('models', cwd=w)
    assert 'VQVAE' in out and 'PixelSNAIL' in out and 'HiFiGAN' in out
    fb('train', 'hifigan', '--data', data, '--preset', 'debug', '--out', 'exp/hifigan', '--steps', '2', '--bs', '2', '--set', 'segment=4096', cwd=w)
    fb('train', 'vqvae', '--data', data, '--preset', 'debug', '--out', 'exp/vqvae', '--epochs', '1', '--bs', '8', cwd=w)
    fb('codes', '--codec', 'exp/vqvae/final', '--data', data, '--out', 'exp/codes', cwd=w)
    assert (w/'exp'/'codes'/'codes.safetensors').is_file()
    fb('train', 'pixelsnail', '--data', 'exp/codes', '--preset', 'debug', '--out', 'exp/prior', '--epochs', '1', '--bs', '8', cwd=w)
    fb('pipeline', '--prior', 'exp/prior/final', '--codec', 'exp/vqvae/final', '--vocoder', 'exp/hifigan/final', '--out', 'exp/pipeline', cwd=w)
    fb('generate', '--model', 'exp/pipeline', '--class', 'Rain', '--n', '2', '--seed', '1', '--out', 'exp/gen', cwd=w)
    wavs = sorted((w/'exp'/'gen'/'Rain').glob('*.wav'))
    assert [p.name for p in wavs] == ['0001.wav', '0002.wav']
    assert sf.info(wavs[0]).samplerate == 22050 and abs(sf.info(wavs[0]).duration - 4.0) < 0.01
    fb('generate', '--model', 'exp/pipeline', '--n', '2', '--out', 'exp/gen_all', cwd=w)
    assert len(list((w/'exp'/'gen_all').glob('*/*.wav'))) == 14
    fb('train', 'classifier', '--data', data, '--preset', 'debug', '--out', 'exp/classifier', '--epochs', '1', cwd=w)
    out = fb('evaluate', '--gen', 'exp/gen_all', '--ref', data, '--classifier', 'exp/classifier/final', '--report', 'exp/report.md', cwd=w)
    summary = json.loads(out[:out.rindex('}') + 1])
    assert 0 <= summary['generated_accuracy'] <= 1 and summary['fad_same'] >= 0
    assert (w/'exp'/'report.md').read_text().startswith('#')
