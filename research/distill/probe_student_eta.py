"""Probe: the DiffWave demo's progressive students sampled stochastically (DDIM eta > 0) instead of deterministically.

The students of bench/distill_curve.py learn the teacher's deterministic DDIM (eta 0), which on this teacher is
recognised less often than its stochastic 7-call default; consistency students gain from renoising. This distils the
committed DiffWave demo once (`--seed`; 16 DDIM steps halved in 3 rounds of 100 Adam steps, batch 8, as
bench/distill_curve.py does, same seed and batches) and scores its 4- and 2-call students with DDIM at each `--etas`
(bench/distill_curve.py's `score`: `--n` clips of every class, the committed judge, FAD against the recipe's held-out
clips, CPU s a clip). Writes --out (json).

    OMP_NUM_THREADS=1 python research/distill/probe_student_eta.py [--seed 0] [--n 12] [--out F.json]
"""
import argparse, json, subprocess, sys, warnings
from pathlib import Path
import torch
from foleybook.pretrained import load_pretrained
from foleybook.recipes.engine import get_recipe
from foleybook.diffusion.distill import distill_rounds
sys.path.insert(0, str(Path(__file__).resolve().parents[2]/'bench'))
from distill_curve import fingerprint, cpu_name, split, batches, bench_fmt, real_frames, score  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT/'nbs'/'results'/'models'
ap = argparse.ArgumentParser()
ap.add_argument('--seed', type=int, default=0)
ap.add_argument('--n', type=int, default=12)
ap.add_argument('--etas', default='0,0.5,1')
ap.add_argument('--data', default=str(Path.home()/'.cache'/'foleybook'/'distill_curve'))
ap.add_argument('--out', default=str(ROOT/'research'/'distill'/'student_eta.json'))
a = ap.parse_args()
torch.set_num_threads(1)
warnings.filterwarnings('ignore', message='FAD with')
folder = MODELS/'diffwave'
fmt, judge = bench_fmt(), load_pretrained(MODELS/'judge').eval()
teacher = load_pretrained(folder).eval()
exp = split('diffwave', a.data)
guidance = float(get_recipe('diffwave').preset('demo')['generate'].get('guidance') or 1.)
real_emb = real_frames(exp, judge, fmt)
commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True,
                        cwd=ROOT).stdout.strip()
doc = dict(about=__doc__.split('\n\n')[1].replace('\n', ' '), model=fingerprint(folder), seed=a.seed, commit=commit,
           cpu=cpu_name(), fmt=fmt, settings=dict(n_per_class=a.n, steps=16, rounds=3, iters=100, bs=8, lr=2e-4),
           points=[])
out = Path(a.out)
students = []
distill_rounds(teacher, batches('diffwave', teacher, exp, 8), 16, 3, 100, 2e-4, guidance, seed=a.seed,
               log=lambda m: print(m, flush=True), each=lambda k, st, rec: students.append((st, rec)))
for st, rec in students:
    if rec['steps'] > 4: continue
    for eta in map(float, a.etas.split(',')):
        sc = score(st, a.seed, a.n, judge, fmt, real_emb, sampler='ddim', steps=rec['steps'], eta=eta, guidance=1.)
        doc['points'].append(dict(eta=eta, distill_cpu_min=round(rec['cpu_s'] / 60, 2), **sc))
        out.write_text(json.dumps(doc, indent=1) + '\n')
        print(f"student {sc['calls']} calls eta {eta:g}: accuracy {sc['accuracy']:.3f} FAD {sc['fad']:.2f} "
              f"({sc['cpu_s_per_clip']:.2f} CPU s a clip)", flush=True)
print(f"written {out}")
