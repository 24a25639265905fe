"""Saved folders written before the training settings left the model configs still load: every config.json key a config
retired (`FoleyConfig.retired`: lr, bs, epochs, ...) is dropped on load, nested configs included; any other unknown key
is still an error, and code that passes a retired field is told where it went."""
import dataclasses, json
import pytest
from foleybook.core import ConfigError, FoleyConfig
from foleybook.pretrained import discover, load_pretrained
from foleybook.codecs.vqvae import VQVAE, VQVAEConfig
from foleybook.diffusion.audio_diffusion import AudioDiffusionConfig


def _subclasses(cls):
    for c in cls.__subclasses__(): yield c; yield from _subclasses(c)


def test_every_retired_field_is_gone_and_dropped_on_load(tmp_path):
    discover()
    retiring = {c for c in _subclasses(FoleyConfig) if c.retired and c.__module__.startswith('foleybook.')}
    names = {c.__name__ for c in retiring}
    assert {'VQVAEConfig', 'PixelSNAILConfig', 'ClassifierConfig', 'VQGANConfig', 'GPTConfig', 'DiffWaveConfig',
            'SashimiConfig',
            'AudioDiffusionConfig', 'KLVAEConfig', 'TierConfig', 'BigVGANConfig'} <= names, names
    for c in retiring:
        cfg = c.preset(next(iter(c.presets)))
        assert not set(c.retired) & set(cfg.to_dict()), c          # no longer fields
        old = {'config_class': c.__name__, **cfg.to_dict(), **{k: 1 for k in c.retired}}
        (tmp_path/f'{c.__name__}.json').write_text(json.dumps(old))
        assert c.load_json(tmp_path/f'{c.__name__}.json') == cfg, c
        with pytest.raises(ConfigError, match='were training settings'): c.from_dict({**cfg.to_dict(), c.retired[0]: 1})


def test_an_old_saved_folder_loads(tmp_path):
    ("A VQ-VAE folder whose config.json carries the old training fields (as saved before) loads; a misspelt key does "
     "not.")
    m = VQVAE(VQVAEConfig.preset('debug')).save_pretrained(tmp_path/'vq')
    d = json.loads((m/'config.json').read_text())
    (m/'config.json').write_text(json.dumps({**d, 'lr': 3e-3, 'bs': 8, 'epochs': 2}))
    assert load_pretrained(m).config == VQVAEConfig.preset('debug')
    (m/'config.json').write_text(json.dumps({**d, 'lrr': 3e-3}))
    with pytest.raises(ConfigError, match=r"no field\(s\) \['lrr'\]"): load_pretrained(m)


def test_nested_retired_fields(tmp_path):
    "The latent preset's nested KL-VAE config lost its lr / bs too: an old file with both levels loads."
    cfg = AudioDiffusionConfig.preset('latent')
    old = cfg.to_dict()
    old.update(lr=1e-4, warmup=500, ema_max=0.9999, epochs=100); old['vae'].update(lr=4.5e-6, bs=16)
    (tmp_path/'c.json').write_text(json.dumps({'config_class': 'AudioDiffusionConfig', **old}))
    assert AudioDiffusionConfig.load_json(tmp_path/'c.json') == cfg


