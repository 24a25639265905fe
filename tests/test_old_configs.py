"""Saved folders written before the training settings left the model configs still load: every config.json key a config
retired (`FoleyConfig.retired`: lr, bs, epochs, ...) is dropped on load, nested configs included; any other unknown key
is still an error, and code that passes a retired field is told where it went."""
import json
import pytest
from foleybook.core import ConfigError, FoleyConfig, discover, load_pretrained
from foleybook.codecs.vqvae import VQVAE, VQVAEConfig
from foleybook.diffusion.audio_diffusion import AudioDiffusionConfig


def _subclasses(cls):
    for c in cls.__subclasses__(): yield c; yield from _subclasses(c)


def test_every_retired_field_is_gone_and_dropped_on_load(tmp_path):
    discover()
    retiring = {c for c in _subclasses(FoleyConfig) if c.retired and c.__module__.startswith('foleybook.')}
    names = {c.__name__ for c in retiring}
    assert {'VQVAEConfig', 'PixelSNAILConfig', 'ClassifierConfig', 'VQGANConfig', 'GPTConfig', 'DiffWaveConfig', 'SashimiConfig',
            'AudioDiffusionConfig', 'KLVAEConfig', 'TierConfig', 'BigVGANConfig'} <= names, names
    for c in retiring:
        cfg = c.preset(next(iter(c.presets)))
        assert not set(c.retired) & set(cfg.to_dict()), c          # no longer fields
        old = {'config_class': c.__name__, **cfg.to_dict(), **{k: 1 for k in c.retired}}
        (tmp_path/f'{c.__name__}.json').write_text(json.dumps(old))
        assert c.load_json(tmp_path/f'{c.__name__}.json') == cfg, c
        with pytest.raises(ConfigError, match='were training settings'): c.from_dict({**cfg.to_dict(), c.retired[0]: 1})


def test_an_old_saved_folder_loads(tmp_path):
    "A VQ-VAE folder whose config.json carries the old training fields (as saved before) loads; a misspelt key does not."
    m = VQVAE(VQVAEConfig.preset('debug')).save_pretrained(tmp_path/'vq')
    d = json.loads((m/'config.json').read_text())
    (m/'config.json').write_text(json.dumps({**d, 'lr': 3e-3, 'bs': 8, 'epochs': 2}))
    assert load_pretrained(m).config == VQVAEConfig.preset('debug')
    (m/'config.json').write_text(json.dumps({**d, 'lrr': 3e-3}))
    with pytest.raises(ConfigError, match=r"no field\(s\) \['lrr'\]"): load_pretrained(m)


def test_nested_retired_fields(tmp_path):
    "The latent preset's nested KL-VAE config lost its lr / bs too: an old file with both levels loads."
    cfg = AudioDiffusionConfig.preset('latent')
    old = cfg.to_dict(); old.update(lr=1e-4, warmup=500, ema_max=0.9999, epochs=100); old['vae'].update(lr=4.5e-6, bs=16)
    (tmp_path/'c.json').write_text(json.dumps({'config_class': 'AudioDiffusionConfig', **old}))
    assert AudioDiffusionConfig.load_json(tmp_path/'c.json') == cfg
