"""Probe: progressive distillation (foleybook.diffusion.distill) of the committed DiffWave demo model (SaShiMi, FiLM,
shaped noise, guidance 4), on SynthFoley seed 0's clips at 8 kHz (random 1 s crops, waves x the model's scale).

Rounds halve the student's DDIM steps on the 'uniform' grid (16 -> 8 -> 4 -> 2 by default), each started from the
previous student; guidance is folded in (the students sample at guidance 1). Scored by the committed judge
(nbs/results/models/judge) on 10 clips a class of 4 s, beside the teacher's own samplers, with whole-clip CPU times.

    OMP_NUM_THREADS=1 python research/distill/probe_diffwave.py --iters 150 --json research/distill/diffwave.json
"""
import argparse, copy, json, platform, subprocess, time
from pathlib import Path
import numpy as np, torch
from foleybook.pretrained import load_pretrained
from foleybook.audio import resample
from foleybook.data.synth import SynthFoley
from foleybook.diffusion.distill import DistillObjective

ROOT = Path(__file__).resolve().parents[2]
p = argparse.ArgumentParser()
p.add_argument('--teacher_steps', type=int, default=16)
p.add_argument('--rounds', type=int, default=3)
p.add_argument('--iters', type=int, default=150, help='optimiser steps per round')
p.add_argument('--bs', type=int, default=8)
p.add_argument('--lr', type=float, default=2e-4)
p.add_argument('--n', type=int, default=10, help='clips per class scored')
p.add_argument('--json', default=None)
a = p.parse_args()
torch.manual_seed(0); torch.set_num_threads(1)

teacher = load_pretrained(ROOT/'nbs'/'results'/'models'/'diffwave').eval()
c, d = teacher.config, teacher.diffusion
classes = list(c.class_names)
sf = SynthFoley(n_per_class=30, seed=0)
waves = torch.stack([torch.from_numpy(sf.clip(k, i)) for k in classes for i in range(30)])
labels = torch.tensor([j for j in range(len(classes)) for _ in range(30)])
waves = resample(waves, sf.sr, c.sample_rate) * c.scale      # (N, 32000) at the model's rate and scale
judge = load_pretrained(ROOT/'nbs'/'results'/'models'/'judge').eval()

def crops(bs):
    i = torch.randint(0, len(waves), (bs,)); s = torch.randint(0, waves.shape[-1] - c.length + 1, (bs,))
    return torch.stack([waves[k, j:j + c.length] for k, j in zip(i.tolist(), s.tolist())])[:, None], labels[i]

def score(model, **options):
    g = model.generator(classes, **options)
    t0 = time.process_time(); hits = {}
    for k in classes:
        w = g.generate(k, a.n, seed=list(range(1000, 1000 + a.n)))
        hits[k] = float((judge.predict(list(w.numpy()), c.sample_rate) == classes.index(k)).mean())
    cpu = (time.process_time() - t0) / (a.n * len(classes))
    return dict(accuracy=float(np.mean(list(hits.values()))), per_class=hits, cpu_s_per_clip=round(cpu, 3))

rows = []
def row(name, calls, model, **opt):
    r = dict(name=name, calls=calls, **score(model, **opt)); rows.append(r)
    print(f"{name:28s} calls {calls:3d}  acc {r['accuracy']:.3f}  cpu/clip {r['cpu_s_per_clip']:.2f} s", flush=True)

row('teacher fast (g 4)', 7, teacher, sampler='fast', guidance=4.)
uni = copy.deepcopy(teacher); uni.diffusion.config = d.config.replace(timestep_spacing='uniform')
row(f'teacher ddim {a.teacher_steps} (g 4)', a.teacher_steps, uni, sampler='ddim', steps=a.teacher_steps, guidance=4.)
row(f'teacher ddim {a.teacher_steps // 8} (g 4)', a.teacher_steps // 8, uni, sampler='ddim',
    steps=a.teacher_steps // 8, guidance=4.)
tch, guidance, steps, train_cpu = uni, 4., a.teacher_steps, 0.
for rnd in range(a.rounds):
    steps //= 2
    student = copy.deepcopy(tch).train()
    obj = DistillObjective(student.diffusion, tch, student, steps, guidance)
    opt = torch.optim.Adam(student.parameters(), lr=a.lr)
    t0, losses = time.process_time(), []
    for it in range(a.iters):
        x, y = crops(a.bs)
        loss = obj(x, y); opt.zero_grad(); loss.backward(); opt.step(); losses.append(loss.item())
    train_cpu += time.process_time() - t0
    student.eval(); student.diffusion.config = student.diffusion.config.replace(p_uncond=0.)
    print(f"round {rnd + 1}: {steps} steps, loss {np.mean(losses[:10]):.4f} -> {np.mean(losses[-10:]):.4f}, "
          f"{train_cpu / 60:.1f} CPU min so far", flush=True)
    row(f'student {steps} (g folded)', steps, student, sampler='ddim', steps=steps, guidance=1.)
    rows[-1].update(round=rnd + 1, train_cpu_min=round(train_cpu / 60, 2), loss_first=float(np.mean(losses[:10])),
                    loss_last=float(np.mean(losses[-10:])))
    tch, guidance = student, 1.
if a.json:
    commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True).stdout.strip()
    Path(a.json).write_text(json.dumps(dict(settings=vars(a), cpu=platform.processor() or platform.machine(),
                                            commit=commit, rows=rows), indent=1))
