"""The `demo_wavenet` preset's learning curve (the WaveNet backbone of the demo experiment): generated-clip class
accuracy vs training minutes (process CPU and wall).

Runs the recipe's data and split stages and its in-domain classifier, then trains one DiffWave in growing
epoch counts (resumed: one run with a constant learning rate, so the points lie along a single training
run), and after each point samples `--n` clips of every class with the fast sampler and scores them with
the classifier. `--set` / `--ema` change the `demo` preset's model for this run (a named `--tag`), so
several settings can be compared on the same data and classifier. The last point is also sampled at other
guidance scales (`--sweep`) and, with EMA, with the raw (non-averaged) weights. Every run of every tag is
kept in research/diffwave/diffwave_curve.json (plotted in nbs/15_diffwave_recipe.ipynb).
Run: OMP_NUM_THREADS=1 nice -n 10 python research/diffwave/diffwave_curve.py --tag NAME [--set dilation_cycle=12] \
    [--ema 0.999]
     [--epochs 2,4,8,12] [--cpu-budget 14] [--n 10] [--sweep 1,3,4]
"""
import argparse, copy, json, os, platform, shutil, time
from pathlib import Path
import numpy as np, torch
from foleybook.pretrained import load_pretrained
from foleybook.recipes.engine import run_recipe
from foleybook.recipes.stages import classes_of
from foleybook.systems.diffwave.recipe import RECIPE_PRESETS
from foleybook.diffusion.diffwave_train import train_diffwave
from foleybook.train.checkpoint import checkpoints, load_checkpoint

ap = argparse.ArgumentParser()
ap.add_argument('--tag', default='demo', help='name of this run in the JSON')
ap.add_argument('--out', default='exp/diffwave_curve')
ap.add_argument('--set', default='',
                help='model overrides, comma-separated key=value (JSON values), e.g. dilation_cycle=12')
ap.add_argument('--set-json', default='{}',
                help='model overrides as a JSON object; a "diffusion" object updates the preset\'s diffusion settings')
ap.add_argument('--ema', type=float, default=None, help='EMA max decay (default: the preset\'s)')
ap.add_argument('--lr', type=float, default=None)
ap.add_argument('--epochs', default='2,4,8,12,16')
ap.add_argument('--cpu-budget', type=float, default=14.,
                help='stop adding points after this many CPU minutes of training')
ap.add_argument('--result', default='research/diffwave/diffwave_curve.json')
ap.add_argument('--sweep', default='', help='guidance scales to also sample the last point at, e.g. 1,3,4')
ap.add_argument('--n', type=int, default=10, help='clips per class at each point (the recipe generates n_per_class)')
ap.add_argument('--points', default='',
                help="eval phase: the epochs to score, in this order (default: all unscored points)")
ap.add_argument('--raw', action='store_true', help='with EMA: also score the last point with the raw weights')
ap.add_argument('--phase', default='both', choices=['both', 'train', 'eval'],
                help="'train': train all points first, keeping a copy of the model at each; 'eval': sample and score "
                     "those copies")
a = ap.parse_args()
def cpu_name():
    "The CPU model and whether it has AVX-512 / AMX (from /proc/cpuinfo)."
    info = Path('/proc/cpuinfo').read_text() if Path('/proc/cpuinfo').is_file() else ''
    name = next((l.split(':', 1)[1].strip() for l in info.splitlines() if l.startswith('model name')),
                platform.machine())
    flags = next((l.split(':', 1)[1].split() for l in info.splitlines() if l.startswith('flags')), [])
    return f"{name} ({', '.join(f for f in ('avx2', 'avx512f', 'amx_bf16') if f in flags)})"
torch.set_num_threads(1)

P = copy.deepcopy(RECIPE_PRESETS['demo_wavenet'])
s = P['train']
for kv in filter(None, a.set.split(',')):
    k, v = kv.split('='); s['model'][k] = json.loads(v)
for k, v in json.loads(a.set_json).items():
    s['model'][k] = {**s['model'][k], **v} if k == 'diffusion' else v
