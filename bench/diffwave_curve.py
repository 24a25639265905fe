"""The `demo` recipe's learning curve: generated-clip class accuracy vs training minutes (wall and process CPU).

Runs the recipe's data and split stages and its in-domain classifier, then trains the `demo` DiffWave in
growing epoch counts (resumed: one run with a constant learning rate), and after each point samples
`n_per_class` clips of every class with the fast sampler and scores them with the classifier.
The last point is also sampled at a few guidance scales. Writes nbs/results/diffwave_curve.json
(plotted in nbs/13d_diffwave_recipe.ipynb).
Run: OMP_NUM_THREADS=1 nice -n 10 python bench/diffwave_curve.py [--out exp/diffwave_curve] [--epochs 1,2,4,6,8] [--budget 1500] [--n 10]
"""
import argparse, json, os, time
from pathlib import Path
import numpy as np, torch
from foleybook.core import load_pretrained
from foleybook.recipes.engine import run_recipe
from foleybook.recipes.stages import classes_of
from foleybook.recipes.diffwave import RECIPE_PRESETS
from foleybook.diffusion.training import train_diffwave

ap = argparse.ArgumentParser()
ap.add_argument('--out', default='exp/diffwave_curve')
ap.add_argument('--epochs', default='1,2,3,4,6,8,10')
ap.add_argument('--budget', type=float, default=1500., help='stop adding points after this many wall seconds of training')
ap.add_argument('--cpu-budget', type=float, default=14., help='... or this many CPU minutes of training')
ap.add_argument('--result', default='nbs/results/diffwave_curve.json')
ap.add_argument('--sweep', action='store_true', help='also sample the last point at guidance 1, 3 and 4')
ap.add_argument('--n', type=int, default=10, help='clips per class at each point (the recipe generates n_per_class)')
a = ap.parse_args()
torch.set_num_threads(1)

P = RECIPE_PRESETS['demo']
r = run_recipe(a.out, 'diffwave', 'synth', 'demo', stop_stage='split', quiet=True)
classes = classes_of(r)
t0 = time.perf_counter(); c0 = time.process_time()
clf_dir = r.path('classifier')
if not (clf_dir/'config.json').is_file():
    from foleybook.audio import MelConfig
    from foleybook.eval.classifier import train_classifier_on_folder
    s = P['classifier']
    clf = train_classifier_on_folder(r.path('data', 'train'), MelConfig.preset('hifigan'), preset=s['preset'], bs=s['bs'], seed=r.seed,
                                     cache_dir=r.path('cache', 'mels'), epochs=s['epochs'], duration=P['duration'])
    clf.save_pretrained(clf_dir)
clf = load_pretrained(clf_dir)
clf_s = dict(wall=time.perf_counter() - t0, cpu=time.process_time() - c0)

def accuracy(gen, guidance, n):
    "Fraction of generated clips the classifier assigns to their class, and the per-class fractions."
    hits = []
    for i, c in enumerate(classes):
        with torch.inference_mode():
            w = gen.generate(c, n=n, seed=r.seed + i, sampler=P['generate']['sampler'], guidance=guidance)
        hits.append((clf.probs(list(w), gen.sample_rate).argmax(1) == clf.classes.index(c)).astype(float))
    return float(np.concatenate(hits).mean()), {c: float(h.mean()) for c, h in zip(classes, hits)}

s, n, g = P['train'], a.n, P['generate']['guidance']
from foleybook.audio import load_audio
real = [(clf.probs([load_audio(f, sr=clf.sample_rate)[0][0] for f in sorted(r.path('data', 'test', c).glob('*.wav'))], clf.sample_rate).argmax(1)
         == clf.classes.index(c)).mean() for c in classes]
res = dict(preset='demo', train=s, n_per_class=n, chance=1 / len(classes), classifier_s=clf_s, real_accuracy=float(np.mean(real)), points=[])
def save(): Path(a.result).write_text(json.dumps(res, indent=1) + '\n')   # after every point: a stopped run keeps its curve
points, wall, cpu = res['points'], 0., 0.
for e in [int(v) for v in a.epochs.split(',')]:
    t0 = time.perf_counter(); c0 = time.process_time()
    folder = train_diffwave(r.path('data', 'train'), preset=s['preset'], backbone=s['backbone'], out=r.path('model'), resume=True,
                            seed=r.seed, epochs=e, bs=s['bs'], lr=s.get('lr'), ema=s.get('ema'), conditional=True, **s['overrides'])
    wall += time.perf_counter() - t0; cpu += time.process_time() - c0
    gen = load_pretrained(folder).generator()
    t0 = time.perf_counter(); c0 = time.process_time(); acc, per = accuracy(gen, g, n); gs, gc = time.perf_counter() - t0, time.process_time() - c0
    points.append(dict(epochs=e, train_wall_min=wall / 60, train_cpu_min=cpu / 60, accuracy=acc, per_class=per, guidance=g, gen_wall_s=gs, gen_cpu_s=gc, load=os.getloadavg()[0]))
    print(json.dumps(points[-1]), flush=True); save()
    if wall > a.budget: break
    if cpu / 60 > a.cpu_budget: break
if a.sweep:   # the last point at other guidance scales
    res['guidance_at_last'] = {str(k): accuracy(gen, k, n)[0] for k in (1., 3., 4.)}; save()
