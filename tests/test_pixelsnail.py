"PixelSNAIL prior and Foley pipeline: causality, exact fast sampling, checkpoints, training/resume, DCASE layout."
import os
os.environ.setdefault('OMP_NUM_THREADS', '1')
import pytest, torch, soundfile as sf
from torch import nn
from fastai.callback.core import Callback
from foleybook.core import CheckpointError, ConfigError, DataError
from foleybook.priors.pixelsnail import PixelSNAIL, PixelSNAILConfig, Prior, check_causality, step_logits
from foleybook.priors.pixelsnail_train import train_prior
from foleybook.priors.sampling import sample_logits
from foleybook.data.loaders import write_codes
from foleybook.seeds import clip_seeds
from foleybook.systems.dcase2023.pipeline import FoleyPipeline

torch.set_num_threads(1)

def _model(seed=0, **kw):
    torch.manual_seed(seed)
    return PixelSNAIL(PixelSNAILConfig.preset('debug', **kw)).eval()

# the variants of the architecture: kernel 5 (the DCASE size) and even kernels, no attention, no cond stack,
# output residual blocks, unconditional
VARIANTS = [dict(), dict(kernel=5, height=5, width=7), dict(kernel=4, attention=False),
            dict(n_cond_res_blocks=0, n_out_res_blocks=1),
            dict(n_classes=0),
            # the baseline's layout (strict causal convs and attention, linear class MLP, 1-channel class map)
            dict(causal='strict', embed_act=False, n_cond_res_blocks=0),
            dict(causal='strict', embed_act=False, n_cond_res_blocks=0, kernel=4, height=5),
            dict(causal='strict', kernel=5, attention=False, n_out_res_blocks=1)]

@pytest.mark.parametrize('kw', VARIANTS)
def test_causality(kw):
    m = _model(**kw)
    assert check_causality(m, cond=None if kw.get('n_classes') == 0 else 1)

@pytest.mark.parametrize('kw', VARIANTS)
def test_step_equals_forward(kw):
    m = _model(**kw)
    cond = None if kw.get('n_classes') == 0 else torch.tensor([0, 2])
    codes = torch.randint(0, m.config.n_codes, (2, m.config.height, m.config.width))
    with torch.no_grad(): torch.testing.assert_close(step_logits(m, codes, cond), m(codes, cond), atol=1e-4, rtol=1e-4)

@pytest.mark.parametrize('temperature,top_k', [(1., None), (0.7, 5), (0., None)])
def test_fast_sampler_equals_naive(temperature, top_k):
    # the small preset's layers (kernel 5, 4 heads, 2 blocks) on a short map, so the naive loop stays quick
    torch.manual_seed(0)
    m = PixelSNAIL(PixelSNAILConfig.preset('small', height=2, width=9, n_codes=32, n_classes=3)).eval()
    logs = {'fast': [], 'naive': []}
    out = {k: m.sample(torch.tensor([0, 2]), 2, temperature=temperature, top_k=top_k, seed=5, method=k,
                       on_step=lambda r, c, l, k=k: logs[k].append(l.clone())) for k in logs}
    assert len(logs['fast']) == 18
    torch.testing.assert_close(torch.stack(logs['fast']), torch.stack(logs['naive']), atol=1e-4, rtol=1e-4)
    assert torch.equal(out['fast'], out['naive'])

def test_seeded_and_training_mode_restored():
    m = _model()
    m.train()
    a = m.sample(1, 4, seed=123)
    assert m.training                                   # sample() switches to eval and back
    assert torch.equal(a, m.sample(1, 4, seed=123))
    assert not torch.equal(a, m.sample(1, 4, seed=124))
    assert a.shape == (4, 4, 6) and a.dtype == torch.long and 0 <= a.min() and a.max() < 16
    torch.manual_seed(9); b = m.sample(1, 2)
    torch.manual_seed(9); assert torch.equal(b, m.sample(1, 2))   # seed=None follows torch's global RNG
    assert isinstance(m, Prior)