def test_moved_fields_go_to_the_trainer(tmp_path):
    """Loss weights and discriminator starts left VQGANConfig, KLVAEConfig and BigVGANConfig for their trainers'
    extras: an old config.json with them loads, its values kept aside (`moved_values`), and a trainer given that config
    takes them up."""
    from foleybook.codecs.vqgan import VQGANConfig
    from foleybook.codecs.klvae import KLVAEConfig
    from foleybook.vocoders.bigvgan import BigVGANConfig
    from foleybook.train.trainers import resolve
    olds = {VQGANConfig: dict(disc_start=2001, disc_weight=0.5, perceptual_weight=0., codebook_weight=1.,
                              rec_weight=1.),
            KLVAEConfig: dict(kl_weight=1e-5, perceptual_weight=0.5, disc_weight=0.25, disc_start=7),
            BigVGANConfig: dict(lambda_melloss=45.)}
    for cls, moved in olds.items():
        cfg = cls.preset('debug')
        assert not set(moved) & set(cfg.to_dict()) and set(cls.moved) == set(moved), cls   # architecture only now
        (tmp_path/'c.json').write_text(json.dumps({'config_class': cls.__name__, **cfg.to_dict(), **moved}))
        back = cls.load_json(tmp_path/'c.json')
        assert back == cfg and back.moved_values == {cls.moved[k]: v for k, v in moved.items()}, cls
        with pytest.raises(ConfigError, match="trainer's extras"): cls.from_dict({**cfg.to_dict(), **moved})
    vq = {'config_class': 'VQGANConfig', **VQGANConfig.preset('debug').to_dict(), **olds[VQGANConfig]}
    (tmp_path/'vq.json').write_text(json.dumps(vq))
    x = resolve('vqgan', VQGANConfig.load_json(tmp_path/'vq.json')).extras
    assert (x.disc_start, x.disc_weight, x.perceptual_weight) == (2001, 0.5, 0.)        # the old file's values, moved
    assert resolve('vqgan', 'debug', model=dict(disc_start=9)).extras.disc_start == 9   # an older preset's model key
    assert resolve('vqgan', 'vas').extras.disc_start == 2001                            # per preset
    assert resolve('vqgan', 'debug').extras.disc_start == 2
    bv = {'config_class': 'BigVGANConfig', **BigVGANConfig.preset('debug').to_dict(), 'lambda_melloss': 30.}
    (tmp_path/'bv.json').write_text(json.dumps(bv))
    assert resolve('bigvgan', BigVGANConfig.load_json(tmp_path/'bv.json')).extras.weights == {'mel': 30.}
    assert resolve('klvae', 'demo').extras.disc_start == 500


def test_nested_moved_fields(tmp_path):
    "A latent audio-diffusion config saved with its KL-VAE's loss weights inside loads: the nested weights are dropped."
    cfg = AudioDiffusionConfig.preset('latent')
    old = cfg.to_dict(); old['vae'].update(kl_weight=1e-6, perceptual_weight=1., disc_weight=0.5, disc_start=10001)
    (tmp_path/'c.json').write_text(json.dumps({'config_class': 'AudioDiffusionConfig', **old}))
    assert AudioDiffusionConfig.load_json(tmp_path/'c.json') == cfg


def test_removed_options_load_off_and_are_refused_on(tmp_path):
    """Options no preset used left the configs (`FoleyConfig.removed`: SaShiMi's position features and spectral masks,
    the diffusion's non-uniform step draw): a config.json holding them off loads as before, nested ones too; one
    holding them on is refused with a `ConfigError` naming the option (its weights hold layers the model lacks)."""
    from foleybook.diffusion.sashimi import Sashimi, SashimiConfig
    from foleybook.diffusion.core import DiffusionConfig
    discover()
    removing = {c.__name__: c for c in _subclasses(FoleyConfig) if c.removed and c.__module__.startswith('foleybook.')}
    assert set(removing['SashimiConfig'].removed) == {'positions', 'spectral', 'spectral_fft'}
    assert set(removing['DiffusionConfig'].removed) == {'t_power', 'noise', 'noise_floor', 'noise_spread'}
    for c in removing.values():
        cfg = c.preset(next(iter(c.presets)))
        assert not set(c.removed) & set(cfg.to_dict()), c
        off = {k: 3 if v is ... else v for k, v in c.removed.items()}
        (tmp_path/'off.json').write_text(json.dumps({'config_class': c.__name__, **cfg.to_dict(), **off}))
        assert c.load_json(tmp_path/'off.json') == cfg, c
        for k, v in c.removed.items():
            if v is ...: continue
            on = 8 if not isinstance(v, (int, float)) or v != 8 else 9
            (tmp_path/'on.json').write_text(json.dumps({'config_class': c.__name__, **cfg.to_dict(), k: on}))
            with pytest.raises(ConfigError, match=f"'{k}': {on}}} are options foleybook does not have"):
                c.load_json(tmp_path/'on.json')
            with pytest.raises(ConfigError, match='are options foleybook does not have'): c.from_dict({k: v})
    # a saved SaShiMi folder as the demo's was written: every removed key off, the nested diffusion's too
    m = Sashimi(SashimiConfig.preset('debug', film=True)).save_pretrained(tmp_path/'sash')
    d = json.loads((m/'config.json').read_text())
    d.update(positions=0, spectral=0, spectral_fft=256); d['diffusion']['t_power'] = 1.0
    (m/'config.json').write_text(json.dumps(d))
    assert load_pretrained(m).config == SashimiConfig.preset('debug', film=True)
    d['diffusion']['t_power'] = 2.0
    (m/'config.json').write_text(json.dumps(d))
    with pytest.raises(ConfigError, match=r"DiffusionConfig: \{'t_power': 2.0\}"): load_pretrained(m)
    assert DiffusionConfig.removed == {'t_power': 1.0, 'noise': 'white', 'noise_floor': None, 'noise_spread': ...}


