"""The DiffWave `demo` preset (without FiLM for gated, guidance and spectral, the preset they were measured against)
with one change that foleybook does not carry, on the benchmark's split and judge of a seed (bench/judge_seeds.py's
`one_seed`); the row goes to `variant_probes` of nbs/results/diffwave_probes.json. The file's rows of the
spectral-masks variants (`freqmix`, `comb`, `combout`, `freeout`: learned STFT masks of the input beside it) came from a
package with a `SashimiConfig.spectral` option, which foleybook does not have: they cannot run here.

- `gated`: every block of the outer stage (8 kHz, 16 channels) gets WaveNet's gated dilated convolutions beside its
  S4D layer (dilations 1, 2, 4, 8, 16, kernel 3, tanh x sigmoid, a residual 1x1 each; their residual and the S4D's
  output summed): the local periodicity of a pitch next to the long kernel. A training step costs about 1.5 times the
  preset's, so `--epochs` (28) instead of 40.
- `guidance LO HI G`: the preset's trained model of that seed (its experiment `OUT/seedN/diffwave`, copied without its
  clips and report), sampled again with classifier-free guidance G only at the steps t in [LO, HI], none elsewhere.
- `film` (its rows of seeds 0-2 are in the file): every SaShiMi block's normalised input also scaled by (1 + a
  zero-initialised projection of the step and class embedding), FiLM, beside the shift the block adds. The package
  carries it now (`SashimiConfig.film`, weights drawn in the order these runs drew them) and the `demo` preset uses it:
  `bench/judge_seeds.py diffwave` runs it, `--set train.model.film=false` the preset without it.
- `selfcond [P]`: self-conditioning (Chen et al., "Analog Bits", 2022): the denoiser also takes its own previous
  estimate of the clean wave as a second input channel (a zero-initialised 1x1 projection added to the input
  projection's output). In training, with probability P (default 0.5) per batch the estimate comes from a first,
  gradient-free pass with zeros in that channel, else zeros; in sampling, each step's input holds the step before's
  clean estimate (zeros at the first), clamped to the waves' range as the generator clamps them. The first pass costs
  about a sixth of a step, so `--epochs` (default 28 here; the preset's 40 costs 15-16 min) sets the budget.
- `pitchlag [K]`: pitch-synchronous copies of the input beside it: per frame (256 samples, hop 64) the lag P in
  6-48 samples (167-1333 Hz at 8 kHz) with the largest normalised autocorrelation r of the noisy input, and the input
  delayed and advanced by P, 2P, ..., KP (default K 2) times max(r, 0), with max(r, 0) itself, go through a
  zero-initialised 1x1 projection added to the input projection's output: a comb matched to the local pitch that the
  network can average over (a long-term predictor, as in speech codecs), which a 16-channel filterbank cannot form.
- `mdct [N]`: the network's view the wave's MDCT (`MDCT`: sine window of 2N samples, hop N, N bins (default 64),
  circular; orthogonal, so the diffusion, its loss and its sampler are unchanged): the SaShiMi over the frames with the
  bins as its input and output channels, pooling (5, 5); `--set train.model.d_model=...` sets its width.
- `mdctunet [N]`: the denoiser the audio-diffusion demo's 2-D UNet (`UNet2DConfig` 'demo') over the MDCT image, bins
  by frames; `--set train.unet.KEY=...` changes the UNet's config.
- `hybrid [N]`: the preset's SaShiMi plus `mdctunet`'s UNet, their predictions summed (the UNet's output convolution
  zero-initialised and created after the SaShiMi's weights). A step costs about 1.8 times the preset's: `--set
  train.epochs=26`.
- `--sampled-from EXP` (any variant): the trained experiment EXP of that seed copied without its clips and sampled
  again, e.g. with `--set generate.sampler='"ddim"' --set generate.eta=1 --set generate.steps=20`.
- `preset`: the `demo` preset (with FiLM) with the `--set` changes alone (e.g. `--set train.lr=0.006`), nothing
  patched.
- `spectral LAM ABMIN [LINEAR]`: the preset trained with a multi-resolution STFT loss on the denoiser's clean estimate
  added to its squared error, times LAM, over the examples whose abar is at least ABMIN: Parallel WaveGAN's spectral
  convergence plus log magnitude (magnitudes floored at 1e-3), or with LINEAR 1 plus the mean absolute magnitude
  difference over the clean magnitudes' mean; at (n_fft, hop) (256, 64), (512, 128), (1024, 256), Hann windows.

Run: OMP_NUM_THREADS=1 python bench/diffwave_variants.py gated|guidance|spectral|selfcond|... [ARGS] --seed 1 \
       --out exp/judge_seeds
"""
import argparse, json, math, os, shutil, sys
os.environ.setdefault('OMP_NUM_THREADS', '1')
from pathlib import Path
import torch
from torch import nn
import torch.nn.functional as F
import foleybook.diffusion.core as core
from foleybook.diffusion.core import GaussianDiffusion
from foleybook.diffusion.sashimi import S4_LAYERS, S4D
sys.path.insert(0, str(Path(__file__).resolve().parent))
from judge_seeds import one_seed, machine, parse_sets

