"Audio diffusion from the command line: `foleybook train audio_diffusion` on a SynthFoley set, `foleybook generate` with the saved model, and clear errors."
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
    code = main(['train', 'audio_diffusion', '--data', 'synth', '--preset', 'latent', '--out', str(tmp_path / 'x'), '--set', 'n_synth=1'])
    assert code != 0
    assert 'needs vae=' in capsys.readouterr().err


def test_recipe_name_is_audio_diffusion_with_alias(tmp_path):
    from foleybook.recipes.engine import get_recipe
    assert get_recipe('audio-diffusion').name == 'audio-diffusion'
    assert get_recipe('audio_diffusion') is get_recipe('audio-diffusion')   # the older name: a second key of the table
    for name in ('audio-diffusion', 'audio_diffusion'):
        out = tmp_path / name
        assert main(['recipe', name, '--preset', 'debug', '--stop-stage', 'split', '--out', str(out)]) == 0
        assert json.loads((out / 'recipe.json').read_text())['recipe'] == 'audio-diffusion'
        assert (out / 'data' / 'splits.json').is_file()
