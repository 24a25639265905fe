"""Quality per network call of the diffusion core's samplers, on the trained demo models of the benchmark.

For each system (the audio-diffusion and DiffWave demo models given as folders) and each sampler and number of
model calls (DDPM over all T steps; DDIM 50, 25, 20, 10 with eta 0 (deterministic, as teticio's pipelines) and
also with eta 1 (ancestral, as the demo recipes sample); DiffWave's 7-step fast sampler;
DPM-Solver++ 2M and UniPC 20, 15, 10, 5), `--n` clips of every class are generated with each of `--seeds` (the same
starting noise for every sampler of a seed: paired), with the demo recipes' sampling options (guidance; Griffin-Lim
iterations), and scored as the benchmark scores clips: the bench judge's accuracy (`judge_accuracy`: the judge's
format) and the FAD of the judge's frame embeddings against the benchmark's held-out clips (SynthFoley demo set, the
split of --split-seed, the models' own; rebuilt in --data). The CPU seconds of each point are recorded; the per-call
cost is measured first and the script prints its estimate of the whole run. Resumable: a point already in --out
with the same settings and models is kept; points of other models (a retrained demo model: its weights' fingerprint
changes) are dropped, so every point of that system is redone. Writes nbs/results/solvers_quality.json (plotted in
nbs/06d_solvers.ipynb).
Run: OMP_NUM_THREADS=1 python bench/solvers_quality.py [--ad DIR] [--diffwave DIR] [--n 4] [--seeds 0,1,2]
[--split-seed S --judge bench]
"""
import argparse, hashlib, json, platform, time, warnings
from pathlib import Path
import numpy as np, torch
from foleybook.pretrained import load_pretrained
from foleybook.diffusion.core import GaussianDiffusion
from foleybook.audio import load_audio
from foleybook.eval.metrics import fad
from foleybook.recipes.bench import judge_accuracy, judge_format, bench_split, bench_judge, BENCH_PRESETS
from foleybook.recipes.engine import get_recipe
from foleybook.generators import as_generator
from foleybook.data.synth import synth_folder
from foleybook.recipes.stages import class_folders

ROOT = Path(__file__).resolve().parents[1]
ap = argparse.ArgumentParser()
MODELS = ROOT/'nbs'/'results'/'models'
ap.add_argument('--ad', default=str(MODELS/'audio-diffusion'), help='the audio-diffusion demo model folder')
ap.add_argument('--diffwave', default=str(MODELS/'diffwave'), help='the DiffWave demo model folder')
ap.add_argument('--judge', default=str(MODELS/'judge'),
                help="the benchmark's judge of --split-seed (a model folder; 'bench': its own, from the judge cache)")
ap.add_argument('--split-seed', type=int, default=0,
                help="the benchmark seed whose split's held-out clips are the FAD reference (the models' own seed)")
ap.add_argument('--data', default=str(Path.home()/'.cache'/'foleybook'/'solvers_quality'),
                help='where the SynthFoley set and split go')
ap.add_argument('--n', type=int, default=4, help='clips per class at each point and seed (batches of one per class)')
ap.add_argument('--seeds', default='0,1,2')
ap.add_argument('--systems', default='audio-diffusion,diffwave')
ap.add_argument('--max-calls', type=int, default=None, help='leave out the points of more model calls (a quick check)')
ap.add_argument('--samplers', default=None, help='only these samplers (comma-separated, e.g. dpm++,unipc)')
ap.add_argument('--variants', default=None,
                help="only these solver levels (keys of VARIANTS, 'spacing': the plan's own)")
ap.add_argument('--out', default=str(ROOT/'nbs'/'results'/'solvers_quality.json'))
a = ap.parse_args()
torch.set_num_threads(1)
warnings.filterwarnings('ignore', message='FAD with')

