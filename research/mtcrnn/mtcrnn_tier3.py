"""MTCRNN's tier 3 alone: does its rms track follow the `fill` control?  The control correlation of `18_mtcrnn_recipe`
measured on tier 3's generated rms (`track_correlation`) for many samples of the ramp and the step, so a run's spread
over samples shows (the recipe's evaluate stage measures the whole chain on `n_curves` samples).

Tier 3 decides the chain's events: when its rms falls into a fixed point (a constant level, no onsets) the audio has
no events either, and the correlation of the step inverts. Ablate tier 3's training on one experiment folder:

    foleybook recipe mtcrnn --preset demo --out exp/mt --set seed=1 --stop-stage tier3 --set tier3.steps=1000 ...
    python research/mtcrnn/mtcrnn_tier3.py exp/mt --name steps1000 --json nbs/results/mtcrnn_tier3.json

Each run's per-sample correlations and the tier 3 section it trained with are added to the json under `--name`.
"""
import argparse, json, os, platform
os.environ.setdefault('OMP_NUM_THREADS', '1'); os.environ.setdefault('MKL_NUM_THREADS', '1')
from pathlib import Path
import numpy as np, torch
from foleybook.eval.system_metrics import track_correlation
from foleybook.systems.mtcrnn.generate import tier_inputs, generate_tier
from foleybook.systems.mtcrnn.tiers import Tier
from foleybook.systems.mtcrnn.recipe import test_curves

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument('run', help='an MTCRNN recipe folder whose tier3 stage finished')
p.add_argument('--samples', type=int, default=16, help='samples of each test control')
p.add_argument('--duration', type=float, default=4.)
p.add_argument('--name', default=None, help='the key of this run in --json (default: the folder name)')
p.add_argument('--json', default=None)
a = p.parse_args()
torch.set_num_threads(1)
run = Path(a.run)
t3 = Tier.from_pretrained(run/'tier3'/'final')
rate, rate_c = t3.config.rate, 25.   # tier 3's frame rate; the control measure's rate
res = {}
for name, c in test_curves(a.duration, rate).items():
    cc = np.interp(np.arange(int(a.duration * rate_c)) / rate_c, np.arange(len(c)) / rate, c)
    cond = torch.tensor(c)[None, :, None].expand(a.samples, -1, -1)
    cond3, prev, pc = tier_inputs(t3, 'external', None, n=a.samples, external=cond, external_rate=rate, prime='random',
                                  seed=7)
    tracks, i = generate_tier(t3, cond3, prev, pc, seed=11), list(t3.config.generate).index('rms')
    res[name] = [round(track_correlation(tracks[j, :, i].numpy(), rate, cc, 'rms', rate_c), 4)
                 for j in range(a.samples)]
    print(f"{name}: tier 3 rms correlation mean {np.mean(res[name]):.3f}, min {np.min(res[name]):.3f} over {a.samples}")
if a.json:
    rec = json.loads((run/'recipe.json').read_text())
    out = Path(a.json); d = json.loads(out.read_text()) if out.is_file() else {}
    P = rec['preset']
    d.setdefault('runs', {})[a.name or run.name] = dict(seed=P.get('seed'), n_clips=P.get('n_clips'),
                                                        tier3=P['tier3'], **res)
    d['cpu'] = f"{platform.processor() or platform.machine()} ({torch.backends.cpu.get_cpu_capability()}), 1 thread"
    out.write_text(json.dumps(d, indent=1) + '\n')
