("KL-VAE: loading a diffusers AutoencoderKL folder (outputs equal diffusers'), unsupported configs, safetensors + JSON "
 "round trip.")
import json
import pytest, torch
from foleybook.core import ConfigError, CheckpointError
from foleybook.pretrained import load_pretrained
from foleybook.codecs.klvae import KLVAE, KLVAEConfig

diffusers = pytest.importorskip('diffusers')

def _tiny(**kw):
    torch.manual_seed(0)
    a = dict(in_channels=1, out_channels=1, down_block_types=('DownEncoderBlock2D',) * 4,
             up_block_types=('UpDecoderBlock2D',) * 4,
             block_out_channels=(8, 16, 16, 32), layers_per_block=1, latent_channels=1, norm_num_groups=4)
    return diffusers.AutoencoderKL(**{**a, **kw}).eval()

def test_loads_diffusers_autoencoderkl(tmp_path):
    ref = _tiny()
    ref.save_pretrained(tmp_path)
    assert (tmp_path/'diffusion_pytorch_model.safetensors').is_file()
    mine = KLVAE.from_diffusers(tmp_path)
    assert mine.config.factor == 8 and mine.config.channels == (8, 16, 16, 32)
    assert sum(p.numel() for p in mine.parameters()) == sum(p.numel() for p in ref.parameters())
    x = torch.rand(3, 1, 32, 40) * 2 - 1
    with torch.no_grad():
        dz, z = ref.encode(x).latent_dist.mean, mine.encode(x)
        dlv = ref.encode(x).latent_dist.logvar
        dx, xx = ref.decode(z).sample, mine.decode(z)
    assert z.shape == (3, 1, 4, 5)
    assert (dz - z).abs().max() <= 1e-5          # stated tolerance: 1e-5 (fp32)
    assert (dlv - mine.posterior(x).logvar).abs().max() <= 1e-5
    assert (dx - xx).abs().max() <= 1e-5
    assert (dx - xx).abs().max() < 1e-3 * dx.abs().max()

def test_without_quant_convs(tmp_path):
    ref = _tiny(use_quant_conv=False, use_post_quant_conv=False, latent_channels=2)
    ref.save_pretrained(tmp_path)
    mine = KLVAE.from_diffusers(tmp_path)
    assert not mine.config.quant_conv and isinstance(mine.quant_conv, torch.nn.Identity)
    x = torch.rand(1, 1, 16, 16) * 2 - 1
    with torch.no_grad(): assert (ref.encode(x).latent_dist.mean - mine.encode(x)).abs().max() <= 1e-5

@pytest.mark.parametrize('change, says', [
    (dict(act_fn='gelu'), "act_fn='gelu'"),
    (dict(down_block_types=['DownEncoderBlock2D', 'AttnDownEncoderBlock2D', 'DownEncoderBlock2D',
                            'DownEncoderBlock2D']), "down block 'AttnDownEncoderBlock2D'"),
    (dict(mid_block_add_attention=False), "mid_block_add_attention=False"),
    (dict(out_channels=3), "in_channels=1 != out_channels=3"),
    (dict(use_post_quant_conv=False), "use_quant_conv != use_post_quant_conv"),
    (dict(_class_name='VQModel'), "_class_name 'VQModel' is not supported"),
    (dict(latents_mean=[0.1]), "latents_mean=[0.1]"),
])
def test_unsupported_configs(tmp_path, change, says):
    _tiny().save_pretrained(tmp_path)
    cfg = json.loads((tmp_path/'config.json').read_text())
    (tmp_path/'config.json').write_text(json.dumps({**cfg, **change}))
    with pytest.raises(ConfigError, match='unsupported|not supported') as e: KLVAE.from_diffusers(tmp_path)
    assert says in str(e.value) and 'config.json' in str(e.value)

def test_bad_folders(tmp_path):
    with pytest.raises(CheckpointError, match='no config.json'): KLVAE.from_diffusers(tmp_path)
    _tiny().save_pretrained(tmp_path)
    cfg = json.loads((tmp_path/'config.json').read_text())
    (tmp_path/'config.json').write_text(json.dumps({**cfg, 'layers_per_block': 2}))   # weights of a 1-layer model
    with pytest.raises(CheckpointError, match='do not fit the config'): KLVAE.from_diffusers(tmp_path)

def test_save_load_pretrained(tmp_path):
    torch.manual_seed(0)
    vae = KLVAE(KLVAEConfig.preset('debug')).eval()
    vae.save_pretrained(tmp_path/'vae')
    files = sorted(p.name for p in (tmp_path/'vae').iterdir())
    assert any(f.endswith('.safetensors') for f in files) and 'config.json' in files
    assert json.loads((tmp_path/'vae'/'config.json').read_text())['model_class'] == 'KLVAE'
    back = load_pretrained(tmp_path/'vae')
    assert type(back) is KLVAE and back.config == vae.config
    x = torch.rand(2, 1, 16, 24) * 2 - 1
    with torch.no_grad(): assert torch.equal(back.encode(x), vae.encode(x)) and torch.equal(back(x), vae(x))

def test_loaded_diffusers_vae_saves_as_foleybook(tmp_path):
    _tiny().save_pretrained(tmp_path/'d')
    mine = KLVAE.from_diffusers(tmp_path/'d')
    mine.save_pretrained(tmp_path/'f')
    back = load_pretrained(tmp_path/'f')
    x = torch.rand(1, 1, 16, 16) * 2 - 1
    with torch.no_grad(): assert torch.equal(back.encode(x), mine.encode(x))


def test_klvae_trainer_saves_through_fit_pretrained(tmp_path):
    from foleybook.diffusion.audio_diffusion_train import train_klvae
    final = train_klvae('synth', out=tmp_path / 'vae', epochs=1, n_synth=1, quiet=True)
    assert final == tmp_path / 'vae' / 'final' and any((tmp_path / 'vae' / 'checkpoints').iterdir())
    vae = load_pretrained(final)
    assert type(vae) is KLVAE and not hasattr(vae, 'discriminator')          # the GANPair's generator only
    keys = json.loads((final / 'config.json').read_text())
    assert keys['model_class'] == 'KLVAE'
    t = (final / 'config.json').stat().st_mtime_ns
    # finished: not trained again
    assert train_klvae('synth', out=tmp_path / 'vae', epochs=1, n_synth=1, quiet=True) == final
    assert (final / 'config.json').stat().st_mtime_ns == t