def test_sampler_and_noise_split_off_the_diffusion_section(tmp_path):
    """A config.json whose diffusion section holds the sampler options, a student's `sampling` and the noise prior (as
    every diffusion model saved them) loads with them split off into `sampler_config` and `noise`; code that passes
    them in the diffusion section is told where they are."""
    from foleybook.diffusion.sashimi import Sashimi, SashimiConfig
    from foleybook.diffusion.diffwave_blocks import DiffWaveConfig
    from foleybook.diffusion.solvers import SAMPLER_KEYS
    from foleybook.diffusion.noise import NOISE_KEYS
    old = dict(fast_betas=[1e-4, 0.01, 0.3], timestep_spacing='trailing', clip_sample=2.0, solver_type='heun',
               sampling=dict(sampler='ddim', steps=2), noise='harmonic', noise_floor=0.2, noise_spread=0.05)
    for cls in (SashimiConfig, DiffWaveConfig):
        cfg = cls.preset('debug')
        d = cfg.to_dict()
        d['diffusion'].update({**{k: v for k, v in d.pop('sampler_config').items() if k != 'defaults'}, **old})
        del d['noise']
        (tmp_path/'c.json').write_text(json.dumps({'config_class': cls.__name__, **d}))
        back = cls.load_json(tmp_path/'c.json')
        assert back.diffusion == cfg.diffusion
        want = dict(fast_betas=(1e-4, 0.01, 0.3), timestep_spacing='trailing', clip_sample=2.0, solver_type='heun',
                    defaults=dict(sampler='ddim', steps=2))
        assert back.sampler_config == cfg.sampler_config.replace(**want)
        assert (back.noise.prior, back.noise.floor, back.noise.spread) == ('harmonic', 0.2, 0.05)
        with pytest.raises(ConfigError, match=r"diffusion has no field\(s\) \['fast_betas'\]: they are its "
                                              r"sampler_config's \['fast_betas'\] now"):
            cls.preset('debug', diffusion=dict(fast_betas=(1e-4, 0.5)))
    # an audio-diffusion config.json: its sampler options split off, a white noise prior dropped
    cfg = AudioDiffusionConfig.preset('debug')
    d = cfg.to_dict()
    d['diffusion'].update({k: v for k, v in d.pop('sampler_config').items() if k != 'defaults'},
                          timestep_spacing='leading', noise='white', noise_floor=None)
    d.update(cfg.sampling_defaults)   # its sampling options as the fields of its own they were
    (tmp_path/'a.json').write_text(json.dumps({'config_class': 'AudioDiffusionConfig', **d}))
    back = AudioDiffusionConfig.load_json(tmp_path/'a.json')
    assert back == cfg.replace(sampler_config=cfg.sampler_config.replace(timestep_spacing='leading'))
    assert set(SAMPLER_KEYS.values()) == {f.name for f in dataclasses.fields(type(cfg.sampler_config))}
    noise = SashimiConfig().noise
    assert set(NOISE_KEYS.values()) == {f.name for f in dataclasses.fields(type(noise))}
    assert noise.prior == 'white' and Sashimi(SashimiConfig.preset('debug')).noise_prior is None


