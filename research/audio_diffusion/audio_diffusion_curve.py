"""The audio-diffusion `demo` recipe's learning curve: generated-clip class accuracy vs UNet training steps and CPU
minutes.

Reads a finished (or running) demo experiment made with `foleybook recipe audio-diffusion --preset demo --out EXP`
(its preset keeps every checkpoint: `unet.every` / `unet.keep`). For each checkpoint it samples `n` clips per class
from the EMA weights (and, with --raw, the last one's raw weights) with DDIM as the recipe's generate stage does, and
scores them with the recipe's in-domain classifier (trained by the evaluate stage, or here if missing).
The last checkpoint is also sampled at the guidance scales and DDIM step counts of --sweep.
CPU minutes of a point = the data + split stages + (step / total steps) of the unet stage's process CPU (constant
cost per step), plus the generate and evaluate stages: what a run stopped at that step would cost.
Adds (or replaces, by --label) one entry of `runs` in nbs/results/audio_diffusion_curve.json, keeping the earlier
runs and the file's other keys (shown in nbs/17_audio_diffusion_recipe.ipynb).
Run: OMP_NUM_THREADS=1 nice -n 10 python research/audio_diffusion/audio_diffusion_curve.py --exp EXP --label NAME \
    [--n 10] [--raw]
[--sweep]
"""
import argparse, json, time, platform, subprocess
from pathlib import Path
import numpy as np, torch
from foleybook.recipes.engine import Recipe
from foleybook.recipes.stages import classes_of
from foleybook.recipes.system_recipe import train_recipe_classifier
from foleybook.systems.audio_diffusion.recipe import unet_config
from foleybook.diffusion.audio_diffusion import AudioDiffusion
from foleybook.train.checkpoint import load_checkpoint, checkpoints

ap = argparse.ArgumentParser()
ap.add_argument('--exp', required=True, help='a demo experiment folder')
ap.add_argument('--n', type=int, default=10, help='clips per class at each point')
ap.add_argument('--raw', action='store_true', help='also sample the raw (non-EMA) weights of the last point')
ap.add_argument('--sweep', action='store_true', help='sample the last point at more guidance scales and DDIM steps')
ap.add_argument('--guidance', default='1,2,5,8', help='guidance scales of --sweep')
ap.add_argument('--ddim', default='10,50', help='DDIM step counts of --sweep (at the preset guidance)')
ap.add_argument('--only', default=None, help='comma-separated checkpoint steps to sample (default: all)')
ap.add_argument('--result', default='nbs/results/audio_diffusion_curve.json')
ap.add_argument('--machine', default='', help='what ran beside the bench (load), for the record')
ap.add_argument('--label', required=True,
                help='name of this run in the results file (a run of the same name is replaced)')
a = ap.parse_args()
torch.set_num_threads(1)

r = Recipe(a.exp, None)
classes, P = classes_of(r), r.P
cfg = unet_config(r)
def marker(name):   # by name: an experiment made before a stage was added numbers its markers differently
    m = sorted(r.path('stages').glob(f'*_{name}.done'))
    return json.loads(m[-1].read_text()) if m else None
st = {n: marker(n) for n in ('data', 'split', 'unet', 'generate', 'evaluate')}
if st['unet'] is None: raise SystemExit(f"{a.exp}: the unet stage has not finished")
ck = checkpoints(r.path('unet', 'checkpoints'))
total = max(int(p.stem.split('-')[1]) for p in ck)
fixed = sum((st[s] or {}).get('cpu_seconds', 0.) for s in ('data', 'split', 'generate', 'evaluate'))
unet_cpu = st['unet']['cpu_seconds']
t0, c0 = time.perf_counter(), time.process_time()
clf = train_recipe_classifier(r)
res = dict(label=a.label, exp=str(a.exp), preset=P['unet'], generate=P['generate'],
           n_per_class=a.n, chance=1 / len(classes), total_steps=total, unet_cpu_s=unet_cpu,
           unet_wall_s=st['unet']['seconds'],
           other_stages_cpu_s=fixed, cpu=platform.processor() or platform.machine(), machine=a.machine,
           commit=subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], capture_output=True,
                                 text=True).stdout.strip(),
           points=[], sweep=[])

def accuracy(m, **options):
    "Fraction of generated clips (DDIM as the generate stage) the classifier assigns to their class, and per class."
    hits = []
    for i, c in enumerate(classes):
        with torch.inference_mode(): w = m.generate(c, a.n, seed=r.seed, **options)
        hits.append((clf.predict(list(w), m.sample_rate) == i).astype(float))
    return float(np.concatenate(hits).mean()), {c: float(h.mean()) for c, h in zip(classes, hits)}

def model(sd):
    m = AudioDiffusion(cfg)
    m.load_state_dict({k[6:]: v for k, v in sd.items() if k.startswith('model.')}); return m.eval()

def save():   # after every point: a stopped run keeps its curve
    f = Path(a.result)
    doc = json.loads(f.read_text()) if f.is_file() else {}
    doc['about'] = __doc__.split('\n\n')[1].replace('\n', ' ')
    doc['runs'] = [o for o in doc.get('runs', []) if o.get('label') != a.label] + [res]
    f.write_text(json.dumps(doc, indent=1) + '\n')
gen = dict(steps=P['generate'].get('steps') or cfg.steps, guidance=P['generate']['guidance'])   # steps: the model's
last = None
only = None if a.only is None else {int(x) for x in a.only.split(',')}
for p in ck:
    step = int(p.stem.split('-')[1])
    if only is not None and step not in only and step != total: continue
    raw, state = load_checkpoint(p)
    ema = state['cbs']['EMA']['ema']
    w0, c1 = time.perf_counter(), time.process_time()
    acc, per = accuracy(model(ema), **gen)
    pt = dict(step=step, cpu_min=round((fixed + unet_cpu * step / total) / 60, 2), ema_accuracy=acc,
              ema_class_accuracy=per,
              sample_cpu_s=round(time.process_time() - c1, 1), sample_wall_s=round(time.perf_counter() - w0, 1))
    if a.raw and step == total: pt['raw_accuracy'], pt['raw_class_accuracy'] = accuracy(model(raw), **gen)
    res['points'].append(pt); save(); last = (ema, raw)
    print(f"step {step}: {pt['cpu_min']} CPU min, EMA {acc:.3f}"
          + (f", raw {pt['raw_accuracy']:.3f}" if 'raw_accuracy' in pt else ''), flush=True)
if a.sweep:
    m = model(last[0])
    for g in [float(x) for x in a.guidance.split(',')]:
        acc, per = accuracy(m, steps=gen['steps'], guidance=g)
        res['sweep'].append(dict(steps=gen['steps'], guidance=g, ema_accuracy=acc, ema_class_accuracy=per)); save()
        print(f"guidance {g}: {acc:.3f}", flush=True)
    for s in [int(x) for x in a.ddim.split(',') if x]:
        acc, per = accuracy(m, steps=s, guidance=gen['guidance'])
        res['sweep'].append(dict(steps=s, guidance=gen['guidance'], ema_accuracy=acc, ema_class_accuracy=per)); save()
        print(f"DDIM {s}: {acc:.3f}", flush=True)
res['bench_cpu_s'], res['bench_wall_s'] = round(time.process_time() - c0, 1), round(time.perf_counter() - t0, 1)
save()
