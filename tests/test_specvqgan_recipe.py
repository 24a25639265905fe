"""`foleybook recipe specvqgan --preset debug` end to end: every stage runs, report.json has the Melception-style
metrics
and the feature-conditioning keys, and a finished recipe is skipped."""
import json, math
import pytest
from foleybook.recipes.engine import run_recipe, get_recipe


def test_specvqgan_recipe_debug(tmp_path):
    assert get_recipe('specvqgan').name == 'specvqgan'
    r = run_recipe(tmp_path/'exp', 'specvqgan', preset='debug', quiet=True)
    rep = json.loads((tmp_path/'exp'/'report.json').read_text())
    for k in ('generated_accuracy', 'mkl_features', 'mkl_shuffled', 'feature_accuracy', 'real_accuracy',
              'codebook_ceiling', 'vocoder_ceiling'):
        assert k in rep and math.isfinite(rep[k]), k
    assert 0 < rep['codes_used'] <= rep['n_codes'] == 32 and set(rep['codebook_ceiling_class_accuracy']) == {'DogBark',
        'Footstep', 'GunShot', 'Keyboard', 'MovingMotorVehicle', 'Rain', 'Sneeze_Cough'}
    table = (tmp_path/'exp'/'report'/'metrics.csv').read_text()
    for m in ('fid', 'kid', 'is', 'mkl', 'accuracy'): assert f',{m},' in table, m
    assert (tmp_path/'exp'/'gen'/'DogBark').is_dir() and (tmp_path/'exp'/'data'/'features'/'Rain').is_dir()
    assert all(v is not None for v in r.status().values())
    assert set(rep['stage_seconds']) == set(rep['stage_cpu_seconds']) == set(r.order)   # every stage, evaluate included
    assert (set(rep['level']) == set(rep['codebook_ceiling_class_accuracy'])
            and all(v['generated']['full_scale'] == 0 for v in rep['level'].values()))
    again = run_recipe(tmp_path/'exp', 'specvqgan', preset='debug', quiet=True)    # everything is done: nothing reruns
    assert 'skipping' in (tmp_path/'exp'/'recipe.log').read_text().splitlines()[-1]


def test_specvqgan_recipe_vocoders(tmp_path):
    ("The debug preset's vocoder stage trains a MelGAN on the `specvqgan` mel and the pipelines vocode with it; "
     "Griffin-Lim (the demo's budget fallback) inverts the codec's own mel.")
    import torch
    from foleybook.pretrained import load_pretrained
    from foleybook.audio import MelConfig
    from foleybook.codecs.vqgan import VQGAN, VQGANConfig
    from foleybook.vocoders.melgan import MelGAN
    from foleybook.vocoders.base import GriffinLimVocoder
    from foleybook.priors.transformer import SpecGPT, GPTConfig
    from foleybook.systems.specvqgan.recipe import SPECVQGAN
    from foleybook.generators import get_system
    codec = VQGAN(VQGANConfig.preset('debug')).eval()
    gpt = SpecGPT(GPTConfig.preset('debug', cond='class', n_classes=2, classes=('DogBark', 'Rain'))).eval()
    def _vocoder(r, codec):   # the vocoder of the pipeline the system assembles from the experiment's vocoder stage
        return get_system('specvqgan').assemble(dict(prior=gpt, codec=codec, vocoder=r.need('vocoder'))).vocoder
    assert SPECVQGAN.preset('debug')['vocoder']['trainer'] == 'melgan'
    r = run_recipe(tmp_path/'mg', 'specvqgan', preset='debug', stop_stage='data', quiet=True)
    r = run_recipe(tmp_path/'mg', 'specvqgan', preset='debug', stage='vocoder', stop_stage='vocoder', quiet=True)
    saved = load_pretrained(tmp_path/'mg'/'vocoder'/'final')
    assert isinstance(saved, MelGAN) and saved.mel_config == MelConfig.preset('specvqgan')
    v = _vocoder(r, codec)
    assert isinstance(v, MelGAN) and not v.training
    mel = codec.decode(codec.encode(torch.rand(1, 80, 64)))
    w = v(mel)
    assert w.shape == (1, 1, 64 * 256) and torch.isfinite(w).all()
    gl = SPECVQGAN.preset('debug', vocoder=dict(trainer='griffinlim', n_iter=4))
    r = run_recipe(tmp_path/'gl', 'specvqgan', preset=gl, stop_stage='data', quiet=True)
    r = run_recipe(tmp_path/'gl', 'specvqgan', preset=gl, stage='vocoder', stop_stage='vocoder', quiet=True)
    v = _vocoder(r, codec)
    assert isinstance(v, GriffinLimVocoder) and v.n_iter == 4 and v.mel_config == codec.mel_config


def test_specvqgan_recipe_without_features(tmp_path, capsys):
    ("A user's class folder without features/: the run says at its start that the feature prior is skipped, and the "
     "class-conditioned path runs end to end (its training stages print their epoch lines).")
    from foleybook.data.synth import SynthFoley
    data = SynthFoley(6, seed=0).write(tmp_path/'mine')
    r = run_recipe(tmp_path/'exp', 'specvqgan', data=str(data), preset='debug')
    out = capsys.readouterr().out
    for st in ('vqgan', 'gpt_class'):   # one line per epoch under each training stage (a header, then epoch 0)
        part = out[out.index(f'stage {st}: '):out.index(f'stage {st}: done')].splitlines()
        assert any(l.startswith('epoch') for l in part) and any(l.split()[:1] == ['0'] for l in part), (st, part)
    log = (tmp_path/'exp'/'recipe.log').read_text().splitlines()
    skip = next(i for i, l in enumerate(log) if 'stage gpt_feature will be skipped: no visual features' in l)
    assert skip < next(i for i, l in enumerate(log) if 'stage data:' in l)              # said at the start
    assert (r.status()['gpt_feature']['skipped'].startswith('no visual features')
            and not (tmp_path/'exp'/'gpt_feature').exists())
    rep = json.loads((tmp_path/'exp'/'report.json').read_text())
    assert math.isfinite(rep['generated_accuracy']) and 'codebook_ceiling' in rep and 'mkl_features' not in rep
    assert len(list((tmp_path/'exp'/'gen').glob('*/*.wav'))) == 7 * 2
    # finished, the skip included
    again = run_recipe(tmp_path/'exp', 'specvqgan', data=str(data), preset='debug', quiet=True)
    assert all(again.is_done(n) for n in again.order)