# a point's variant: changes to the `SamplerConfig` (solver levels) or, for `eta`, to the sampling options
VARIANTS = {'': {}, 'karras': dict(solver_levels='karras'), 'lu': dict(solver_levels='lu'), 'eta1': dict(eta=1.)}
SAMPLING = ('eta',)   # the variants' keys that are sampling options, not config fields
SOLVERS = [(s, k, v) for k in (5, 10, 15, 20) for v in ('', 'karras', 'lu') for s in ('dpm++', 'unipc')]
DDIM = [('ddim', k, v) for k in (50, 25, 20, 10) for v in ('', 'eta1')]
POINTS = {   # system -> [(sampler, model calls (None: the sampler's own), variant)], the reference (DDIM 50) first
    # in the order of what a choice of default needs first: the references, the demo's DDIM, the solvers at their
    # best levels, deterministic DDIM, the solvers at the spacing's levels; then the rest
    'audio-diffusion': DDIM[:2] + [('ddim', k, 'eta1') for k in (25, 20, 15, 10, 5)]
                       + [(s, k, 'lu') for s in ('dpm++', 'unipc') for k in (10, 15, 20)]
                       + [('ddim', k, '') for k in (25, 20, 10)]
                       + [(s, k, '') for s in ('dpm++', 'unipc') for k in (10, 20)]
                       + [(s, 5, v) for v in ('', 'lu') for s in ('dpm++', 'unipc')]
                       + [(s, 15, '') for s in ('dpm++', 'unipc')] + [('ddpm', None, '')]
                       + [p for p in SOLVERS if p[2] == 'karras'],
    'diffwave': [('ddim', 50, ''), ('fast', None, '')] + [(s, k, '') for k in (5, 10, 20) for s in ('dpm++', 'unipc')]
                + [('ddim', k, '') for k in (20, 10)] + [('ddpm', None, '')]
                + [('ddim', k, 'eta1') for k in (50, 20, 10)],
}
bench = json.loads((ROOT/'nbs'/'results'/'bench_demo.json').read_text())['settings']
fmt, P = bench['fmt'], BENCH_PRESETS[bench['preset']]

def fingerprint(folder) -> str:
    "A hash of a model folder's weights: a retrained model gets a new one (its sampling defaults are not in it)."
    h = hashlib.sha1()
    for f in sorted(Path(folder).rglob('*.safetensors')):
        h.update(f.name.encode()); h.update(f.read_bytes())
    return h.hexdigest()[:16]

def cpu_name() -> str:
    info = Path('/proc/cpuinfo').read_text() if Path('/proc/cpuinfo').is_file() else ''
    names = (l.split(':', 1)[1].strip() for l in info.splitlines() if l.startswith('model name'))
    return next(names, platform.processor())

def generator(system):
    "(generator, its demo sampling options, model folder) of a system: the demo recipe's guidance and Griffin-Lim's."
    folder = a.ad if system == 'audio-diffusion' else a.diffwave
    g = as_generator(load_pretrained(folder))
    gen = get_recipe(system).preset('demo')['generate']
    return g, {k: gen[k] for k in ('guidance', 'n_iter') if gen.get(k) is not None}, folder

data = Path(a.data)
dev = synth_folder(data/'synthfoley', P['n_per_class'], seed=0)
split = bench_split(dev, data/f'split{a.split_seed}', P['holdout'], seed=a.split_seed)
if a.judge == 'bench':
    judge = bench_judge(split, P['judge'], seed=a.split_seed, system='cpu').eval()
    judge_fp = judge.judge_key
else: judge, judge_fp = load_pretrained(a.judge).eval(), fingerprint(a.judge)
real = [judge_format(*load_audio(f), fmt) for fs in class_folders(split/'test').values() for f in fs]
real_emb = np.concatenate(judge.frames(real, fmt['sample_rate']))
print(f"reference: {len(real)} held-out clips of the benchmark's seed-{a.split_seed} split", flush=True)

out = Path(a.out)
KEY = ('system', 'sampler', 'variant', 'calls', 'seed')
def key_of(p): return tuple(p.get(k, '') for k in KEY)
def save(points=()):
    "Merge `points` into --out (re-read first: another run may have added points since) and write it."
    doc = json.loads(out.read_text()) if out.is_file() else {}
    cpu = doc.get('cpu', {})   # per system: the CPU its points were measured on
    cpu = {**({s: cpu for s in POINTS} if isinstance(cpu, str) else cpu),
           **{s: cpu_name() for s in a.systems.split(',')}}
    doc.update(about=__doc__.split('\n\n')[1].replace('\n', ' '), cpu=cpu, fmt=fmt, variants=VARIANTS)
    for k in ('n_per_class', 'reference_clips', 'judge'): doc.pop(k, None)   # per point (`same`)
    new = {key_of(p): p for p in points}
    doc['points'] = [p for p in doc.get('points', []) if key_of(p) not in new and p['model'] == MODEL[p['system']]]
    doc['points'] += list(new.values())
    out.write_text(json.dumps(doc, indent=1) + '\n')
    return doc

