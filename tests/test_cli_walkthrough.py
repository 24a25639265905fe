"""The README's step-by-step command-line path, run as a user runs it: exactly the commands of its "Step by step"
block (parsed from README.md, which must match nbs/index.ipynb), with the installed `foleybook` script, one
subprocess per step, debug presets: data -> each model -> codes -> the prior -> a pipeline -> generate -> evaluate."""
import json, os, re, shlex, subprocess, sys
from pathlib import Path
import pytest, soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
EXE = Path(sys.executable).parent/'foleybook'
pytestmark = pytest.mark.skipif(not EXE.exists(), reason=f"console script not installed next to {sys.executable}")


def step_by_step(text:str) -> list:
    "The `foleybook ...` lines of the first ```sh block after the 'Step by step' heading, comments dropped."
    block = re.search(r"#+ Step by step[^\n]*\n.*?```sh\n(.*?)```", text, re.S)
    assert block, "no 'Step by step' section with a ```sh block"
    return [l.split(' #')[0].strip() for l in block[1].splitlines() if l.strip().startswith('foleybook ')]


def readme_commands() -> list:
    "The README's step-by-step commands, checked to be the index notebook's (README.md is generated from it)."
    readme = step_by_step((ROOT/'README.md').read_text())
    index = step_by_step('\n'.join(''.join(c['source'])
                                   for c in json.loads((ROOT/'nbs'/'index.ipynb').read_text())['cells']))
    assert readme == index, "README.md's step-by-step differs from nbs/index.ipynb's: regenerate the README"
    return readme


def fb(args, cwd):
    "Run `foleybook ARGS` in `cwd`; fail with its output when it does not exit 0."
    p = subprocess.run([str(EXE), *args], cwd=cwd, capture_output=True, text=True,
                       env={**os.environ, 'OMP_NUM_THREADS': '1', 'MKL_NUM_THREADS': '1'})
    assert p.returncode == 0, f"foleybook {' '.join(args)}\n{p.stdout}\n{p.stderr}"
    assert ('Traceback' not in p.stderr and 'FutureWarning' not in p.stderr
            and 'DeprecationWarning' not in p.stderr), p.stderr
    return p


def test_readme_commands_parse():
    cmds = readme_commands()
    assert [shlex.split(c)[1] for c in cmds][:2] == ['prepare', 'models'] and shlex.split(cmds[-1])[1] == 'evaluate'
    assert step_by_step("## Step by step on the command line\n\n```sh\nfoleybook models   # all\nls\nfoleybook train "
                        "x\n```\n") == ['foleybook models', 'foleybook train x']


def test_readme_walkthrough(tmp_path):
    w, seen = tmp_path, []
    for line in readme_commands():
        args = shlex.split(line)[1:]
        p = fb(args, w); out = p.stdout
        cmd, opt = args[0], dict(zip(args[1:], args[2:]))
        seen.append(cmd)
        if cmd == 'prepare':
            assert len(list((w/opt['--root']).rglob('*.wav'))) == 7 * 20
        elif cmd == 'models':
            assert 'VQVAE' in out and 'PixelSNAIL' in out
        elif cmd in ('train', 'pipeline'):
            assert (w/opt['--out']/('final' if cmd == 'train' else 'config.json')).exists(), line
        elif cmd == 'codes':
            assert (w/opt['--out']/'codes.safetensors').is_file()
        elif cmd == 'generate':
            wavs = sorted((w/opt['--out']).rglob('*.wav'))
            n_classes = 7 if opt.get('--class', 'all') == 'all' else 1
            assert len(wavs) == n_classes * int(opt.get('--n', 1)), wavs
            assert sf.info(wavs[0]).samplerate == 22050 and abs(sf.info(wavs[0]).duration - 4.0) < 0.01
            assert max(abs(sf.read(f)[0]).max() for f in wavs) < 0.99            # written through the limiter
        elif cmd == 'evaluate':
            summary = json.loads(out[out.index('{'):out.rindex('}') + 1])   # after the status line
            generated = {d.name for d in (w/opt['--gen']).iterdir() if d.is_dir()}
            assert set(summary['class_accuracy']) == generated                     # the classes present are scored
            acc = summary['class_accuracy']   # as many clips in every class: their mean
            assert abs(summary['generated_accuracy'] - sum(acc.values()) / len(acc)) < 1e-9, summary
            # the others are named
            if len(generated) < 7: assert 'not generated:' in p.stderr and 'Traceback' not in p.stderr
            report = (w/opt['--report']).read_text()
            assert report.startswith('#') and ('## Classes not scored' in report) == (len(generated) < 7)
    assert seen[-1] == 'evaluate' and 'generate' in seen
