"""SpecVQGAN (issue 14): the VQGAN codebook model and its losses, the GPT prior (reference parameter counts, KV-cache
sampling equal to full recompute), the procedural visual features, the trainers, the pipeline and bad input."""
import json
import numpy as np, pytest, torch
from foleybook.core import ConfigError, DataError, CheckpointError, FoleyError
from foleybook.pretrained import n_params, load_pretrained
from foleybook.train.trainers import get_trainer
from foleybook.protocols import Codec, Prior, Generator
from foleybook.codecs.vqgan import VQGAN, VQGANConfig, vqgan_param_count
from foleybook.codecs.vqgan_train import perceptual_net, PerceptualLoss, vqgan_learner, train_vqgan, PatchDiscriminator
from foleybook.priors.transformer import SpecGPT, GPTConfig, gpt_param_count, to_sequence, from_sequence
from foleybook.priors.transformer_train import gpt_dls, gpt_learner, train_transformer
from foleybook.data.synth import SynthFoley, event_envelope
from foleybook.eval.classifier import FoleyClassifier, ClassifierConfig


def _meta(cls, cfg):
    with torch.device('meta'): return cls(cfg)


@pytest.mark.parametrize('preset', ['vggsound', 'vas', 'debug'])
def test_vqgan_param_count_by_formula(preset):
    cfg = VQGANConfig.preset(preset)
    m = _meta(VQGAN, cfg)
    c = vqgan_param_count(cfg)
    assert c['total'] == n_params(m)
    assert c['encoder'] == n_params(m.encoder) and c['decoder'] == n_params(m.decoder)
    assert c['codebook'] == cfg.n_codes * cfg.embed_dim


def test_vqgan_codec_shapes_and_bad_grids():
    vq = VQGAN(VQGANConfig.preset('debug')).eval()
    assert isinstance(vq, Codec)
    mel = torch.rand(2, 80, 64)
    codes = vq.encode(mel)
    assert codes.shape == (2, 10, 8) and codes.dtype == torch.long
    assert vq.decode(codes).shape == (2, 80, 64)
    with pytest.raises(DataError, match='code grid'): vq.decode(codes[:, :4])
    with pytest.raises(DataError, match=r'\[0, 32\)'): vq.decode(codes + 32)
    with pytest.raises(DataError, match='must be integers'): vq.decode(codes.float())
    big = _meta(VQGAN, VQGANConfig.preset('vggsound'))
    assert big.code_shape((80, 848)) == (5, 53) and big.downsample == (16, 16)


def test_vqgan_full_size_grid_is_5x53():
    torch.manual_seed(0)
    vq = VQGAN(VQGANConfig.preset('vas')).eval()
    assert vq.encode(torch.rand(1, 80, 848)).shape == (1, 5, 53)


def test_gpt_reference_parameter_counts():
    five, all212 = _meta(SpecGPT, GPTConfig.preset('vggsound')), _meta(SpecGPT, GPTConfig.preset('vggsound_212'))
    assert n_params(five) == 306_783_232
    assert n_params(five.feat_proj) == 2_098_176
    assert n_params(five) - n_params(five.feat_proj) == 304_685_056
    assert n_params(all212) == 306_995_200
    assert five.config.block_size == 270 and all212.config.block_size == 477
    for p in GPTConfig.presets:
        cfg = GPTConfig.preset(p)
        assert gpt_param_count(cfg)['total'] == n_params(_meta(SpecGPT, cfg)), p


def test_time_major_order():
    g = torch.arange(12).reshape(1, 3, 4)
    assert to_sequence(g)[0, :6].tolist() == [0, 4, 8, 1, 5, 9]
    assert torch.equal(from_sequence(to_sequence(g), (3, 4)), g)


@pytest.mark.parametrize('kind', ['feature', 'class', 'none'])
def test_kv_cache_sampling_equals_full_recompute(kind):
    torch.manual_seed(0)
    over = dict(feature=dict(p_uncond=0.1), **{'class': dict(cond='class', n_classes=3, p_uncond=0.1)},
                none=dict(cond='none'))[kind]
    gpt = SpecGPT(GPTConfig.preset('debug', **over)).eval()
    cond = dict(feature=torch.randn(4, 2048), none=None, **{'class': 2})[kind]
    prime = torch.randint(0, 32, (1, 10, 8))
    for kw in [dict(top_k=10), dict(top_p=0.8, temperature=0.7), dict(prime=prime, prime_frac=0.25)] + \
              ([dict(guidance=2.5, top_k=16)] if kind != 'none' else []):
        a = gpt.sample(cond, 3, seed=7, **kw)
        b = gpt.sample(cond, 3, seed=7, method='full', **kw)
        assert torch.equal(a, b), kw
    assert not torch.equal(gpt.sample(cond, 3, seed=7), gpt.sample(cond, 3, seed=8))
    cont = gpt.sample(cond, 2, seed=0, prime=prime, prime_frac=0.5)
    assert torch.equal(cont[:, :, :4], prime[:, :, :4].expand(2, -1, -1))


