"End-to-end tests of the `foleybook recipe` command on the DCASE 2023 recipe (debug preset), run in-process."
import json, subprocess, sys
from pathlib import Path
import pytest
from foleybook.cli import main
from foleybook.recipes.engine import Recipe, get_recipe
from foleybook.data.synth import DCASE_CLASSES
from cli_helpers import run

SPEC = get_recipe('dcase2023')
NAMES = [s.name for s in SPEC.stages]


@pytest.fixture(scope='module')
def debug_exp(tmp_path_factory):
    "One full debug recipe run (every stage) shared by the tests of this module."
    out = tmp_path_factory.mktemp('exp')/'debug'
    code = main(['recipe', 'dcase2023', '--data', 'synth', '--preset', 'debug', '--out', str(out), '--system', 'cpu'])
    assert code == 0
    return out


def test_debug_recipe_runs_all_stages(debug_exp):
    r = Recipe(debug_exp, recipe=None)
    assert r.spec.name == 'dcase2023' and all(r.is_done(n) for n in NAMES)
    report = (debug_exp/'report.md').read_text()
    assert 'mels.png' in report and (debug_exp/'report'/'mels.png').stat().st_size > 1000
    n = SPEC.preset('debug')['generate']['n_per_class']
    for c in DCASE_CLASSES:
        assert len(sorted((debug_exp/'gen'/c).glob('*.wav'))) == n
        tr = {p.name for p in (debug_exp/'data'/'train'/c).iterdir()}
        te = {p.name for p in (debug_exp/'data'/'test'/c).iterdir()}
        assert tr and te and not tr & te                      # the split is per class and disjoint
    rep = json.loads((debug_exp/'report.json').read_text())
    for k in ('real_accuracy', 'fad_same', 'fad_other'): assert 0 <= rep[k] < 1e6, k
    # n clips a class: the classes' mean
    assert abs(rep['generated_accuracy'] - sum(rep['class_accuracy'].values()) / len(DCASE_CLASSES)) < 1e-9
    assert (set(rep['stage_seconds']) == set(rep['stage_cpu_seconds']) == set(NAMES)
            and set(rep['class_accuracy']) == set(DCASE_CLASSES))
    # never clipped
    assert (set(rep['level']) == set(DCASE_CLASSES)
            and all(v['generated']['full_scale'] == 0 for v in rep['level'].values()))
    assert '## Level of the generated and the real clips' in report and '## Stage times' in report
    # it opens with a row per class: recognised, FAD in units of real, level against the real clips, whether it counts
    assert report.index('## Per class') < report.index('## Summary')
    head = report.split('## Per class')[1].split('## Summary')[0]
    for c in DCASE_CLASSES:
        row = next(line for line in head.splitlines() if line.startswith(f"| dcase2023 | {c} | "))
        assert row.split(' | ')[2] == f"{rep['class_accuracy'][c]:.0%}".replace('%', ' %'), row
        assert row.split(' | ')[5].startswith('yes' if c in rep['counted_classes'] else 'no: '), row
    assert set(rep['controls']) == {'white_noise', 'envelope_noise'}
    counted = [rep['class_accuracy'][c] for c in rep['counted_classes']]
    assert rep['accuracy_counted'] == (pytest.approx(sum(counted) / len(counted)) if counted else None)
    assert json.loads(r.marker('evaluate').read_text())['generated_accuracy'] == rep['generated_accuracy']


def test_second_run_skips_everything(debug_exp, capsys):
    gen = sorted((debug_exp/'gen').rglob('*.wav'))
    before = {p: p.stat().st_mtime_ns for p in [*gen, debug_exp/'report.md',
                                                debug_exp/'vqvae'/'final'/'model.safetensors']}
    code, out, err = run(['recipe', 'dcase2023', '--preset', 'debug', '--out', str(debug_exp)], capsys)
    assert code == 0, err
    assert out.count('done already, skipping') == len(NAMES)
    assert {p: p.stat().st_mtime_ns for p in before} == before      # nothing was rewritten


def test_status(debug_exp, capsys):
    code, out, _ = run(['recipe', 'dcase2023', '--status', '--out', str(debug_exp)], capsys)
    assert code == 0 and out.count('done in') == len(NAMES)
    assert out.splitlines()[0] == f"{debug_exp}: recipe dcase2023, preset debug"
    # the experiment's own record, with a change on top: what would run again, and why
    code, out, _ = run(['recipe', 'dcase2023', '--status', '--out', str(debug_exp), '--set', 'prior.epochs=3'], capsys)
    rows = {l.split()[1]: ' '.join(l.split()[2:]) for l in out.splitlines()[1:]}
    assert rows['prior'] == 'stale: prior.epochs: 2 -> 3' and rows['vqvae'].startswith('done in'), rows
    assert rows['generate'] == rows['evaluate'] == 'stale: stage prior runs first', rows
    code, out, err = run(['recipe', 'dcase2023', '--status', '--out', str(debug_exp), '--preset', 'demo'], capsys)
    assert code == 2 and f"{debug_exp} was made with --preset debug, not demo" in err


