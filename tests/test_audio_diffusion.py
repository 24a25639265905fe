("Audio diffusion from the command line: `foleybook train audio_diffusion` on a SynthFoley set, `foleybook generate` "
 "with the saved model, and clear errors.")
import json
from foleybook.cli import main


def test_train_and_generate_audio_diffusion_cli(tmp_path, capsys):
    out = tmp_path / 'ad'
    code = main(['train', 'audio_diffusion', '--data', 'synth', '--preset', 'debug', '--out', str(out), '--steps', '2',
                 '--set', 'n_synth=1', '--system', 'cpu'])
    assert code == 0
    final = out / 'final'
    cfg = json.loads((final / 'config.json').read_text())
    assert cfg['config_class'] == 'AudioDiffusionConfig' and len(cfg['classes']) == 7 and cfg['unet']['n_classes'] == 7
    assert 'trained audio_diffusion' in capsys.readouterr().out
    code = main(['generate', '--model', str(final), '--class', 'Rain', '--n', '2', '--out', str(tmp_path / 'gen'),
                 '--option', 'steps=3', '--guidance', '2'])
    assert code == 0
    assert len(list((tmp_path / 'gen' / 'Rain').glob('*.wav'))) == 2


def test_latent_preset_without_vae_is_a_clear_error(tmp_path, capsys):
    code = main(['train', 'audio_diffusion', '--data', 'synth', '--preset', 'latent', '--out', str(tmp_path / 'x'),
                 '--set', 'n_synth=1'])
    assert code != 0
    assert 'needs vae_model=' in capsys.readouterr().err


def test_recipe_name_is_audio_diffusion_with_alias(tmp_path, monkeypatch, capsys):
    from foleybook.recipes.engine import get_recipe, RECIPES
    assert get_recipe('audio-diffusion').name == 'audio-diffusion'
    # the older name: an alias
    assert get_recipe('audio_diffusion') is get_recipe('audio-diffusion') and 'audio_diffusion' not in RECIPES
    monkeypatch.chdir(tmp_path)   # the default folder is the canonical name's, whichever name the user types
    assert main(['recipe', 'audio_diffusion', '--preset', 'debug', '--stop-stage', 'data']) == 0
    assert main(['recipe', 'audio-diffusion', '--preset', 'debug', '--stop-stage', 'data']) == 0
    assert 'stage data: done already' in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path/'exp').iterdir()) == ['audio-diffusion-debug']
    for name in ('audio-diffusion', 'audio_diffusion'):
        out = tmp_path / name
        assert main(['recipe', name, '--preset', 'debug', '--stop-stage', 'split', '--out', str(out)]) == 0
        assert json.loads((out / 'recipe.json').read_text())['recipe'] == 'audio-diffusion'
        assert (out / 'data' / 'splits.json').is_file()


def test_hifigan_for_every_image_resolution():
    import math
    from foleybook.diffusion.mel_images import MelImageConfig
    from foleybook.systems.audio_diffusion.recipe import hifigan_for_images
    from foleybook.vocoders.hifigan import HiFiGAN, HiFiGANConfig
    for name in MelImageConfig.presets:   # hops 512, 1024, 256, 689 (= 13 x 53), 64
        img = MelImageConfig.preset(name)
        c = hifigan_for_images(img)
        assert math.prod(c.upsample_rates) == img.hop_length and c.mel == img.mel
        HiFiGAN(c)   # a valid generator (kernel - rate even, rates multiply to the hop)
    assert (hifigan_for_images(MelImageConfig.preset('256'), 'audio_diffusion')
            == HiFiGANConfig.preset('audio_diffusion'))


def test_recipe_vocoder_stage_trains_a_hifigan_that_generation_uses(tmp_path):
    import torch
    from foleybook.recipes.engine import run_recipe
    from foleybook.systems.audio_diffusion.recipe import RECIPE_PRESETS
    from foleybook.systems.audio_diffusion.generator import AUDIO_DIFFUSION_SYSTEM
    from foleybook.vocoders.hifigan import HiFiGAN
    from foleybook.diffusion.mel_images import MelImageConfig
    P = dict(RECIPE_PRESETS['debug'], name='debug-vocoder',
             vocoder=dict(preset='debug', steps=2, bs=2, segment=8 * MelImageConfig.preset('debug').hop_length))
    r = run_recipe(tmp_path / 'exp', 'audio-diffusion', preset=P, quiet=True)
    assert (r.path('vocoder', 'final', 'config.json')).is_file() and r.is_done('evaluate')
    assert len(list(r.path('gen').rglob('*.wav'))) == 7 * 2
    g = AUDIO_DIFFUSION_SYSTEM.assemble(r)
    assert isinstance(g.vocoder, HiFiGAN) and g.vocoder.config.mel == g.config.images.mel
    with torch.no_grad():
        img = g.sample_images('Rain', 1, seed=0, steps=2)   # the denoiser's images, vocoded by the generator
        neural = g.vocode(img)
        g.vocoder = None
        griffin_lim = g.vocode(img)
    assert neural.shape == griffin_lim.shape == (1, g.config.images.slice_samples)
    assert not torch.allclose(neural, griffin_lim)   # generation goes through the trained HiFi-GAN
    rep = json.loads(r.path('report.json').read_text())
    assert 'vocoder' in rep['stage_seconds'] and len(rep['class_accuracy']) == 7
    # 2 clips a class: the mean of the classes'
    assert abs(rep['generated_accuracy'] - sum(rep['class_accuracy'].values()) / 7) < 1e-9
    # without a vocoder section the stage is skipped (and says so): the generator inverts the images with Griffin-Lim
    r2 = run_recipe(tmp_path / 'gl', 'audio-diffusion', preset='debug', stop_stage='vocoder', quiet=True)
    assert (r2.status()['vocoder']['skipped'].startswith('Griffin-Lim inverts the mel images')
            and not r2.path('vocoder').exists())
