"""Consistency distillation (Song et al. 2023) of any denoiser the diffusion core runs, beside progressive distillation.

A consistency student f(x, t) maps any point of the teacher's probability-flow ODE trajectory to its clean end. It is
the denoiser's own clean estimate behind the boundary parameterisation of latent consistency models:
`f(x, t) = c_skip(t) x + c_out(t) x0_hat(x, t)` with `c_skip = s^2 / (u^2 + s^2)`, `c_out = u / sqrt(u^2 + s^2)`,
`s = SIGMA_DATA`, `u = SCALING (t + 1) 1000 / T` (steps counted from the clean level, step -1, on a 1000-step scale),
so that `f(x, -1) = x` exactly. Consistency distillation (CD) trains the student so that f at a point of the
'uniform' grid equals the EMA target's f one teacher DDIM step (guidance folded in) closer to the data. Sampling:
`'consistency'` (registered into the core's `SAMPLERS` on import): f at the noisiest step, then renoised to the next
step of the 'uniform' grid with fresh noise (the process's prior noise where one is attached) and f again.

Research code: it imports foleybook, foleybook never imports it.
"""
from __future__ import annotations
import copy, math, time
import numpy as np, torch
from foleybook.core import ConfigError
from foleybook.diffusion.core import GaussianDiffusion, SAMPLERS, ddim_steps
from foleybook.diffusion.solvers import SamplerSpec, SamplerRun
from foleybook.diffusion.distill import _out, _bc, ddim_move, as_student
from foleybook.eval.embedders import state_fingerprint

SIGMA_DATA, SCALING = 0.5, 10.   # latent consistency models' values


def boundary(T:int, t) -> tuple:
    "(c_skip, c_out) at (fractional) steps `t` of a `T`-step process, float64: (1, 0) exactly at the clean step -1."
    u = SCALING * (torch.as_tensor(t, dtype=torch.float64) + 1) * (1000 / T)
    return SIGMA_DATA ** 2 / (u ** 2 + SIGMA_DATA ** 2), u / (u ** 2 + SIGMA_DATA ** 2).sqrt()


def consistency_fn(d:GaussianDiffusion, model, x, t, cond=None, guidance:float=1.):
    "The consistency function `c_skip(t) x + c_out(t) x0_hat(x, t)` of `model` at `x`, steps `t` (n,) (-1: x itself)."
    t = torch.as_tensor(t, dtype=torch.float64).expand(x.shape[0])
    cs, co = boundary(d.T, t)
    tm = t.clamp(min=0)   # the model is never asked about step -1; there c_out is 0
    _, x0 = d.to_eps_x0(_out(model, x, tm, cond, guidance), x.float(), d.abar(tm))
    return _bc(cs, x0) * x.float() + _bc(co, x0) * x0


def consistency_update(r:SamplerRun, i:int, x, eps, x0):
    "Consistency sampling: f = c_skip x + c_out x0; before the last step, renoised to the next with fresh noise."
    cs, co = boundary(r.extra, r.t[i])
    f = float(cs) * x + float(co) * x0
    abp = float(r.abp[i])
    return f if i == r.last or abp >= 1 else math.sqrt(abp) * f + math.sqrt(1 - abp) * r.randn()


def consistency_steps(d, steps:int=None, infer_betas=None):
    "Consistency sampling's plan: DDIM's (the student's spacing), its extra the process's `T` (the boundary's scale)."
    return (*ddim_steps(d, steps)[:3], d.T)


SAMPLERS.setdefault('consistency', SamplerSpec(consistency_steps, consistency_update, eta=0.))


def consistency_loss(d:GaussianDiffusion, # the process (with the teacher's noise prior, if any)
                     teacher, # the teacher (frozen)
                     student, # the student
                     target, # the student's EMA (frozen)
                     x0, # (n, ...) clean examples
                     cond=None, # their condition
                     steps:int=16, # the teacher's DDIM steps on the 'uniform' grid (CD's discretisation N)
                     guidance:float=1.): # the teacher's guidance (the student learns it folded in)
    ("Mean squared distance between the student's f at a grid step and the EMA target's f one teacher DDIM step "
     "later (each sample's error times the prior's `weight`).")
    if not 1 <= steps <= d.T: raise ConfigError(f"steps must be in [1, {d.T}] (the training steps), got {steps}")
    n = x0.shape[0]
    k = torch.randint(0, steps, (n,), device=x0.device).double()
    t_hi, t_lo = (k + 1) * d.T / steps - 1, k * d.T / steps - 1
    noise = torch.randn_like(x0) if d.prior is None else d.prior.train_noise(x0)
    z = d.q_sample(x0, t_hi, noise)
    with torch.no_grad():
        z_lo = ddim_move(d, _out(teacher, z, t_hi, cond, guidance), z, t_hi, t_lo)
        tgt = consistency_fn(d, target, z_lo, t_lo, cond)
    err = consistency_fn(d, student, z, t_hi, cond) - tgt
    return (err if d.prior is None else err * d.prior.weight(x0).float()).pow(2).mean()


