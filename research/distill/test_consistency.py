"""Tests of foleybook.diffusion.consistency (06i_consistency has them debug-sized).

Run: `OMP_NUM_THREADS=1 python -m pytest -q research/distill/test_consistency.py`."""
import tempfile
import numpy as np, torch
from torch import nn
from fastcore import test as fct
from foleybook.core import ConfigError
from foleybook.pretrained import load_pretrained
from foleybook.diffusion.core import GaussianDiffusion, DiffusionConfig, TIMESTEP_SPACINGS, SAMPLERS
from foleybook.diffusion.audio_diffusion import AudioDiffusion, AudioDiffusionConfig
from foleybook.diffusion.solvers import SamplerConfig
from foleybook.diffusion.sashimi import Sashimi, SashimiConfig
from foleybook.diffusion.distill import ddim_move, guided_out as _out
from foleybook.seeds import clip_generators, draw_normal
from foleybook.generators import as_generator
from foleybook.diffusion.consistency import (boundary, consistency_fn, consistency_loss, consistency_distill, ema_,
                                             as_consistency_student)

S = 0.5   # the data's standard deviation


class Exact(nn.Module):
    "The optimal epsilon-predictor for data ~ N(0, S^2): E[x0 | z_t] = a S^2 z / (a^2 S^2 + 1 - a^2)."
    def __init__(self, d): super().__init__(); self.d = d
    def forward(self, x, t, cond=None):
        ab = self.d.abar(t.double()).float().view(-1, *[1] * (x.ndim - 1))
        x0 = ab.sqrt() * S ** 2 * x / (ab * S ** 2 + 1 - ab)
        return (x - ab.sqrt() * x0) / (1 - ab).sqrt()


class Gains(nn.Module):
    "A denoiser of one learnt gain per step: epsilon = g(t) x, g linear in t between the steps -1 .. T-1."
    def __init__(self, d, teacher):
        super().__init__(); ts = torch.arange(-1., d.T)
        self.t, self.g = ts, nn.Parameter(teacher(torch.ones(len(ts), 1, 1), ts).reshape(-1).detach().clone())
    def forward(self, x, t, cond=None):
        w = torch.from_numpy(np.interp(t.detach().double().numpy(), self.t.numpy(), np.arange(len(self.t))))
        lo = w.floor().long().clamp(max=len(self.t) - 2); f = (w - lo).float()
        return ((1 - f) * self.g[lo] + f * self.g[lo + 1]).view(-1, *[1] * (x.ndim - 1)) * x


def ode_end(d, x, t):
    "The exact probability-flow ODE's clean end from `x` at step `t` for Gaussian data: x S / sqrt(a^2 S^2 + 1 - a^2)."
    ab = d.abar(torch.as_tensor(t, dtype=torch.float64))
    return x * S / float((ab * S ** 2 + 1 - ab).sqrt())


def test_boundary():
    d = GaussianDiffusion(T=20, beta_end=0.2)
    cs, co = boundary(d.T, torch.tensor([-1., 0., 19.]))
    fct.test_eq((cs[0].item(), co[0].item()), (1., 0.))                   # f(x, -1) = x
    assert cs[1] < 1e-4 and co[1] > 1 - 1e-4 and cs[2] < 1e-8          # elsewhere the denoiser's estimate
    m = Gains(d, Exact(d))
    x = torch.randn(5, 1, 8)
    assert torch.equal(consistency_fn(d, m, x, torch.tensor(-1.)), x)   # exactly, for any model
    with torch.no_grad(): m.g.mul_(7.)
    assert torch.equal(consistency_fn(d, m, x, torch.tensor(-1.)), x)


def ddim_run(d, model, S_, z):
    "`S_` deterministic DDIM steps of `model` on the 'uniform' grid from `z` at step T-1 to the clean end."
    g = TIMESTEP_SPACINGS['uniform'](d.T, S_, 0)
    for k, tt in enumerate(g):
        t, t_to = tt.expand(len(z)), (g[k + 1] if k + 1 < S_ else torch.tensor(-1.)).expand(len(z))
        z = ddim_move(d, model(z, t.float()), z, t, t_to)
    return z


def test_gaussian_cd():
    ("On Gaussian data with the exact denoiser as teacher, a student knowing nothing (epsilon 0): the loss falls and "
     "one student call lands where the teacher's 20 DDIM steps do, near the ODE's exact end.")
    torch.manual_seed(0)
    d = GaussianDiffusion(T=20, beta_end=0.2)
    teacher = Exact(d)
    student, target = Gains(d, teacher), Gains(d, teacher)
    with torch.no_grad(): student.g.zero_(); target.g.zero_()
    opt = torch.optim.Adam(student.parameters(), lr=0.02)
    losses = []
    for _ in range(400):
        loss = consistency_loss(d, teacher, student, target, S * torch.randn(64, 1, 8), None, steps=20)
        opt.zero_grad(); loss.backward(); opt.step(); ema_(target, student, 0.9); losses.append(loss.item())
    assert np.mean(losses[-20:]) < 1e-3 * np.mean(losses[:20]), (np.mean(losses[:20]), np.mean(losses[-20:]))
    zT, tT = torch.randn(256, 1, 8), torch.tensor(d.T - 1.)
    exact = ode_end(d, zT, tT)
    with torch.no_grad():
        one = consistency_fn(d, student, zT, tT)
        gap_teacher = (consistency_fn(d, teacher, zT, tT) - exact).abs().mean().item()   # the teacher in one call
        gap_ddim = (ddim_run(d, teacher, 20, zT) - exact).abs().mean().item()   # what CD is consistent with
    gap = (one - exact).abs().mean().item()
    assert gap < 0.1 * gap_teacher and abs(gap - gap_ddim) < 0.01, (gap, gap_ddim, gap_teacher)
    # sampled through the core: one 'consistency' call is f at the noisiest step; two renoise with the next draw
    with torch.no_grad():
        one = d.sample(student, (4, 1, 8), sampler='consistency', steps=1, seed=3)
        two = d.sample(student, (4, 1, 8), sampler='consistency', steps=2, seed=3)
        g = clip_generators(3, 4)
        x, z = draw_normal((4, 1, 8), g, 'cpu'), draw_normal((4, 1, 8), g, 'cpu')
        t = TIMESTEP_SPACINGS['even'](d.T, 2, 0)
        f = consistency_fn(d, student, x, t[0])
        ab = d.abar(t[1]).float()
        fct.test_close(one, f, eps=1e-6)
        fct.test_close(two, consistency_fn(d, student, ab.sqrt() * f + (1 - ab).sqrt() * z, t[1]), eps=1e-5)
        fct.test_close(one.std(), S, eps=0.15)


