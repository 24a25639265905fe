"""The multistep solvers against diffusers' schedulers as the oracle (same weights, same noise): DPM-Solver++ and
UniPC step by step, on a fixed nonlinear denoiser over many configs (whole loops), on a random diffusers UNet (the first
10 steps: a random network makes a whole loop chaotic) and on the committed trained audio-diffusion demo model (whole
loops with guidance). Skipped when diffusers is not installed (it is a test-only dependency)."""
from pathlib import Path
import tempfile
import pytest
import torch
from foleybook.diffusion.core import GaussianDiffusion
from foleybook.diffusion.diffusers_schedulers import diffusion_from_diffusers

diffusers = pytest.importorskip('diffusers')
from diffusers import DPMSolverMultistepScheduler as DPM, UniPCMultistepScheduler as UniPC
ROOT = Path(__file__).resolve().parents[1]
TOL = 1e-4


def _toy(prediction):
    "A fixed nonlinear step-dependent denoiser of (n, 1, 32, 32) images whose clean estimate stays in [-1, 1]."
    g = torch.Generator().manual_seed(0)
    W, V = torch.randn(32 * 32, 16, generator=g) / 32, torch.randn(16, 32 * 32, generator=g) / 4
    d = GaussianDiffusion(T=1000)   # alphas of the linear schedule, only to shape the output like a trained model's
    def model(x, t, cond=None):
        ab = d.abar(t.double()).float().view(-1, 1, 1, 1)
        a, s = ab.sqrt(), (1 - ab).sqrt()
        wiggle = (torch.tanh(x.flatten(1) @ W) @ V).view_as(x) * torch.cos(t.float().view(-1, 1, 1, 1) / 300)
        x0 = torch.tanh(0.5 * x + wiggle)
        eps = (x - a * x0) / s
        return {'epsilon': eps, 'v_prediction': a * eps - s * x0, 'sample': x0}[prediction]
    return model


def _diffusers_loop(sch, model, steps, x, cond=None, guidance=1.):
    "diffusers' loop as its pipelines run it: `set_timesteps`, then `step` after each model call; every x."
    sch.set_timesteps(steps); xs = []
    for t in sch.timesteps:
        tt = t.expand(len(x))
        if guidance == 1: out = model(x, tt, cond)
        else:
            null = torch.full_like(cond, -1)
            oc, ou = model(torch.cat([x, x]), torch.cat([tt, tt]), torch.cat([cond, null])).chunk(2)
            out = ou + guidance * (oc - ou)
        x = sch.step(out, t, x).prev_sample; xs.append(x)
    return xs


def _ours(sch, cls, model, steps, x, p_uncond=0., **kw):
    "foleybook's loop on the config read from the scheduler's (and the model's `p_uncond`): every x."
    cfg, sc, sampler = diffusion_from_diffusers({**sch.config, '_class_name': cls.__name__})
    cfg = cfg.replace(p_uncond=p_uncond)
    xs = []
    GaussianDiffusion(cfg, sc).sample(model, x.shape, sampler=sampler, steps=steps, noise=x,
                                      on_step=lambda i, t, y: xs.append(y), **kw)
    return xs


CASES = [{}, dict(prediction_type='v_prediction'), dict(prediction_type='sample'), dict(timestep_spacing='trailing'),
         dict(timestep_spacing='leading', steps_offset=1), dict(use_karras_sigmas=True),
         dict(final_sigmas_type='sigma_min'),
         dict(lower_order_final=False, final_sigmas_type='sigma_min'), dict(solver_order=1),
         dict(beta_schedule='scaled_linear', beta_start=0.00085, beta_end=0.012, use_karras_sigmas=True),
         dict(beta_schedule='squaredcos_cap_v2', prediction_type='v_prediction')]
EXTRA = {DPM: [dict(solver_type='heun'), dict(euler_at_final=True), dict(use_lu_lambdas=True)],
         UniPC: [dict(solver_type='bh1', final_sigmas_type='sigma_min')]}


@pytest.mark.parametrize('cls', [DPM, UniPC], ids=['dpm++', 'unipc'])
def test_whole_loops_on_a_fixed_denoiser(cls):
    x = torch.randn(2, 1, 32, 32, generator=torch.Generator().manual_seed(3))
    worst = 0.
    for kw in CASES + EXTRA[cls]:
        model = _toy(kw.get('prediction_type', 'epsilon'))
        for steps in (5, 10, 25):
            ref, ours = _diffusers_loop(cls(**kw), model, steps, x), _ours(cls(**kw), cls, model, steps, x)
            err = max((a - b).abs().max().item() for a, b in zip(ours, ref))
            assert len(ours) == len(ref) == steps and err <= TOL, (kw, steps, err)
            worst = max(worst, err)
    print(f"{cls.__name__}: {len(CASES + EXTRA[cls]) * 3} loops, worst step {worst:.1e}")


@pytest.mark.parametrize('cls', [DPM, UniPC], ids=['dpm++', 'unipc'])
def test_first_steps_with_a_random_unet(cls):
    from diffusers import UNet2DModel
    from foleybook.diffusion.unet2d import UNet2D
    torch.manual_seed(0)
    ref = UNet2DModel(sample_size=32, in_channels=1, out_channels=1, layers_per_block=1, block_out_channels=(32, 64),
                      down_block_types=('DownBlock2D', 'AttnDownBlock2D'),
                      up_block_types=('AttnUpBlock2D', 'UpBlock2D'),
                      norm_num_groups=8).eval()
    with tempfile.TemporaryDirectory() as d:
        ref.save_pretrained(d); ours = UNet2D.from_diffusers(d)
    x = torch.randn(2, 1, 32, 32, generator=torch.Generator().manual_seed(1))
    for kw in ({}, dict(prediction_type='v_prediction', use_karras_sigmas=True)):
        with torch.no_grad():
            a = _diffusers_loop(cls(**kw), lambda x, t, c: ref(x, t).sample, 20, x)[:10]
            b = _ours(cls(**kw), cls, lambda x, t, c: ours(x, t), 20, x)[:10]
        errs = [(p - q).abs().max().item() / max(1., p.abs().max().item()) for p, q in zip(a, b)]
        assert max(errs) <= TOL, (kw, errs)   # epsilon: a random network's x grows to ~200 in 10 steps; relative there


@pytest.mark.parametrize('cls', [DPM, UniPC], ids=['dpm++', 'unipc'])
def test_whole_loops_with_the_trained_demo_model(cls):
    "The committed audio-diffusion demo (v prediction, 7 classes), guidance 3, diffusers' schedulers of its betas."
    from foleybook.pretrained import load_pretrained
    m = load_pretrained(ROOT/'nbs'/'results'/'models'/'audio-diffusion').eval()
    c = m.config.diffusion
    kw = dict(num_train_timesteps=c.T, beta_start=c.beta_start, beta_end=c.beta_end, prediction_type='v_prediction')
    x, cond = torch.randn(2, *m.x_shape, generator=torch.Generator().manual_seed(0)), torch.tensor([0, 5])
    for steps in (5, 10, 20):
        ref = _diffusers_loop(cls(**kw), m, steps, x, cond, 3.)
        ours = _ours(cls(**kw), cls, m, steps, x, c.p_uncond, cond=cond, guidance=3.)
        errs = [(p - q).abs().max().item() for p, q in zip(ref, ours)]
        assert max(errs) <= TOL, (steps, errs)
        assert ref[-1].abs().max() > 0.5   # a real image, not a collapsed one