def test_audio_diffusion_sampling_fields_go_to_the_sampler_config(tmp_path):
    """An audio-diffusion config.json with its sampling options as fields of its own (`sampler`, `steps`, `eta`,
    `guidance`, as every audio-diffusion model saved them) loads with them in its sampler config's `defaults`, over a
    student's `sampling` there; a model built from it samples as they say; code that passes them is told where they
    are."""
    from foleybook.diffusion.audio_diffusion import AudioDiffusion
    cfg = AudioDiffusionConfig.preset('debug')
    d = cfg.to_dict()
    d['diffusion'].update({k: v for k, v in d.pop('sampler_config').items() if k != 'defaults'},
                          sampling=dict(sampler='ddim', steps=3, eta=1.))
    d.update(sampler='unipc', steps=4, eta=0.5, guidance=2.)
    (tmp_path/'a.json').write_text(json.dumps({'config_class': 'AudioDiffusionConfig', **d}))
    back = AudioDiffusionConfig.load_json(tmp_path/'a.json')
    want = dict(sampler='unipc', steps=4, eta=0.5, guidance=2.)
    assert back.sampler_config == cfg.sampler_config.replace(defaults=want)
    assert back.sampling_defaults == want and back == cfg.replace(sampler_config=back.sampler_config)
    m = AudioDiffusion(back)
    assert m.sampling() == dict(sampler='unipc', network_calls=4)
    assert m.options['eta'][0] == 0.5 and m.options['guidance'][0] == 2.
    # the layout before the sampler config (the committed demo's): the four fields beside a diffusion section
    old = {**{k: v for k, v in cfg.to_dict().items() if k != 'sampler_config'}, 'sampler': 'ddim', 'steps': 20,
           'eta': 1., 'guidance': 1.}
    (tmp_path/'b.json').write_text(json.dumps({'config_class': 'AudioDiffusionConfig', **old}))
    assert AudioDiffusionConfig.load_json(tmp_path/'b.json').sampler_config.defaults == dict(sampler='ddim', steps=20,
                                                                                             eta=1., guidance=1.)
    for k, v in want.items():
        with pytest.raises(ConfigError, match=rf"AudioDiffusionConfig has no field\(s\) \['{k}'\]: they are its "
                                              rf"sampler_config.defaults's \['{k}'\] now"):
            AudioDiffusionConfig.from_dict({**cfg.to_dict(), k: v})
    d.update(sampler='euler')
    (tmp_path/'c.json').write_text(json.dumps({'config_class': 'AudioDiffusionConfig', **d}))
    with pytest.raises(ConfigError, match=r"sampler_config.defaults: sampler must be one of"):
        AudioDiffusionConfig.load_json(tmp_path/'c.json')


def test_sampler_config_is_saved_beside_the_architecture(tmp_path):
    """A diffusion model folder keeps its sampler settings (generation options, a student's defaults) in
    `sampler_config.json` beside `config.json`, which holds the architecture and its noise schedule; it loads back the
    same, and a folder of the older layout (the sampler settings inside config.json) loads the same."""
    from foleybook.diffusion.sashimi import Sashimi, SashimiConfig
    from foleybook.diffusion.diffwave import DiffWave
    from foleybook.diffusion.diffwave_blocks import DiffWaveConfig
    from foleybook.diffusion.audio_diffusion import AudioDiffusion
    for cls, cfg in ((Sashimi, SashimiConfig.preset('debug')), (DiffWave, DiffWaveConfig.preset('debug')),
                     (AudioDiffusion, AudioDiffusionConfig.preset('debug'))):
        cfg = cfg.replace(sampler_config=cfg.sampler_config.replace(defaults=dict(sampler='ddim', steps=3)))
        f = cls(cfg).save_pretrained(tmp_path/cls.__name__)
        assert {p.name for p in f.iterdir()} >= {'config.json', 'model.safetensors', 'sampler_config.json'}
        on_disk = json.loads((f/'config.json').read_text())
        assert 'sampler_config' not in on_disk and 'diffusion' in on_disk, cls
        assert json.loads((f/'sampler_config.json').read_text())['defaults'] == dict(sampler='ddim', steps=3)
        assert load_pretrained(f).config == cfg
        old = {**on_disk, 'sampler_config': json.loads((f/'sampler_config.json').read_text())}
        (f/'sampler_config.json').unlink(); (f/'config.json').write_text(json.dumps(old))
        assert load_pretrained(f).config == cfg
