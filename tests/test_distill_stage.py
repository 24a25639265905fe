"The `distill` stage of the DiffWave and audio-diffusion recipes: the debug preset with the stage set on, end to end."
import hashlib, json
import numpy as np, pytest, torch
from foleybook.cli import main
from foleybook.pretrained import load_pretrained
from foleybook.eval.embedders import state_fingerprint
from foleybook.generators import as_generator
from foleybook.recipes.engine import get_recipe

SETS = ['--set', 'distill.steps=4', '--set', 'distill.rounds=2', '--set', 'distill.iters=3']
TEACHER = {'diffwave': 'model/final', 'audio-diffusion': 'unet/final'}


@pytest.fixture(scope='module', params=sorted(TEACHER))
def exp(request, tmp_path_factory):
    "A debug run of the recipe up to its generate stage, the distill stage on (2 rounds from 4 steps, 3 Adam steps)."
    out = tmp_path_factory.mktemp('exp')/request.param
    assert main(['recipe', request.param, '--preset', 'debug', *SETS, '--stop-stage', 'generate', '--out', str(out),
                 '--system', 'cpu']) == 0
    return request.param, out


def test_presets():
    for name in TEACHER:
        spec = get_recipe(name)
        assert spec.preset('debug')['distill'] is None and spec.preset('demo')['distill'] is None
        fast, demo = spec.preset('demo-fast'), spec.preset('demo')
        assert {k: v for k, v in fast.items() if k != 'distill'} == {k: v for k, v in demo.items() if k != 'distill'}
        assert fast['distill']['steps'] >> fast['distill']['rounds'] <= 4   # a student of at most 4 calls


def test_student_folder(exp):
    name, out = exp
    student = load_pretrained(out/'distill'/'final')
    d, s = student.config.diffusion, student.config.sampler_config
    assert s.defaults == dict(sampler='ddim', steps=1, eta=0., guidance=1.)
    assert s.timestep_spacing == 'uniform' and d.p_uncond == 0
    assert (d.teacher['folder'], d.teacher['steps'], d.teacher['rounds']) == (TEACHER[name], 4, 2)
    teacher = load_pretrained(out/TEACHER[name])
    assert d.teacher['fingerprint'] == state_fingerprint(teacher)[:16] != state_fingerprint(student)[:16]
    rec = json.loads((out/'distill'/'record.json').read_text())
    assert [q['steps'] for q in rec['rounds']] == [2, 1] and rec['teacher'] == d.teacher
    assert 0 < rec['rounds'][-1]['cpu_s'] <= rec['cpu_seconds'] + 0.1 < 60


def test_generate_stage_samples_the_student(exp):
    name, out = exp
    done = json.loads(next((out/'stages').glob('*_generate.done')).read_text())
    assert (done['student'], done['sampler'], done['network_calls'], done['eta']) == ('distill/final', 'ddim', 1, 0.)
    assert len(list((out/'gen').rglob('*.wav'))) == 7 * get_recipe(name).preset('debug')['generate']['n_per_class']


def test_student_samples_with_its_own_options(exp):
    name, out = exp
    g = as_generator(load_pretrained(out/'distill'/'final'))
    a, b = g.generate('Rain', 2, seed=5), g.generate('Rain', 2, seed=5)
    assert torch.equal(a, b) and torch.isfinite(a).all()                  # the same seeds, the same clips
    assert not torch.equal(a, g.generate('Rain', 2, seed=6))
    explicit = g.generate('Rain', 2, seed=5, sampler='ddim', steps=1, eta=0., guidance=1.)
    assert torch.equal(a, explicit)                                       # its config's sampler is the default
    assert g.sampling()['network_calls'] == 1


def test_cli_generate_on_the_student(exp, tmp_path):
    name, out = exp
    digests = []
    for k in range(2):
        dest = tmp_path/f'cli{k}'
        assert main(['generate', '--model', str(out/'distill'/'final'), '--class', 'Rain', '--n', '2', '--seed', '3',
                     '--out', str(dest)]) == 0
        files = sorted((dest/'Rain').glob('*.wav'))
        assert len(files) == 2
        digests.append([hashlib.md5(f.read_bytes()).hexdigest() for f in files])
    assert digests[0] == digests[1] and len(set(digests[0])) == 2
    assert np.isfinite(json.loads((tmp_path/'cli0'/'generate.json').read_text())['classes']['Rain']['seed'])


def test_demo_fast_follows_the_measurement():
    ("demo-fast distils to a student of at most 4 calls within the teacher default's spread and at a FAD no worse "
     "than its DDIM 20-25, when one is measured (06h's bar).")
    import pandas as pd
    from pathlib import Path
    pts = pd.DataFrame(json.loads((Path(__file__).parents[1]/'nbs'/'results'/'distill_curve.json').read_text())
                       ['points'])
    for name in TEACHER:
        p = pts[pts.system == name]
        default = p[(p.kind == 'teacher') & p.sampler.isin(['fast', 'default'])].accuracy
        assert len(default) == 3 and set(p[p.kind == 'student'].calls) == {1, 2, 4, 8}
        ref_fad = p[(p.kind == 'teacher') & (p.sampler == 'ddim') & p.calls.isin([20, 25])].groupby('calls').fad.mean()
        st = p[p.kind == 'student'].groupby('calls')[['accuracy', 'fad']].mean()
        within = [k for k, v in st.iterrows()
                  if k <= 4 and v.accuracy >= default.mean() - default.std() - 1e-9 and v.fad <= ref_fad.max()]
        d = get_recipe(name).preset('demo-fast')['distill']
        if within: assert d['steps'] >> d['rounds'] == min(within)


def test_experiment_generator_is_the_student(exp, tmp_path):
    "`generate --experiment` and `export --experiment` assemble what the generate stage assembled: the student."
    from foleybook.commands import load_generator
    name, out = exp
    g = load_generator(experiment=out)
    assert g.sampling()['network_calls'] == 1                             # the student's 1 call, not the teacher's
    student = load_pretrained(out/'distill'/'final')
    assert state_fingerprint(g.denoiser) == state_fingerprint(student)
    assert main(['export', '--experiment', str(out), '--out', str(tmp_path/'exported')]) == 0
    back = as_generator(load_pretrained(tmp_path/'exported'))
    assert back.sampling()['network_calls'] == 1
    assert torch.equal(back.generate('Rain', 2, seed=4), g.generate('Rain', 2, seed=4))