def test_gpt_is_causal_in_time_major_order():
    torch.manual_seed(0)
    gpt = SpecGPT(GPTConfig.preset('debug', cond='none')).eval()
    codes = torch.randint(0, 32, (1, 10, 8))
    base = gpt(codes)
    seq = to_sequence(codes)
    for p in (0, 13, 55, 79):
        s = seq.clone(); s[0, p] = (s[0, p] + 1) % 32
        d = (gpt(from_sequence(s, (10, 8))) - base).abs().amax(-1)[0]
        assert d[:p + 1].max() == 0
        if p < 79: assert d[p + 1:].max() > 0


def test_sampling_bad_input(tmp_path):
    gpt = SpecGPT(GPTConfig.preset('debug')).eval()
    assert isinstance(gpt, Prior)
    f = torch.randn(4, 2048)
    with pytest.raises(FoleyError, match='vocabulary of 32'): gpt.sample(f, top_k=33)
    with pytest.raises(FoleyError, match='p_uncond'): gpt.sample(f, guidance=2.)
    with pytest.raises(FoleyError, match=r'\(frames, 2048\)'): gpt.sample(torch.randn(4, 1024))
    with pytest.raises(FoleyError, match='expected 4 feature frames'): gpt.sample(torch.randn(9, 2048))
    np.save(tmp_path/'narrow.npy', np.zeros((16, 1000), np.float32))
    with pytest.raises(DataError, match='narrow.npy'): gpt.load_features(tmp_path/'narrow.npy')
    np.save(tmp_path/'short.npy', np.zeros((7, 2048), np.float32))
    with pytest.raises(DataError, match='short.npy.*expected 4 feature frames'): gpt.load_features(tmp_path/'short.npy')
    assert gpt.load_features(_save(tmp_path/'whole.npy', np.zeros((16, 2048), np.float32))).shape == (1, 4, 2048)
    with pytest.raises(DataError, match=r'code grids \(n, 10, 8\)'): gpt(torch.zeros(1, 5, 8, dtype=torch.long), f)
    with pytest.raises(DataError, match='codebook'): gpt(torch.full((1, 10, 8), 40), f)
    with pytest.raises(DataError, match=r'code grids'):
        gpt.sample(f, prime=torch.zeros(1, 10, 3, dtype=torch.long), prime_frac=0.5)


def _save(p, a): np.save(p, a); return p


def test_perceptual_network_is_required_and_checked(tmp_path):
    mel = VQGANConfig.preset('debug').mel
    with pytest.raises(ConfigError, match='no pretrained audio network'): perceptual_net(None, mel)
    with pytest.raises(CheckpointError, match='config.json missing'): perceptual_net(tmp_path/'nothing', mel)
    clf = FoleyClassifier(ClassifierConfig.preset('debug', mel=mel, classes=('a', 'b')))
    folder = clf.save_pretrained(tmp_path/'clf')
    (folder/'model.safetensors').write_bytes(b'not a safetensors file')
    with pytest.raises(CheckpointError): perceptual_net(folder, mel)
    other = FoleyClassifier(ClassifierConfig.preset('debug', classes=('a', 'b')))
    with pytest.raises(ConfigError, match='trained on mels'): perceptual_net(other, mel)
    pl = PerceptualLoss(perceptual_net(clf, mel))
    x = torch.rand(2, 80, 64)
    assert pl(x, x) == 0 and 0 < pl(x + 0.01 * torch.randn_like(x), x) < pl(torch.rand_like(x), x)
    with pytest.raises(ConfigError, match='no pretrained audio network'): vqgan_learner(None, 'debug')


def test_discriminator_count_by_hand():
    d = PatchDiscriminator()
    assert n_params(d) == (16*64 + 64) + (64*128*16 + 256) + (128*256*16 + 512) + (256*512*16 + 1024) + (512*16 + 1)


def test_visual_features_follow_events():
    sf = SynthFoley(3, seed=0, classes=['GunShot', 'Rain'])
    f = sf.visual_features('GunShot', 0)
    assert f.shape == (86, 2048) and f.dtype == np.float32
    assert np.array_equal(f, sf.visual_features('GunShot', 0))
    assert not np.allclose(f, SynthFoley(3, seed=1).visual_features('GunShot', 0))
    # frames around the loud events differ most from the quiet ones: features track the loudness envelope
    loud, _ = event_envelope(sf.clip('GunShot', 0), sf.sr, 86)
    norm = np.linalg.norm(f, axis=1)
    assert np.corrcoef(norm, loud)[0, 1] > 0.5


@pytest.fixture(scope='module')
def synth(tmp_path_factory):
    d = tmp_path_factory.mktemp('spec')
    sf = SynthFoley(3, seed=0, classes=['DogBark', 'Rain'])
    return sf.write(d/'synth'), sf.write_features(d/'features'), d


