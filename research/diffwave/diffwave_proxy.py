"""A cheap proxy of the `demo_wavenet` preset for exploring settings: train one variant for a few epochs, sample `--n`
clips per class
with the fast sampler, score them with the in-domain classifier of `research/diffwave/diffwave_curve.py` (same data,
split and
classifier),
and print per-class features (rms, spectral flatness, peak/mean of the 50 ms rms envelope) beside the classifier's
labels.
Each run is recorded in research/diffwave/diffwave_curve.json as run `--tag` (`"proxy": true`, one point).
Run: OMP_NUM_THREADS=1 nice -n 10 python research/diffwave/diffwave_proxy.py TAG '{"scale": 5, "diffusion": \
    {"beta_end": 0.2}}'
EPOCHS [N] ['{"guidances": [2]}']
(the JSON object updates the `demo` preset's model overrides; keys lr, bs, ema, backbone, preset update its training
settings)
"""
import sys, json, time, copy, os, platform, numpy as np, torch
from pathlib import Path
from foleybook.pretrained import load_pretrained
from foleybook.recipes.engine import run_recipe
from foleybook.systems.diffwave.recipe import RECIPE_PRESETS
from foleybook.diffusion.diffwave_train import train_diffwave
torch.set_num_threads(1)
tag, over, epochs = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
n = int(sys.argv[4]) if len(sys.argv) > 4 else 4
gopts = json.loads(sys.argv[5]) if len(sys.argv) > 5 else {}
E = Path(os.environ.get('DIFFWAVE_CURVE_OUT', 'exp/diffwave_curve'))
result = Path('research/diffwave/diffwave_curve.json')
if not (E/'classifier'/'config.json').is_file():
    sys.exit(f"{E}: run research/diffwave/diffwave_curve.py first (its data, split and classifier)")
P = copy.deepcopy(RECIPE_PRESETS['demo_wavenet']['train']); o = P['model']
for k, v in over.items():
    if k == 'diffusion': o['diffusion'] = {**o['diffusion'], **v}
    elif k in ('lr', 'bs', 'ema', 'backbone', 'preset'): P[k] = v
    else: o[k] = v
P['epochs'] = epochs
c0, t0 = time.process_time(), time.time()
folder = train_diffwave(E/'data'/'train', preset=P['preset'], backbone=P['backbone'], out=E/f'model_{tag}', resume=True,
                        seed=0, epochs=epochs,
                        bs=P['bs'], lr=P['lr'], ema=P.get('ema'), conditional=True, model=o)
tc, tw = (time.process_time() - c0) / 60, (time.time() - t0) / 60
clf = load_pretrained(E/'classifier'); classes = clf.classes
gen = load_pretrained(folder).generator()
def feats(w):
    "rms, spectral flatness, peak / mean of the 50 ms rms envelope (at 16 kHz; 1: stationary)."
    w = np.asarray(w, dtype=np.float64); k = 800 * gen.sample_rate // 16000
    env = np.sqrt(np.convolve(w**2, np.ones(k)/k, 'valid')[::k])
    S = np.abs(np.fft.rfft(w*np.hanning(len(w))))**2 + 1e-12
    return [w.std(), np.exp(np.log(S).mean())/S.mean(), env.max()/(env.mean()+1e-9)]
points = []
for G in gopts.get('guidances', [2.0]):
    c1, hits, fs = time.process_time(), {}, {}
    for i, c in enumerate(classes):
        with torch.inference_mode():
            w = gen.generate(c, n=n, seed=i, sampler=gopts.get('sampler', 'fast'), guidance=G,
                             **({'steps': gopts['steps']} if 'steps' in gopts else {}))
        p = clf.probs(list(w), gen.sample_rate).argmax(1)
        hits[c] = float((p == classes.index(c)).mean())
        fs[c] = np.mean([feats(x.numpy()) for x in w], 0).round(4).tolist()
        print(c, fs[c], [classes[j] for j in p], flush=True)
    points.append(dict(epochs=epochs, train_cpu_min=tc, train_wall_min=tw, accuracy=float(np.mean(list(hits.values()))),
                       per_class=hits, guidance=G,
                       sampler=gopts.get('sampler', 'fast'), steps=gopts.get('steps'),
                       gen_cpu_s=time.process_time() - c1, features=fs, load=os.getloadavg()[0]))
    print(tag, 'guidance', G, 'accuracy', points[-1]['accuracy'], flush=True)
res = json.loads(result.read_text())
info = next((l.split(':',
                     1)[1].strip() for l in Path('/proc/cpuinfo').read_text().splitlines()
             if l.startswith('model name')), platform.machine())
res['runs'][tag] = dict(train=P, cpu=info, proxy=True, n_per_class=n, points=points)
result.write_text(json.dumps(res, indent=1) + '\n')