if a.ema is not None: s['ema'] = a.ema
if a.lr is not None: s['lr'] = a.lr
r = run_recipe(a.out, 'diffwave', 'synth', 'demo_wavenet', stop_stage='split', quiet=True)
classes = classes_of(r)
t0 = time.perf_counter(); c0 = time.process_time()
clf_dir = r.path('classifier')
if not (clf_dir/'config.json').is_file():
    from foleybook.eval.classifier_train import train_classifier
    cs = P['classifier']
    train_classifier(r.path('data', 'train'), cs['preset'], out=r.path('classifier_run'), model=dict(mel='hifigan'),
                     bs=cs['bs'],
                     seed=r.seed, cache_dir=str(r.path('cache', 'mels')), epochs=cs['epochs'], duration=P['duration'],
                     quiet=True)
    shutil.copytree(r.path('classifier_run', 'final'), clf_dir)
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

from foleybook.audio import load_audio
real = [(clf.probs([load_audio(f, sr=clf.sample_rate)[0][0] for f in sorted(r.path('data', 'test', c).glob('*.wav'))],
                   clf.sample_rate).argmax(1)
         == clf.classes.index(c)).mean() for c in classes]
g = P['generate']['guidance']
old = json.loads(Path(a.result).read_text()) if Path(a.result).is_file() else {}
res = dict(preset='demo', n_per_class=a.n, chance=1 / len(classes), real_accuracy=float(np.mean(real)),
           runs=old.get('runs', {}), **{k: v for k, v in old.items() if k in ('earlier', 'notes')})
model_dir = r.path(f'model_{a.tag}')
run = res['runs'].get(a.tag) if a.phase == 'eval' else None
if run is None: run = res['runs'][a.tag] = dict(train=s, classifier_s=clf_s, cpu=cpu_name(), points=[])
def save():   # after every point: a stopped run keeps its curve
    Path(a.result).write_text(json.dumps(res, indent=1) + '\n')
points, wall, cpu = run['points'], 0., 0.
def evaluate(q, folder):
    "Sample and score the model in `folder` for point `q` (a dict, updated)."
    global gen
    gen = load_pretrained(folder).generator()
    t0 = time.perf_counter(); c0 = time.process_time(); acc, per = accuracy(gen, g, a.n)
    q.update(accuracy=acc, per_class=per, guidance=g, gen_wall_s=time.perf_counter() - t0,
             gen_cpu_s=time.process_time() - c0, gen_load=os.getloadavg()[0])
if a.phase != 'eval':
    for e in [int(v) for v in a.epochs.split(',')]:
        t0 = time.perf_counter(); c0 = time.process_time()
        folder = train_diffwave(r.path('data', 'train'), preset=s['preset'], backbone=s['backbone'], out=model_dir,
                                resume=True,
                                seed=r.seed, epochs=e, bs=s['bs'], lr=s.get('lr'), ema=s.get('ema'), conditional=True,
                                model=s['model'])
        wall += time.perf_counter() - t0; cpu += time.process_time() - c0
        keep = model_dir/f'epoch{e:03d}'; shutil.rmtree(keep, ignore_errors=True); shutil.copytree(folder, keep)
        shutil.copy(checkpoints(model_dir/'checkpoints')[-1], keep/'last_checkpoint.safetensors')
        points.append(dict(epochs=e, train_wall_min=wall / 60, train_cpu_min=cpu / 60, load=os.getloadavg()[0],
                           folder=str(keep)))
        if a.phase == 'both': evaluate(points[-1], keep)
        print(a.tag, json.dumps(points[-1]), flush=True); save()
        if cpu / 60 > a.cpu_budget: break
else:
    order = [int(v) for v in a.points.split(',')] if a.points else [q['epochs'] for q in points]
    for e in order:
        q = next(q for q in points if q['epochs'] == e)
        if 'accuracy' not in q: evaluate(q, q['folder']); print(a.tag, json.dumps(q), flush=True); save()
points = [q for q in points if 'accuracy' in q or a.phase == 'train']
folder = Path(points[-1]['folder']); gen = load_pretrained(folder).generator()
if a.sweep and a.phase != 'train':   # the last point at other guidance scales
    run['guidance_at_last'] = {str(k): accuracy(gen, float(k), a.n)[0] for k in a.sweep.split(',')}; save()
    print(a.tag, 'guidance', run['guidance_at_last'], flush=True)
# the last point with the raw weights of its checkpoint (the saved model holds the EMA weights)
if s.get('ema') and a.raw and a.phase != 'train':
    raw = load_pretrained(folder); sd, _ = load_checkpoint(folder/'last_checkpoint.safetensors')
    raw.load_state_dict({k.removeprefix('model.'): v for k, v in sd.items()})
    run['raw_at_last'] = accuracy(raw.generator(), g, a.n)[0]; save()
    print(a.tag, 'raw weights', run['raw_at_last'], flush=True)