def test_sample_logits_top_k_and_temperature():
    g = torch.Generator().manual_seed(0)
    logits = torch.tensor([[0., 1., 2., 3.]]).expand(5000, 4)
    s = sample_logits(logits, top_k=2, generator=g)
    assert set(s.unique().tolist()) == {2, 3}
    frac3 = (s == 3).float().mean()
    assert abs(frac3 - torch.tensor([2., 3.]).softmax(0)[1]) < 0.03
    cold = sample_logits(logits, temperature=0.1, generator=g)
    assert (cold == 3).float().mean() > 0.99
    with pytest.raises(ConfigError): sample_logits(logits, temperature=-1)

def _wn(cin, cout, k=1, bias=True):   # weight norm's v and g, bias
    return cout * cin * k * k + cout + (cout if bias else 0)
def _gated(ch, hidden, k, aux=0, cond=0):
    return (_wn(ch, hidden, k) + _wn(hidden, 2 * ch, k) + (_wn(aux, hidden) if aux else 0)
            + (_wn(cond, 2 * ch, bias=False) if cond else 0))

def test_baseline_parameter_count():
    "The DCASE 2023 baseline's PixelSNAIL, counted by formula from its modules: 103,316,216 with its unused CondResNet."
    C, K, k, V, H, W, E = 256, 5, 5, 512, 20, 86, 2048
    block = 4 * _gated(C, C, K, cond=1) + _gated(2 * C + 2, C, 1) + _gated(C + 2, C, 1) + _gated(C, C, 1, aux=C // 2) \
            + _wn(C + 2, C // 2) + 2 * _wn(2 * C + 2, C // 2)
    inputs = (C * V * (k // 2) * k + 2 * C) + (C * V * ((k + 1) // 2) * (k // 2) + 2 * C)
    mlp = (7 * E + E) + 2 * (E * E + E) + (E * H * W + H * W)
    cond_resnet = _wn(V, C, 3) + 3 * _gated(C, C, 3)
    total = inputs + 4 * block + _wn(C, V) + mlp
    assert total + cond_resnet == 103_316_216 and cond_resnet == 6_493_184
    with torch.device('meta'):
        base, cond = (PixelSNAIL(PixelSNAILConfig.preset('dcase2023')),
                      PixelSNAIL(PixelSNAILConfig.preset('dcase2023_cond')))
    assert sum(p.numel() for p in base.parameters()) == total == 96_823_032   # the unused CondResNet is left out
    # dcase2023_cond: a 256-channel conditioning stack (3x3 conv from the 1-channel map + 3 gated blocks) feeds every
    # residual block
    stack = _wn(1, C, 3) + 3 * _gated(C, C, 3)
    assert sum(p.numel() for p in cond.parameters()) == total + stack + 16 * (_wn(C, 2 * C, bias=False) - _wn(1, 2 * C,
        bias=False)) == 104_227_832

@pytest.mark.parametrize('preset', ['debug', 'debug_baseline', 'small', 'dcase2023', 'dcase2023_cond'])
def test_preset_shapes(preset):
    cfg = PixelSNAILConfig.preset(preset)
    if preset.startswith('dcase2023'):   # shape-check the full model cheaply on the meta device
        with torch.device('meta'): m = PixelSNAIL(cfg)
        assert (cfg.height, cfg.width, cfg.n_codes, cfg.n_classes) == (20, 86, 512, 7)
        return
    m = PixelSNAIL(cfg).eval()
    x = torch.randint(0, cfg.n_codes, (2, cfg.height, cfg.width))
    with torch.no_grad(): assert m(x, torch.tensor([0, 1])).shape == (2, cfg.n_codes, cfg.height, cfg.width)

def test_bad_inputs():
    m = _model()
    x = torch.zeros(1, 4, 6, dtype=torch.long)
    with pytest.raises(ConfigError, match="class ids must be in"): m(x, 5)
    with pytest.raises(ConfigError, match="is class-conditional"): m(x)
    with pytest.raises(DataError, match="codes must be in"): m(x - 1, 0)
    with pytest.raises(DataError, match="expects LongTensor"): m(x.float(), 0)
    with pytest.raises(ConfigError, match="method must be"): m.sample(0, 1, method='magic')
    with pytest.raises(ConfigError, match="no preset"): PixelSNAILConfig.preset('huge')

def test_pretrained_round_trip(tmp_path):
    m = _model(3)
    m.save_pretrained(tmp_path/'p')
    m2 = PixelSNAIL.from_pretrained(tmp_path/'p')
    assert torch.equal(m.sample(2, 3, seed=1), m2.sample(2, 3, seed=1))
    PixelSNAILConfig.preset('debug', channels=8).save_json(tmp_path/'p'/'config.json')
    with pytest.raises(CheckpointError, match="shape mismatches"): PixelSNAIL.from_pretrained(tmp_path/'p')

# ---- training from a code file, interrupted and resumed ----

def _toy_file(path, n=40, seed=0):
    cfg = PixelSNAILConfig.preset('debug')
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 3, (n,), generator=g)
    r, c = torch.arange(cfg.height)[:, None], torch.arange(cfg.width)[None]
    codes = (5 * labels[:, None, None] + r + 2 * c) % 16
    return write_codes(path, codes, labels, ['a', 'b', 'c'], 16)

class _Interrupt(Callback):
    "Raise KeyboardInterrupt after `n` training batches (a killed run)."
    def __init__(self, n): self.n = n
    def after_batch(self):
        if self.training and self.train_iter >= self.n: raise KeyboardInterrupt

class _Start(Callback):
    "Keep a copy of the weights the fit starts from."
    def before_fit(self): self.sd = {k: v.clone() for k, v in self.learn.model.state_dict().items()}

def test_train_prior_resume_matches_uninterrupted(tmp_path):
    f = _toy_file(tmp_path/'codes'/'codes.safetensors')
    sa, sb = _Start(), _Start()
    a = PixelSNAIL.from_pretrained(train_prior(tmp_path/'codes', preset='debug', out=tmp_path/'a', epochs=2, bs=8,
                                               every=2, cbs=[sa]))
    with pytest.raises(KeyboardInterrupt):
        train_prior(f, preset='debug', out=tmp_path/'b', epochs=2, bs=8, every=2, cbs=[_Interrupt(5)])
    assert not (tmp_path/'b'/'final').exists()
    b = PixelSNAIL.from_pretrained(train_prior(f, preset='debug', out=tmp_path/'b', epochs=2, bs=8, every=2,
                                               resume=True, cbs=[sb]))
    # the resumed run really started from the interrupted run's checkpoint, not from the initial weights ...
    assert any(not torch.equal(sa.sd[k], sb.sd[k]) for k in sa.sd)
    # ... and ended exactly where the uninterrupted run did
    for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values()): torch.testing.assert_close(va, vb, msg=k)
    loaded = PixelSNAIL.from_pretrained(tmp_path/'b'/'final')
    assert (loaded.config.height, loaded.config.width, loaded.config.n_codes, loaded.config.n_classes) == (4, 6, 16, 3)

def test_train_prior_loss_falls_and_sizes_model(tmp_path):
    f = _toy_file(tmp_path/'c.safetensors', n=48)
    from foleybook.data.loaders import code_dls
    from foleybook.priors.pixelsnail_train import pixelsnail_learner, PixelSNAILTrainer
    from foleybook.train.learner import fp32
    m = PixelSNAIL(PixelSNAILConfig.preset('debug'))
    learn = pixelsnail_learner(code_dls(f, bs=8), m)
    before = learn.validate()[0]
    with learn.no_bar(), learn.no_logging(): learn.fit(3, 1e-2)
    assert learn.validate()[0] < 0.5 * before

def test_train_prior_bad_data(tmp_path):
    with pytest.raises(DataError, match="not found"): train_prior(tmp_path/'missing.safetensors')
    (tmp_path/'empty').mkdir()
    with pytest.raises(DataError, match="expected one code-map file"): train_prior(tmp_path/'empty')
    write_codes(tmp_path/'rvq.safetensors', torch.zeros(4, 4, 6, 3, dtype=torch.long), torch.zeros(4, dtype=torch.long),
                ['a'], 16)
    with pytest.raises(DataError, match="residual-VQ"): train_prior(tmp_path/'rvq.safetensors')
    with pytest.raises(ConfigError, match="TrainSettings.system must be one of"):
        train_prior(_toy_file(tmp_path/'ok.safetensors'), system='tpu')

# ---- the pipeline ----

class _Vocoder:
    "Stand-in vocoder at `sample_rate`: mel (n, M, F) -> (n, 1, F * hop), a deterministic function of the mel."
    def __init__(self, sample_rate=22050, hop=256):
        from foleybook.audio import MelConfig
        # a `Vocoder` has a mel_config
        self.sample_rate, self.hop, self.mel_config = sample_rate, hop, MelConfig.preset('hifigan')
    def __call__(self, mel):
        return torch.tanh(mel.mean(1, keepdim=True)).repeat_interleave(self.hop, -1) * 0.5

def _pipe(sample_rate=22050, batch_size=2):
    from foleybook.codecs.vqvae import VQVAE, VQVAEConfig
    torch.manual_seed(0)
    codec = VQVAE(VQVAEConfig.preset('debug')).eval()
    prior = _model(1, height=20, width=2, n_classes=7, n_codes=codec.n_codes)
    return FoleyPipeline(prior, codec, _Vocoder(sample_rate), batch_size=batch_size)

def test_pipeline_layout_and_determinism(tmp_path):
    p = _pipe()
    waves = p.generate('DogBark', 3, seed=4)
    assert waves.shape == (3, 88200)
    p.write(tmp_path, n_per_class=3, seed=4)
    assert sorted(x.name for x in tmp_path.iterdir()) == sorted(p.class_names)
    for c in p.class_names:
        files = sorted((tmp_path/c).iterdir())
        assert [x.name for x in files] == ['0001.wav', '0002.wav', '0003.wav']
        info = sf.info(files[0])
        assert (info.samplerate, info.channels, info.frames, info.subtype) == (22050, 1, 88200, 'PCM_16')
    back = torch.tensor(sf.read(tmp_path/'DogBark'/'0003.wav', dtype='float32')[0])
    torch.testing.assert_close(back, waves[2], atol=1/16384, rtol=0)
    # clip seeds: clip j of seed s is what the prior samples with the clip's own seed, clip_seeds(s, n)[j]
    assert torch.equal(p.decode(p.sample_codes('DogBark', 1, seed=clip_seeds(4, 3)[2:])), waves[2:])
    assert torch.equal(p.sample_codes('DogBark', 1, seed=9), p.prior.sample(0, 1, seed=9))

def test_pipeline_resamples_to_dcase_rate(tmp_path):
    p = _pipe(sample_rate=16000)
    assert p.n_samples == 64000
    p.write(tmp_path, n_per_class=1, classes=['Rain'])
    info = sf.info(tmp_path/'Rain'/'0001.wav')
    assert (info.samplerate, info.frames) == (22050, 88200)

def test_pipeline_errors():
    p = _pipe()
    with pytest.raises(ConfigError, match="unknown class"): p.generate('Thunder')
    with pytest.raises(ConfigError, match="outside"): p.generate(9)
    with pytest.raises(ConfigError, match="not a Prior"): FoleyPipeline(object(), None, _Vocoder())

def test_amp_keeps_attention_and_logits_fp32(tmp_path):
    "bf16 autocast on CPU (the learner's AMP): attention and logits stay float32, the loss still falls."
    from foleybook.data.loaders import code_dls
    from foleybook.priors.pixelsnail_layers import CausalAttention
    from foleybook.priors.pixelsnail_train import pixelsnail_learner, PixelSNAILTrainer
    from foleybook.train.learner import fp32
    f = _toy_file(tmp_path/'c.safetensors', n=48)
    torch.manual_seed(0)
    m = PixelSNAIL(PixelSNAILConfig.preset('debug'))
    learn = pixelsnail_learner(code_dls(f, bs=8), m)
    for mod in PixelSNAILTrainer().fp32_modules(m): fp32(mod)   # what the trainer skeleton does under mixed precision
    learn.to_amp()
    seen = {}
    def hook(name): return lambda mod, inp, out: seen.setdefault(name, set()).add(out.dtype)
    for i, a in enumerate(x for x in m.modules() if isinstance(x, CausalAttention)):
        a.register_forward_hook(hook(f'attn{i}'))
    m.head.register_forward_hook(hook('logits'))
    m.blocks[0].res[0].conv1.register_forward_hook(hook('conv'))
    before = learn.validate()[0]
    with learn.no_bar(), learn.no_logging(): learn.fit(3, 1e-2)
    assert learn.validate()[0] < 0.6 * before
    assert seen['conv'] == {torch.bfloat16}                       # the rest does run in half precision
    # 2 attentions + logits + conv
    assert all(seen[k] == {torch.float32} for k in seen if k != 'conv') and len(seen) == 4
