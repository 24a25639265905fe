"""Every system's experiment exports to one model folder that loads and generates: `foleybook export`, then
`load_pretrained` and `foleybook generate --model`, for all five systems, with the clips the experiment itself
generates. The recipes run with tiny settings up to the stage before generate; SpecVQGAN's MelGAN and
audio-diffusion's HiFi-GAN are inference copies (weight norm folded), which the folders must load."""
import numpy as np, pytest, soundfile as sf
from foleybook.cli import main
from foleybook.pretrained import load_pretrained
from foleybook.data.profile import DataProfile
from foleybook.protocols import Generator
from foleybook.recipes.engine import run_recipe, get_recipe

TWO = {'synth': {'classes': ['DogBark', 'Rain']}, 'n_per_class': 3, 'holdout': 0.34}
SETS = {   # each system's debug preset, smaller still
    'dcase2023': {**TWO, 'vocoder.steps': 1, 'vqvae.epochs': 1, 'prior.epochs': 1},
    'diffwave': {**TWO, 'synth': {'classes': ['DogBark', 'Rain'], 'sr': 16000, 'duration': 1.0}, 'train.epochs': 1},
    'specvqgan': {**TWO, 'classifier.epochs': 1, 'vocoder.steps': 1, 'vqgan.epochs': 1, 'gpt_class.epochs': 1,
                  'gpt_feature.epochs': 1},
    'audio-diffusion': {**TWO, 'unet.epochs': 1, 'vocoder.steps': 1, 'vocoder.bs': 2},   # with a HiFi-GAN vocoder
    'mtcrnn': {'n_clips': 3, 'tier3.steps': 2, 'tier2.steps': 2, 'tier1.steps': 2},
}


@pytest.mark.parametrize('system', list(SETS))
def test_export_load_generate(system, tmp_path, capsys, monkeypatch):
    # fp32 pinned: 'auto' times each form per weights, and a folded and an unfolded vocoder may time differently
    monkeypatch.setenv('FOLEYBOOK_PRECISION', 'fp32')
    spec = get_recipe(system)
    names = [s.name for s in spec.stages]
    exp, model = tmp_path/'exp', tmp_path/'model'
    run_recipe(exp, spec, preset='debug', stop_stage=names[names.index('generate') - 1], system='cpu', quiet=True,
               sets=SETS[system])
    assert main(['export', '--experiment', str(exp), '--out', str(model)]) == 0
    g = load_pretrained(model)
    assert isinstance(g, Generator) or hasattr(g, 'generate'), type(g)
    if system == 'audio-diffusion': assert type(g.vocoder).__name__ == 'HiFiGAN'     # the vocoder came with the folder
    cls = [] if system == 'mtcrnn' else ['--class', 'Rain']
    for src, out in ((['--experiment', exp], 'from_exp'), (['--model', model], 'from_model')):
        argv = ['generate', *map(str, src), *cls, '--n', '2', '--seed', '1', '--device', 'cpu', '--out',
                str(tmp_path/out)]
        assert main(argv) == 0
    a, b = (sorted((tmp_path/o).rglob('*.wav')) for o in ('from_exp', 'from_model'))
    assert len(a) == len(b) == 2 and [p.name for p in a] == [p.name for p in b]
    prof = DataProfile.load(model)   # the experiment's data format, kept in the model folder
    if system == 'mtcrnn': assert prof is None    # texture recordings, no class folders split: as generated
    else: assert prof is not None and prof.format == DataProfile.load(exp/'data').format
    rate, n = (g.sample_rate, None) if prof is None else (prof.sample_rate, round(prof.duration * prof.sample_rate))
    for x, y in zip(a, b):   # the model folder generates the experiment's clips, both in the data's format
        (wx, rx), (wy, ry) = sf.read(x), sf.read(y)
        assert rx == ry == rate and len(wx) == (n or len(wx)), (rx, len(wx))
        assert wx.shape == wy.shape and np.abs(wx).max() > 0
        assert np.abs(wx - wy).max() < 2e-4, (x, np.abs(wx - wy).max())
    assert 'Traceback' not in capsys.readouterr().err