RESULTS = Path(__file__).resolve().parents[1]/'nbs'/'results'
# the preset the variants change, as its benchmark runs were spelled: the `demo` preset without FiLM (their rows were
# measured before the preset took FiLM)
PRESET = {'train.epochs': 40, 'train.ema': 0.999, 'train.model.film': False}


class GatedS4D(nn.Module):
    "An S4D layer with WaveNet's gated dilated convolutions beside it (their residual and the S4D's output summed)."
    def __init__(self, H, d_state, dilations=(1, 2, 4, 8, 16)):
        super().__init__()
        self.s4 = S4D(H, d_state)
        self.convs = nn.ModuleList(nn.Conv1d(H, 2 * H, 3, dilation=d, padding=d) for d in dilations)
        self.outs = nn.ModuleList(nn.Conv1d(H, H, 1) for _ in dilations)
    def forward(self, u):
        y, h = self.s4(u), u
        for conv, out in zip(self.convs, self.outs):
            a, b = conv(h).chunk(2, 1)
            h = h + out(torch.tanh(a) * torch.sigmoid(b))
        return y + h - u


def gated(a):
    "The outer stage's layers gated (`s4='gated'`: the outer stage is the one at the config's `length`)."
    S4_LAYERS['gated'] = lambda H, L, c: GatedS4D(H, c.d_state) if L == c.length else S4D(H, c.d_state)
    return {'train.epochs': a.epochs, 'train.model.s4': 'gated', 'train.model.film': False}


def guidance(a):
    "Guidance G only at the steps in [LO, HI]; the preset's trained experiment copied to sample again."
    lo, hi, G = a.args
    orig = core._guided
    core._guided = lambda model, x, t, cond, g: orig(model, x, t, cond, G if lo <= float(t) <= hi else 1.)
    copy_trained(a, a.preset_exp)
    return dict(PRESET)


def copy_trained(a, exp):
    "Copy the trained experiment `exp` under OUT/seedN to the run's folder without its clips and reports."
    base = Path(a.out)/f'seed{a.seed}'
    if (base/a.name).exists(): shutil.rmtree(base/a.name)
    shutil.copytree(base/exp, base/a.name, ignore=shutil.ignore_patterns(
        'gen', 'report*', '3_*', '4_*', 'generate_models.json', 'cache'))


def mrstft(a, b, res=((256, 64), (512, 128), (1024, 256)), floor=1e-3, linear=False):
    ("Spectral convergence plus the mean absolute log-magnitude difference (`linear`: magnitude difference over the "
     "mean clean magnitude) of estimates `a` against `b`, over resolutions.")
    tot = 0.
    for nf, hop in res:
        w = torch.hann_window(nf, device=a.device)
        A, B = (torch.stft(x, nf, hop, window=w, return_complex=True).abs() for x in (a, b))
        mag = ((A - B).abs().mean() / B.mean().clamp(min=1e-8) if linear else
               (A.clamp(min=floor).log() - B.clamp(min=floor).log()).abs().mean())
        tot = tot + (B - A).norm() / B.norm().clamp(min=1e-8) + mag
    return tot / len(res)


