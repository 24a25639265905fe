"""Sampling SaShiMi clips with the batch in pieces (`fast_sashimi(model, samples=...)`,
`foleybook.fastpath.BatchChunks`) against the whole batch in one call (what the reference's sampler and foleybook did
before: every clip of a batch in each network call).

The DiffWave demo's SaShiMi (`nbs/results/models/diffwave`: 8 kHz, 4 s clips) samples 10 clips of one class with
the demo's settings (the fast sampler, guidance 4: 20 rows of 32,000 samples a call when whole), with the pieces at
most `samples` values a call. Interleaved rounds of process CPU seconds, one thread, medians; the clips of each form
against the whole batch's (largest absolute difference). Prints the CPU, writes nbs/results/sashimi_batch_bench.json.

    OMP_NUM_THREADS=1 python bench/sashimi_batch.py [--rounds 2] [--clips 10]
"""
import argparse, json, os, platform, time
os.environ.setdefault('OMP_NUM_THREADS', '1'); os.environ.setdefault('MKL_NUM_THREADS', '1')
from pathlib import Path
import numpy as np, torch
from foleybook.pretrained import load_pretrained
from foleybook.diffusion.generator import DiffusionGenerator
from foleybook.diffusion.sashimi import fast_sashimi
from foleybook.fastpath import cpu_info

ROOT = Path(__file__).resolve().parents[1]
ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument('--rounds', type=int, default=2)
ap.add_argument('--clips', type=int, default=10)
ap.add_argument('--model', default=str(ROOT/'nbs'/'results'/'models'/'diffwave'))
ap.add_argument('--out', default=str(ROOT/'nbs'/'results'/'sashimi_batch_bench.json'))
a = ap.parse_args()
torch.set_num_threads(1)

model = load_pretrained(a.model)
c, base = model.config, model.generator()
forms = {'whole batch': None, 'pieces of 32,768': 32768, 'pieces of 65,536 (default)': 65536,
         'pieces of 131,072': 131072}
gens = {k: DiffusionGenerator(fast_sashimi(model, samples=v or 10 ** 12), model.diffusion, base.example_shape,
                              c.sample_rate, classes=list(c.class_names), clip=c.scale, decode=base.decode,
                              sampler='fast') for k, v in forms.items()}
run = lambda g: g.generate(c.class_names[0], a.clips, seed=0, sampler='fast', guidance=4.)
outs = {k: run(g) for k, g in gens.items()}   # a warm-up call each (the forms measure and cache their choice)
secs = {k: [] for k in gens}
for _ in range(a.rounds):
    for k, g in gens.items():
        t0 = time.process_time(); run(g); secs[k].append(time.process_time() - t0)
med = {k: float(np.median(v)) for k, v in secs.items()}
ref = med['whole batch']
res = dict(what=f"{a.clips} clips of {base.example_shape[-1] / c.sample_rate:.0f} s at {c.sample_rate} Hz, fast "
                "sampler, guidance 4",
           cpu=f"{cpu_info()['model']} ({platform.machine()}, {torch.backends.cpu.get_cpu_capability()}), one thread",
           rounds=a.rounds, seconds=med, speedup={k: ref / v for k, v in med.items()},
           max_abs_diff={k: float((o - outs['whole batch']).abs().max()) for k, o in outs.items()})
print(res['cpu'])
for k in gens: print(f"{k:28s} {med[k]:7.1f} s  {res['speedup'][k]:.2f}x  max |diff| {res['max_abs_diff'][k]:.1e}")
Path(a.out).write_text(json.dumps(res, indent=1) + '\n')
print('wrote', a.out)