def test_vqgan_reconstruction_loss_falls():
    "L1 + codebook loss on two SynthFoley mels: the reconstruction error falls well below predicting the mean."
    from foleybook.audio import MelSpectrogram
    sf = SynthFoley(1, seed=0, classes=['DogBark', 'Rain'])
    cfg = VQGANConfig.preset('debug', n_frames=32)
    mel = MelSpectrogram(cfg.mel)(torch.stack([torch.tensor(sf.clip(c, 0)) for c in sf.classes]))[..., 100:132]
    torch.manual_seed(0)
    m = VQGAN(cfg)
    opt = torch.optim.Adam(m.parameters(), 3e-4, betas=(0.5, 0.9))
    rec = []
    for _ in range(60):
        r = m(mel); l1 = (r - mel).abs().mean()
        opt.zero_grad(); (l1 + m.vq_loss).backward(); opt.step(); rec.append(l1.item())
    assert min(rec[-10:]) < 0.5 * rec[0], rec


def test_gpt_training_loss_falls():
    torch.manual_seed(0)
    labels = torch.randint(0, 3, (48,))
    codes = torch.randint(0, 32, (48, 10, 8)); codes[:, 0, 0] = labels * 5
    learn = gpt_learner(gpt_dls(codes, labels, bs=16, valid_pct=0.25),
                        GPTConfig.preset('debug', cond='class', n_classes=3))
    with learn.no_bar(), learn.no_logging(): learn.fit(15, 3e-3)
    losses = [v[0] for v in learn.recorder.values]
    assert losses[-1] < losses[0] - 0.2, losses


def test_trainers_and_pipeline_end_to_end(synth):
    from foleybook.systems.specvqgan.pipeline import SpecVQGANPipeline, sources_from_folder
    root, froot, d = synth
    clf = FoleyClassifier(ClassifierConfig.preset('debug', mel=VQGANConfig.preset('debug').mel,
                                                  classes=('DogBark', 'Rain')))
    vq_dir = get_trainer('vqgan')(root, preset='debug', out=d/'vq', perceptual=clf, epochs=1, bs=2)
    assert isinstance(load_pretrained(vq_dir), VQGAN)
    with pytest.raises(ConfigError, match='features='):
        train_transformer(root, preset='debug', out=d/'g0', codec=vq_dir)
    gdir = get_trainer('transformer')(root, preset='debug', out=d/'gpt', codec=vq_dir, features=froot, epochs=1, bs=2,
                                      valid_pct=0.34)
    gpt = load_pretrained(gdir)
    assert gpt.config.feat_len == 86 and gpt.config.code_shape == (10, 8)
    pipe = SpecVQGANPipeline(gpt, load_pretrained(vq_dir), sources=sources_from_folder(root, froot))
    assert isinstance(pipe, Generator)
    w = pipe.generate('Rain/001', 2, seed=0, top_k=5, prime_frac=0.5)
    assert w.shape == (2, pipe.n_samples) and torch.isfinite(w).all()
    assert torch.equal(w, pipe.generate('Rain/001', 2, seed=0, top_k=5, prime_frac=0.5))
    with pytest.raises(ConfigError, match='unknown source clip'): pipe.generate('Rain/009')


def test_cli_style_training_on_synth(tmp_path):
    ("`foleybook train vqgan --data synth` / `train transformer --data synth --set codec=...` go through the TRAINERS "
     "table.")
    vq = get_trainer('vqgan')('synth', preset='debug', out=tmp_path/'vq', perceptual_weight=0., epochs=1, bs=8)
    assert (tmp_path/'vq'/'synth'/'metadata.csv').is_file() and isinstance(load_pretrained(vq), VQGAN)
    g = get_trainer('transformer')('synth', preset='debug', out=tmp_path/'g', codec=vq, epochs=1, bs=8)
    assert load_pretrained(g).config.feat_len == 86 and (tmp_path/'g'/'synth_features'/'Rain'/'000.npy').is_file()


def test_vqgan_quantizer_options_reach_the_quantizer_and_use_the_codebook():
    ("Defaults are the reference's gradient codebook; the EMA + k-means++ + restart options reach the quantizer and "
     "use more codes.")
    torch.manual_seed(0)
    ref = VQGAN(VQGANConfig.preset('debug')).quantizer
    assert (ref.ema, ref.restart_after, bool(ref.initted)) == (False, 0, True)          # random init: nothing to seed
    m = VQGAN(VQGANConfig.preset('debug', vq_ema=True, vq_init='data', restart_after=3)).train()
    q = m.quantizer
    assert (q.ema, q.restart_after, bool(q.initted)) == (True, 3, False)
    x = torch.rand(8, 80, 64)
    m(x)
    assert bool(q.initted)                                                              # seeded from the first batch
    used = len(m.encode(x).unique())
    torch.manual_seed(0); r = VQGAN(VQGANConfig.preset('debug')).eval()
    assert used > len(r.encode(x).unique())                                             # k-means++ seeds cover the data
    with pytest.raises(ConfigError): VQGAN(VQGANConfig.preset('debug', vq_init='kmeans'))