def spectral(a):
    "`GaussianDiffusion.loss` with `lam * mrstft(clean estimate, x0)` over the examples with abar >= `abar_min`."
    lam, abar_min, linear = (*a.args, 0)[:3]
    def loss(self, model, x0, cond=None, *, t=None, noise=None):
        t, noise, cond, xt = self.draws(model, x0, cond, t, noise)
        out = model(xt, t.to(x0.dtype if x0.is_floating_point() else torch.float32), cond)
        mse = (out.float() - self.target(x0, noise, t).float()).pow(2).mean()
        ab = self.abar(t); keep = ab >= abar_min
        if not keep.any(): return mse
        _, x0h = self.to_eps_x0(out.float(), xt.float(), ab)
        k = int(keep.sum())
        return mse + lam * mrstft(x0h[keep].reshape(k, -1), x0[keep].float().reshape(k, -1), linear=bool(linear))
    GaussianDiffusion.loss = loss
    return dict(PRESET)


class SelfCondInp(nn.Module):
    "The input projection of channel 0 plus a zero-initialised 1x1 projection of channel 1 (the clean estimate)."
    def __init__(self, inp, d):
        super().__init__()
        self.inp, self.sc = inp, nn.Conv1d(1, d, 1)
        nn.init.zeros_(self.sc.weight); nn.init.zeros_(self.sc.bias)
    def forward(self, x): return self.inp(x[:, :1]) + self.sc(x[:, 1:])


SC = {'x0': None, 'clip': 10.}   # the running sampler's last clean estimate (None: not sampling)


def selfcond(a):
    "Self-conditioning with probability P (ARGS, default 0.5) per training batch; `--epochs` of the preset."
    from foleybook.diffusion.sashimi import Sashimi
    p_sc = float((a.args or [0.5])[0])
    init = Sashimi.__init__
    def __init__(self, config=None):
        init(self, config)
        SC['clip'] = self.config.scale
        self.inp = SelfCondInp(self.inp, self.config.d_model)
    Sashimi.__init__ = __init__
    def loss(self, model, x0, cond=None, *, t=None, noise=None):
        t, noise, cond, xt = self.draws(model, x0, cond, t, noise)
        tt = t.to(x0.dtype)
        sc = torch.zeros_like(xt)
        if model.training and float(torch.rand(())) < p_sc:
            with torch.no_grad():
                out0 = model(torch.cat([xt, sc], 1), tt, cond)
                sc = self.to_eps_x0(out0.float(), xt.float(), self.abar(t))[1].clamp(-SC['clip'], SC['clip'])
        out = model(torch.cat([xt, sc.to(xt.dtype)], 1), tt, cond)
        return (out.float() - self.target(x0, noise, t).float()).pow(2).mean()
    GaussianDiffusion.loss = loss
    sample, to_eps_x0, guided = GaussianDiffusion.sample, GaussianDiffusion.to_eps_x0, core._guided
    def sample_sc(self, model, shape, *args, **kw):
        SC['x0'] = torch.zeros(shape)
        try: return sample(self, model, shape, *args, **kw)
        finally: SC['x0'] = None
    def to_eps_x0_sc(self, out, x, ab):
        eps, x0 = to_eps_x0(self, out, x, ab)
        if SC['x0'] is not None: SC['x0'] = x0.detach().float().clamp(-SC['clip'], SC['clip'])
        return eps, x0
    def guided_sc(model, x, t, cond, g):
        return guided(model, torch.cat([x, SC['x0'].to(x)], 1) if SC['x0'] is not None else x, t, cond, g)
    GaussianDiffusion.sample, GaussianDiffusion.to_eps_x0, core._guided = sample_sc, to_eps_x0_sc, guided_sc
    return {**PRESET, 'train.model.film': True, 'train.epochs': a.epochs}