def as_consistency_student(model, steps:int, teacher:dict):
    "Mark `model` (in place) a consistency student: it samples with `'consistency'`, `steps` steps, guidance 1."
    as_student(model, steps, teacher)
    sc = model.config.sampler_config
    sc = sc.replace(defaults=dict(sc.defaults, sampler='consistency'))
    model.config.sampler_config = model.diffusion.sampler_config = sc
    if hasattr(model.config, 'sampler'): model.config = model.config.replace(sampler='consistency')
    return model


@torch.no_grad()
def ema_(target, student, mu:float):
    "target <- mu target + (1 - mu) student, parameters and float buffers."
    for pt, ps in zip(target.parameters(), student.parameters()): pt.mul_(mu).add_(ps.detach(), alpha=1 - mu)
    for bt, bs in zip(target.buffers(), student.buffers()):
        if bt.is_floating_point(): bt.copy_(bs)


def consistency_distill(teacher, # a trained denoiser with its process as `.diffusion`
                        batches, # `batches() -> (x0, cond)`
                        steps:int=16, # CD's discretisation: teacher DDIM steps on the 'uniform' grid
                        iters:int=400, # Adam steps
                        lr:float=2e-4, # Adam's learning rate
                        mu:float=0.95, # the target's EMA rate
                        guidance:float=1., # the teacher's guidance (folded into the student)
                        sample_steps:int=1, # the student's default sampling steps
                        seed:int=0, # the batches' and steps' random seed
                        folder:str=None, # where the teacher was loaded from, for the student's record
                        cpu_s:float=None, # stop once the training has taken this many CPU seconds
                        every:int=50, # `each` every this many Adam steps (and at the end)
                        log=None, # `log(line)` at each `each`
                        each=None): # `each(iter, student, record)`: the student is changed after unless copied
    ("Consistency distillation of `teacher` (left untouched): a student and its EMA target, both started from the "
     "teacher's weights. Returns (the student in eval mode, marked `as_consistency_student`; the records).")
    torch.manual_seed(seed)
    source = dict(folder=None if folder is None else str(folder), fingerprint=state_fingerprint(teacher)[:16],
                  steps=steps, guidance=float(guidance), method='consistency')
    train = {n for n, q in teacher.named_parameters() if q.requires_grad} or {n for n, _ in teacher.named_parameters()}
    tch = copy.deepcopy(teacher).eval().requires_grad_(False)
    tch.diffusion.sampler_config = tch.diffusion.sampler_config.replace(timestep_spacing='uniform')
    student = copy.deepcopy(tch).train()
    target = copy.deepcopy(tch).eval()
    opt = torch.optim.Adam([q.requires_grad_(True) for n, q in student.named_parameters() if n in train], lr=lr)
    d, losses, records, cpu = student.diffusion, [], [], 0.
    for it in range(1, iters + 1):
        t0 = time.process_time()
        x0, cond = batches()
        loss = consistency_loss(d, tch, student, target, x0, cond, steps, guidance)
        opt.zero_grad(); loss.backward(); opt.step(); ema_(target, student, mu)
        cpu += time.process_time() - t0
        losses.append(loss.item())
        done = it == iters or (cpu_s is not None and cpu >= cpu_s)
        if it % every == 0 or done:
            m = max(1, min(len(losses), every) // 5)
            rec = dict(iter=it, loss_first=float(np.mean(losses[:m])), loss_last=float(np.mean(losses[-m:])),
                       cpu_s=round(cpu, 1))
            records.append(rec)
            if log: log(f"CD iter {it}: loss {rec['loss_first']:.4f} -> {rec['loss_last']:.4f}, "
                        f"{cpu / 60:.2f} CPU min")
            if each: each(it, student, rec)
        if done: break
    student.eval()
    as_consistency_student(student, sample_steps, dict(source, iters=len(losses)))
    return student, records