MODEL = {'audio-diffusion': fingerprint(a.ad), 'diffwave': fingerprint(a.diffwave)}   # the models the points are of
done = {key_of(p): p for p in save()['points']}
for system in a.systems.split(','):
    g, opts, folder = generator(system)
    classes, fp, base = list(g.classes), fingerprint(folder), g.diffusion
    same = dict(model=fp, n_per_class=a.n, judge=judge_fp, split_seed=a.split_seed, reference_clips=len(real),
                options=opts)
    # the cost of a model call, measured first (10 DDIM calls on one batch), then the estimate of this system's points
    g.generate(classes, len(classes), seed=0, sampler='ddim', steps=1, **opts)   # warm-up (a fast path picks its forms)
    c0 = time.process_time(); g.generate(classes, len(classes), seed=0, sampler='ddim', steps=2, **opts)
    c1 = time.process_time(); g.generate(classes, len(classes), seed=0, sampler='ddim', steps=12, **opts)
    c2 = time.process_time()
    per_call = a.n * (c2 - c1 - (c1 - c0)) / 10; fixed = max(0., a.n * (c1 - c0) - 2 * per_call)
    todo = [(s, k, v, len(base.plan(s, k)[0])) for s, k, v in POINTS[system]]
    todo = [t for t in todo if (a.max_calls is None or t[3] <= a.max_calls)
            and (a.samplers is None or t[0] in a.samplers.split(','))
            and (a.variants is None or (t[2] or 'spacing') in a.variants.split(','))]
    est = sum(per_call * t[3] + fixed for t in todo) * len(a.seeds.split(','))
    print(f"{system}: {per_call:.3f} CPU s a model call ({a.n} x {len(classes)} clips, guidance {opts['guidance']}), "
          f"{fixed:.1f} s the rest; its points x seeds {a.seeds}: about {est / 60:.0f} CPU min", flush=True)
    for sampler, steps, variant, n_calls in todo:
        change = VARIANTS[variant]
        levels = dict(solver_levels=None)   # the spacing's levels unless the variant's, never the model config's
        g.diffusion = GaussianDiffusion(base.config, base.sampler_config,
                                        **{**levels, **{k: v for k, v in change.items() if k not in SAMPLING}})
        # DDIM's eta stated (0 unless the variant's), never the model config's default
        kw = {**opts, **({'eta': 0.} if sampler == 'ddim' else {}), **{k: change[k] for k in SAMPLING if k in change}}
        for seed in [int(s) for s in a.seeds.split(',')]:
            key = dict(system=system, sampler=sampler, variant=variant, calls=n_calls, seed=seed)
            old = done.get(key_of(key))
            if old is not None and all(old.get(k) == v for k, v in same.items()): continue
            t0 = time.process_time()
            with torch.inference_mode():   # one clip of every class a batch; batch j of seed s from seed 1000 s + j
                w = torch.cat([g.generate(classes, len(classes), seed=1000 * seed + j, sampler=sampler, steps=steps,
                                          **kw) for j in range(a.n)])
            cpu = time.process_time() - t0
            names = classes * a.n
            by_class = {c: [w[i] for i in range(len(w)) if names[i] == c] for c in classes}
            acc = judge_accuracy(judge, by_class, g.sample_rate, fmt)
            emb = np.concatenate(judge.frames([judge_format(x, g.sample_rate, fmt) for x in w], fmt['sample_rate']))
            pt = dict(**key, **same, steps=steps, guidance=opts['guidance'], eta=kw.get('eta'), accuracy=acc['all'],
                      class_accuracy={c: acc[c] for c in classes}, fad=float(fad(emb, real_emb)), cpu_s=round(cpu, 1))
            save([pt])
            print(f"{system} {sampler} {variant} {n_calls} calls seed {seed}: accuracy {pt['accuracy']:.3f} "
                  f"FAD {pt['fad']:.2f} ({cpu:.0f} CPU s)", flush=True)
    g.diffusion = base