def pitch_lags(x, lo=6, hi=48, win=256, hop=64):
    "Per sample of x (n, L): the frame's lag in [lo, hi] of largest normalised autocorrelation, and that correlation."
    n, L = x.shape
    nf = L // hop
    xp = F.pad(x, (win // 2, win // 2 + hi + hop))
    fr = xp.unfold(1, win + hi, hop)[:, :nf]                          # (n, nf, win + hi)
    a = fr[..., :win]
    lags = torch.arange(lo, hi + 1)
    b = torch.stack([fr[..., k:k + win] for k in lags.tolist()], 2)   # (n, nf, n_lags, win)
    r = (a[:, :, None] * b).sum(-1) / ((a.square().sum(-1)[..., None] * b.square().sum(-1)).sqrt() + 1e-6)
    best = r.max(-1).values
    i = (r >= 0.9 * best[..., None]).float().argmax(-1)                # the shortest lag within 10 % of the best
    best = r.gather(-1, i[..., None])[..., 0]
    P = lags[i]
    return P.repeat_interleave(hop, 1)[:, :L], best.clamp(min=0).repeat_interleave(hop, 1)[:, :L]


@torch.no_grad()
def lag_features(x, K=2):
    "(n, 2K + 1, L): x(t - kP), x(t + kP) for k = 1..K, each times the frame's max(r, 0), and max(r, 0)."
    x = x.float()[:, 0]
    n, L = x.shape
    P, r = pitch_lags(x)
    pad = 48 * K
    xp = F.pad(x, (pad, pad))
    idx = torch.arange(L)[None] + pad
    feats = [xp.gather(1, idx + s * k * P) * r for k in range(1, K + 1) for s in (-1, 1)]
    return torch.stack(feats + [r], 1)


class PitchLagInp(nn.Module):
    "The input projection plus a zero-initialised 1x1 projection of the pitch-synchronous copies (`lag_features`)."
    def __init__(self, inp, d, K):
        super().__init__()
        self.inp, self.K, self.lag = inp, K, nn.Conv1d(2 * K + 1, d, 1)
        nn.init.zeros_(self.lag.weight); nn.init.zeros_(self.lag.bias)
    def forward(self, x): return self.inp(x) + self.lag(lag_features(x, self.K)).to(x.dtype)


def pitchlag(a):
    "Pitch-synchronous copies of the input beside it, K (ARGS, default 2) periods each way; the preset's 40 epochs."
    from foleybook.diffusion.sashimi import Sashimi
    K = int((a.args or [2])[0])
    init = Sashimi.__init__
    def __init__(self, config=None):
        init(self, config)
        self.inp = PitchLagInp(self.inp, self.config.d_model, K)
    Sashimi.__init__ = __init__
    return {**PRESET, 'train.model.film': True}


class MDCT(nn.Module):
    ("The MDCT with a sine window, N bins and hop N, circular at the ends: an orthogonal transform of (n, 1, T) into "
     "(n, N, T / N) (Princen-Bradley), so that white noise stays white and the squared error is the same both sides.")
    def __init__(self, N):
        super().__init__()
        n, k = torch.arange(2 * N, dtype=torch.float64), torch.arange(N, dtype=torch.float64)
        w = torch.sin(math.pi * (n + 0.5) / (2 * N))
        C = math.sqrt(2 / N) * torch.cos(math.pi / N * (n[None] + 0.5 + N / 2) * (k[:, None] + 0.5))
        self.N = N
        self.register_buffer('kern', (C * w[None]).float()[:, None], persistent=False)
    def forward(self, x):
        with torch.autocast('cpu', enabled=False):
            x = x.float()
            return F.conv1d(torch.cat([x, x[..., :self.N]], -1), self.kern, stride=self.N)
    def inverse(self, X):
        with torch.autocast('cpu', enabled=False):
            y = F.conv_transpose1d(X.float(), self.kern, stride=self.N)
            return torch.cat([y[..., :self.N] + y[..., -self.N:], y[..., self.N:-self.N]], -1)


def mdct(a):
    ("The SaShiMi over MDCT frames: N (ARGS, default 64) bins are its input and output channels, its lengths T / N "
     "frames; `--set train.model.d_model=...`, `train.model.pool=[5, 5]` choose its shape.")
    import dataclasses
    from foleybook.diffusion.sashimi import Sashimi
    N = int((a.args or [64])[0])
    init, fwd = Sashimi.__init__, Sashimi.forward
    def __init__(self, config=None):
        inner = dataclasses.replace(config, in_channels=N, out_channels=N, length=config.length // N,
                                    gen_length=config.gen_length and config.gen_length // N)
        init(self, inner)
        self.config, self.mdct = config, MDCT(N)
    def forward(self, x, t, cond=None):
        squeeze = x.ndim == 2
        y = self.mdct.inverse(fwd(self, self.mdct(x if not squeeze else x[:, None]), t, cond)).to(x.dtype)
        return y[:, 0] if squeeze else y
    Sashimi.__init__, Sashimi.forward = __init__, forward
    return {**PRESET, 'train.model.film': True, 'train.model.pool': [5, 5]}


def _unet_sets(a):
    "The `--set train.unet.KEY=...` changes (taken out of the run's sets): the UNet's config fields."
    sets = {k.split('.', 2)[2]: v for k, v in a.sets.items() if k.startswith('train.unet.')}
    for k in sets: a.sets.pop('train.unet.' + k)
    return sets


def mdctunet(a):
    ("The denoiser a 2-D UNet (`UNet2DConfig` 'demo', the audio-diffusion demo's shape) over the MDCT image of N "
     "(ARGS, default 64) bins x T / N frames; `--set train.model.unet=...` changes the UNet's config.")
    from foleybook.diffusion.sashimi import Sashimi
    from foleybook.diffusion.unet2d import UNet2D, UNet2DConfig
    N = int((a.args or [64])[0])
    unet_sets = _unet_sets(a)
    def __init__(self, config=None):
        nn.Module.__init__(self)
        self.config = c = config
        self.diffusion = GaussianDiffusion(c.diffusion)
        self.unet = UNet2D(UNet2DConfig.preset('demo', n_classes=c.n_classes or None, **unet_sets))
        self.mdct = MDCT(N)
    def forward(self, x, t, cond=None):
        squeeze = x.ndim == 2
        X = self.mdct(x if not squeeze else x[:, None])
        y = self.mdct.inverse(self.unet(X[:, None].to(x.dtype), t, classes=cond)[:, 0]).to(x.dtype)
        return y[:, 0] if squeeze else y
    Sashimi.__init__, Sashimi.forward = __init__, forward
    return {**PRESET, 'train.model.film': True}


def hybrid(a):
    ("The preset's SaShiMi plus `mdctunet`'s 2-D UNet over the MDCT image of N (ARGS, default 64) bins, their "
     "predictions summed (the UNet's output convolution zero-initialised, created after the SaShiMi's weights); "
     "`--set train.unet.channels=[...]` changes the UNet's config.")
    from foleybook.diffusion.sashimi import Sashimi
    from foleybook.diffusion.unet2d import UNet2D, UNet2DConfig
    N = int((a.args or [64])[0])
    unet_sets = _unet_sets(a)
    init, fwd = Sashimi.__init__, Sashimi.forward
    def __init__(self, config=None):
        init(self, config)
        self.unet = UNet2D(UNet2DConfig.preset('demo', n_classes=self.config.n_classes or None, **unet_sets))
        nn.init.zeros_(self.unet.conv_out.weight); nn.init.zeros_(self.unet.conv_out.bias)
        self.mdct = MDCT(N)
    def forward(self, x, t, cond=None):
        squeeze = x.ndim == 2
        x3 = x if not squeeze else x[:, None]
        y = fwd(self, x3, t, cond)
        y = y + self.mdct.inverse(self.unet(self.mdct(x3)[:, None].to(x.dtype), t, classes=cond)[:, 0]).to(y.dtype)
        return y[:, 0] if squeeze else y
    Sashimi.__init__, Sashimi.forward = __init__, forward
    return {**PRESET, 'train.model.film': True}


def preset(a):
    "The `demo` preset with FiLM (and the `--set` changes, which every variant takes)."
    return {**PRESET, 'train.model.film': True}


VARIANTS = dict(gated=gated, guidance=guidance, spectral=spectral, selfcond=selfcond, pitchlag=pitchlag,
                mdct=mdct, mdctunet=mdctunet,
                hybrid=hybrid, preset=preset)


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('variant', choices=list(VARIANTS))
    p.add_argument('args', type=float, nargs='*', help='guidance: LO HI G; spectral: LAM ABMIN [LINEAR]')
    p.add_argument('--seed', type=int, default=1)
    p.add_argument('--epochs', type=int, default=28, help='gated, selfcond: epochs')
    p.add_argument('--out', default='exp/judge_seeds', help="bench/judge_seeds.py's folder (the preset's runs there)")
    p.add_argument('--preset-exp', default='diffwave', help="guidance: the preset's experiment under OUT/seedN")
    p.add_argument('--name', default=None, help='the experiment folder under OUT/seedN (default: from the variant)')
    p.add_argument('--set', action='append', default=[], help="KEY=JSON, a change to the variant's preset")
    p.add_argument('--denoise-clip', default=None, help="a train clip, 'DogBark/000.wav': the row gets the model's "
                   "one-step estimates of it (bench/diffwave_one_class.py's `denoise_snr`)")
    p.add_argument('--sampled-from', default=None, help="an experiment under OUT/seedN trained with the same "
                   "settings: its model sampled again (e.g. with `--set generate.sampler=...`)")
    a = p.parse_args()
    a.sets = parse_sets(p, a.set)
    need = {'gated': (0,), 'guidance': (3,), 'spectral': (2, 3)}.get(a.variant, (0, 1))
    if len(a.args) not in need: p.error(f"{a.variant} takes {' or '.join(map(str, need))} numbers, got {a.args}")
    label = [a.variant, *(f'{x:g}' for x in a.args), *(f"{k.split('.')[-1]}={v}" for k, v in a.sets.items())]
    if a.sampled_from: label.insert(1, 'resampled')
    a.name = a.name or '_'.join(label)
    sets = {**VARIANTS[a.variant](a), **a.sets}   # `--set` changes any variant's preset
    if a.sampled_from: copy_trained(a, a.sampled_from)
    row = dict(variant=' '.join(label),
               **one_seed('diffwave', a.seed, a.out, 'demo', sets, a.name))
    if a.denoise_clip:
        from diffwave_one_class import denoise_snr
        base = Path(a.out)/f'seed{a.seed}'
        row['denoise_clip'] = a.denoise_clip
        row['denoise_snr'] = denoise_snr(base/a.name/'model'/'final', base/'split'/'train'/a.denoise_clip,
                                         cls=a.denoise_clip.split('/')[0])
    f = RESULTS/'diffwave_probes.json'
    res = json.loads(f.read_text())
    vp = res.setdefault('variant_probes', dict(what=__doc__.split('\n\n')[0].replace('\n', ' '), machine=machine(),
                                               runs=[]))
    vp['runs'] = [r for r in vp['runs'] if (r['variant'], r['seed']) != (row['variant'], row['seed'])] + [row]
    f.write_text(json.dumps(res, indent=1) + '\n')
    print(json.dumps({k: v for k, v in row.items() if not isinstance(v, dict)}), row['per_class'])