def test_interrupted_stage_resumes(debug_exp, capsys):
    ("The VQ-VAE stage killed after its next-to-last checkpoint (marker and last checkpoint gone): a rerun resumes "
     "from that checkpoint.")
    from foleybook.train import checkpoint as ckm
    r = Recipe(debug_exp, recipe=None)
    cks = ckm.checkpoints(debug_exp/'vqvae'/'checkpoints')
    assert len(cks) >= 2
    kept, last = cks[-2], cks[-1]
    step_kept, step_last = ckm.load_checkpoint(kept)[1]['train_iter'], ckm.load_checkpoint(last)[1]['train_iter']
    assert step_kept < step_last
    mtime = kept.stat().st_mtime_ns
    last.unlink(); r.marker('vqvae').unlink()
    code, out, err = run(['recipe', 'dcase2023', '--preset', 'debug', '--out', str(debug_exp), '--stage', 'vqvae',
                          '--stop-stage', 'vqvae'], capsys)
    assert code == 0, err
    assert 'resuming from the checkpoints' in out
    assert kept.stat().st_mtime_ns == mtime                       # not rewritten: training did not start over
    # the remaining steps were trained
    assert last.is_file() and ckm.load_checkpoint(last)[1]['train_iter'] == step_last
    # stale now
    assert r.is_done('vqvae') and not any(r.is_done(n) for n in ('codes', 'prior', 'generate', 'evaluate'))
    code, out, _ = run(['recipe', 'dcase2023', '--status', '--out', str(debug_exp)], capsys)
    assert out.count('done in') == 4                              # data, vocoder, split, vqvae


def test_missing_input_names_the_stage(tmp_path, capsys):
    code, out, err = run(['recipe', 'dcase2023', '--stage', 'prior', '--out', str(tmp_path/'exp')], capsys)
    assert code == 2
    assert err == (f"foleybook: error: stage prior needs codes from stage codes in {tmp_path/'exp'/'codes'}: "
                   "run the recipe with --stage codes (it is missing or did not finish)\n")
    assert 'Traceback' not in out + err
    # positions work too
    code, out, err = run(['recipe', 'dcase2023', '--stage', '5', '--out', str(tmp_path/'exp')], capsys)
    assert code == 2 and 'stage prior needs codes' in err


def test_foley_errors_are_one_line_exit_2(tmp_path, capsys):
    code, out, err = run(['recipe', 'dcase2023', '--data', str(tmp_path/'nope'), '--out', str(tmp_path/'e')], capsys)
    assert code == 2 and err.startswith('foleybook: error: --data') and err.count('\n') == 1
    code, out, err = run(['train', 'vqvae', '--data', str(tmp_path/'nope'), '--out', str(tmp_path/'v')], capsys)
    assert code == 2 and err.count('\n') == 1 and 'not found' in err
    code, out, err = run(['recipe', 'dcase2023', '--preset', 'huge', '--out', str(tmp_path/'h')], capsys)
    assert code == 2 and "has no preset 'huge'" in err and err.count('\n') == 1
    code, out, err = run(['train', 'gpt9', '--data', 'synth', '--out', str(tmp_path/'g')], capsys)
    assert code == 2 and "no trainer 'gpt9'" in err
    if not __import__('torch').cuda.is_available():
        code, out, err = run(['recipe', 'dcase2023', '--system', 'cuda_ddp', '--out', str(tmp_path/'e')], capsys)
        assert code == 2 and 'needs a CUDA GPU' in err and err.count('\n') == 1


def test_usage_errors_exit_2(capsys):
    code, out, err = run(['recipe', 'nosuchrecipe'], capsys)
    assert code == 2 and err == ("foleybook: error: unknown recipe 'nosuchrecipe'; known: ['audio-diffusion', "
                                 "'dcase2023', 'diffwave', 'mtcrnn', 'specvqgan']\n")
    # a checked setting, before anything runs
    code, out, err = run(['recipe', 'dcase2023', '--set', 'vqvae.epochs=0'], capsys)
    assert code == 2 and 'TrainSettings.epochs must be >= 1' in err and len(err.splitlines()) == 1
    code, out, err = run(['train', 'vqvae'], capsys)
    assert code == 2 and 'required' in err


def test_console_script_runs():
    "The installed `foleybook` script (one subprocess: the import cost is high), with no warning on stderr."
    exe = Path(sys.executable).parent/'foleybook'
    if not exe.exists(): pytest.skip(f"console script not installed next to {sys.executable}")
    p = subprocess.run([str(exe), 'recipe', 'dcase2023', '--stage', 'codes', '--out', '/nonexistent/exp'],
                       capture_output=True, text=True)
    assert p.returncode == 2 and p.stderr == ("foleybook: error: stage codes needs a trained VQ-VAE from stage vqvae "
                                              "in "
                                              "/nonexistent/exp/vqvae/final: run the recipe with --stage vqvae (it is "
                                              "missing or did not finish)\n")