def test_guided_target():
    "The UNet2D (v prediction): the target is the EMA's f one guided teacher DDIM step on, computed by hand."
    torch.manual_seed(0)
    uc = AudioDiffusionConfig.preset('debug', diffusion=dict(DiffusionConfig.presets['debug'], p_uncond=0.2,
                                                              prediction='v'),
                                     sampler_config=dict(SamplerConfig.presets['debug'], timestep_spacing='uniform'))
    ad = AudioDiffusion(uc).eval()
    d, cond, g = ad.diffusion, torch.tensor([0, 1, 1, 0]), 2.
    x0 = torch.rand(4, *ad.x_shape) * 2 - 1
    torch.manual_seed(1); loss = consistency_loss(d, ad, ad, ad, x0, cond, steps=4, guidance=g)
    torch.manual_seed(1)
    k = torch.randint(0, 4, (4,)).double(); noise = torch.randn_like(x0)
    t_hi, t_lo = (k + 1) * d.T / 4 - 1, k * d.T / 4 - 1
    z = d.q_sample(x0, t_hi, noise)
    with torch.no_grad():
        oc, ou = ad(z, t_hi.float(), cond), ad(z, t_hi.float(), torch.full_like(cond, -1))
        z_lo = ddim_move(d, ou + g * (oc - ou), z, t_hi, t_lo)
        want = (consistency_fn(d, ad, z, t_hi, cond) - consistency_fn(d, ad, z_lo, t_lo, cond)).pow(2).mean()
    fct.test_close(loss.item(), want.item(), eps=1e-5)


def roundtrip(model, batches, guidance, **kw):
    student, recs = consistency_distill(model, batches, steps=4, iters=3, guidance=guidance, sample_steps=2,
                                        folder='teacher/final', every=1, **kw)
    fct.test_eq(len(recs), 3)
    fct.test_eq(student.config.sampler_config.defaults, dict(sampler='consistency', steps=2, eta=0., guidance=1.))
    fct.test_eq(student.config.diffusion.teacher['folder'], 'teacher/final')
    g = as_generator(student)
    fct.test_eq(g.sampling()['network_calls'], 2)
    a = g.generate([0, 1], 2, seed=5)
    with tempfile.TemporaryDirectory() as tmp:
        student.save_pretrained(tmp)
        back = load_pretrained(tmp)
    fct.test_eq(back.config.sampler_config.defaults['sampler'], 'consistency')
    b = as_generator(back).generate([0, 1], 2, seed=5)
    assert torch.equal(a, b)                                           # identical clips after a round trip
    assert not torch.equal(a, as_generator(back).generate([0, 1], 2, seed=6))
    return student


def test_sashimi_roundtrip():
    torch.manual_seed(0)
    sc = SashimiConfig.preset('debug', n_classes=2, diffusion=dict(DiffusionConfig.presets['debug'], p_uncond=0.2))
    m = Sashimi(sc).eval()
    x0 = torch.randn(4, 1, sc.length) * 0.3; y = torch.tensor([0, 1, 0, 1])
    st = roundtrip(m, lambda: (x0, y), 2.)
    fct.test_eq((m.diffusion.config.p_uncond, m.training), (0.2, False))   # the teacher is left untouched
    assert not torch.equal(next(st.parameters()), next(m.parameters()))


def test_unet_roundtrip():
    torch.manual_seed(0)
    uc = AudioDiffusionConfig.preset('debug', diffusion=dict(DiffusionConfig.presets['debug'], p_uncond=0.2,
                                                              prediction='v'))
    ad = AudioDiffusion(uc).eval()
    x0 = torch.rand(4, *ad.x_shape) * 2 - 1; y = torch.tensor([0, 1, 0, 1])
    st = roundtrip(ad, lambda: (x0, y), 2.)
    fct.test_eq(st.config.sampling_defaults['sampler'], 'consistency')


def test_bad_steps():
    d = GaussianDiffusion(T=20, beta_end=0.2)
    m = Exact(d)
    fct.test_fail(lambda: consistency_loss(d, m, m, m, torch.randn(2, 1, 4), steps=21), contains="steps must be in")
    fct.test_fail(lambda: consistency_loss(d, m, m, m, torch.randn(2, 1, 4), steps=0), contains="steps must be in")
    try: consistency_loss(d, m, m, m, torch.randn(2, 1, 4), steps=0)
    except ConfigError: pass
