"""Quality against model calls: progressive-distillation students beside their teacher's samplers.

For each system (the committed DiffWave and audio-diffusion demo models as teachers), in one process: the teacher's
default sampler (the demo recipe's generate options) on each of `--seeds`, its DDIM 50, 25, 20 (eta 0) and
DPM-Solver++ 10, 15 on `--teacher-seeds`; and students distilled from it (`foleybook.diffusion.distill.distill_rounds`:
16 DDIM steps on the 'uniform' grid halved in `--rounds` rounds of `--iters` Adam steps of batch `--bs`, on the demo
recipe's own levelled train split, guidance folded in), one distillation per seed, each of its students (8, 4, 2, 1
calls) sampled with the same seed. A point: `--n` clips of every class (batch j of seed s from seed 1000 s + j, the
same starting noise for every sampler of a seed), scored by the committed judge's accuracy (`judge_accuracy`) and the
FAD of its frame embeddings against the recipe's held-out clips, with the CPU seconds a clip. Resumable: points
already in --out for the same teacher weights and settings are kept. Writes nbs/results/distill_curve.json; its helpers
(`split`, `batches`, `score`) serve the probes in research/distill. Run:
OMP_NUM_THREADS=1 python bench/distill_curve.py [--systems diffwave,audio-diffusion] [--n 4] [--seeds 0,1,2]
"""
import argparse, hashlib, json, platform, time, warnings
from pathlib import Path
import numpy as np, torch
from foleybook.pretrained import load_pretrained
from foleybook.audio import load_audio
from foleybook.eval.metrics import fad
from foleybook.recipes.bench import judge_accuracy, judge_format
from foleybook.recipes.engine import get_recipe
from foleybook.recipes.stages import class_folders
from foleybook.generators import as_generator
from foleybook.diffusion.distill import distill_rounds

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT/'nbs'/'results'/'models'
FOLDER = {'diffwave': MODELS/'diffwave', 'audio-diffusion': MODELS/'audio-diffusion'}
TEACHER = [('ddim', 50), ('ddim', 25), ('ddim', 20), ('dpm++', 15), ('dpm++', 10)]
DATA = Path.home()/'.cache'/'foleybook'/'distill_curve'
SAME = ('system', 'model', 'kind', 'sampler', 'calls', 'seed', 'n_per_class')


def fingerprint(folder) -> str:
    h = hashlib.sha1()
    for f in sorted(Path(folder).rglob('*.safetensors')): h.update(f.name.encode()); h.update(f.read_bytes())
    return h.hexdigest()[:16]


def cpu_name() -> str:
    info = Path('/proc/cpuinfo').read_text() if Path('/proc/cpuinfo').is_file() else ''
    return next((l.split(':', 1)[1].strip() for l in info.splitlines() if l.startswith('model name')),
                platform.processor())


def bench_fmt() -> dict: return json.loads((ROOT/'nbs'/'results'/'bench_demo.json').read_text())['settings']['fmt']


def split(system, data=DATA) -> Path:
    "The demo recipe's experiment folder after its data and split stages (SynthFoley, its seed)."
    out = Path(data)/system
    if not (out/'data'/'splits.json').is_file():
        from foleybook.cli import main
        if main(['recipe', system, '--preset', 'demo', '--stop-stage', 'split', '--out', str(out)]):
            raise SystemExit(f"the {system} demo's data and split stages failed")
    return out


def batches(system, model, exp: Path, bs: int):
    "`() -> (x0, cond)`: random training batches of the recipe's levelled train split, as its trainer sees them."
    train = exp/'data'/('train_level' if (exp/'data'/'train_level').is_dir() else 'train')
    classes = list(model.classes)
    if system == 'diffwave':
        c = model.config
        files = [(f, classes.index(k)) for k, fs in class_folders(train).items() for f in fs]
        waves = [load_audio(f, sr=c.sample_rate)[0][0] * c.scale for f, _ in files]
        labels = torch.tensor([k for _, k in files])
        def draw():
            i = torch.randint(0, len(waves), (bs,)).tolist()
            x = [waves[k][s:s + c.length] for k in i
                 for s in [int(torch.randint(0, max(1, len(waves[k]) - c.length + 1), ()).item())]]
            return torch.stack([torch.nn.functional.pad(w, (0, c.length - len(w))) for w in x])[:, None], labels[i]
        return draw
    from foleybook.diffusion.audio_diffusion_train import images_from_audio
    from foleybook.diffusion.mel_images import images_to_tensor
    x8, labels, _ = images_from_audio(train, model.config.images)
    x = model.to_x(images_to_tensor(list(x8), model.config.images))
    def draw():
        i = torch.randint(0, len(x), (bs,))
        return x[i], labels[i]
    return draw


def real_frames(exp: Path, judge, fmt) -> np.ndarray:
    "The judge's frame embeddings of the recipe's held-out clips (what a point's FAD is against)."
    real = [judge_format(*load_audio(f), fmt) for fs in class_folders(exp/'data'/'test').values() for f in fs]
    return np.concatenate(judge.frames(real, fmt['sample_rate']))


def score(model, seed: int, n: int, judge, fmt, real_emb, **options) -> dict:
    ("`n` clips of every class of `model` (batch j from seed 1000 seed + j): its calls, the judge's accuracy (all and "
     "per class), the FAD of its frame embeddings against `real_emb`, and the CPU seconds a clip.")
    g, classes = as_generator(model), list(model.classes)
    calls = g.sampling(**options)['network_calls']
    g.generate(classes[0], 1, seed=0, **options)   # warm-up (a fast path picks its forms)
    t0 = time.process_time()
    with torch.inference_mode():
        w = torch.cat([g.generate(classes, len(classes), seed=1000 * seed + j, **options) for j in range(n)])
    cpu = (time.process_time() - t0) / len(w)
    names = classes * n
    acc = judge_accuracy(judge, {c: [w[i] for i in range(len(w)) if names[i] == c] for c in classes},
                         g.sample_rate, fmt)
    emb = np.concatenate(judge.frames([judge_format(x, g.sample_rate, fmt) for x in w], fmt['sample_rate']))
    return dict(calls=calls, accuracy=acc['all'], class_accuracy={c: acc[c] for c in classes},
                fad=float(fad(emb, real_emb)), cpu_s_per_clip=round(cpu, 3))


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument('--systems', default='diffwave,audio-diffusion')
    ap.add_argument('--n', type=int, default=4, help='clips per class a point')
    ap.add_argument('--seeds', default='0,1,2', help="distillation seeds (each student sampled with its seed) and the "
                                                      "teacher default's seeds")
    ap.add_argument('--teacher-seeds', default='0', help="seeds of the teacher's other samplers")
    ap.add_argument('--steps', type=int, default=16, help="the first teacher's DDIM steps")
    ap.add_argument('--rounds', type=int, default=4)
    ap.add_argument('--iters', type=int, default=100, help='Adam steps a round')
    ap.add_argument('--bs', type=int, default=8)
    ap.add_argument('--lr', type=float, default=2e-4)
    ap.add_argument('--data', default=str(DATA), help="where the demo recipes' data and split stages write")
    ap.add_argument('--only', default=None, help="only these points, comma-separated: 'default', 'students', "
                                                  "teacher samplers as SAMPLER-CALLS (e.g. ddim-50); several "
                                                  "processes share a run")
    ap.add_argument('--out', default=str(ROOT/'nbs'/'results'/'distill_curve.json'))
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    warnings.filterwarnings('ignore', message='FAD with')
    fmt, judge = bench_fmt(), load_pretrained(MODELS/'judge').eval()
    out = Path(a.out)
    doc = json.loads(out.read_text()) if out.is_file() else {}
    doc.update(about=__doc__.split('\n\n')[1].replace('\n', ' '), fmt=fmt, settings=dict(
        n_per_class=a.n, steps=a.steps, rounds=a.rounds, iters=a.iters, bs=a.bs, lr=a.lr),
        cpu={**doc.get('cpu', {}), **{s: cpu_name() for s in a.systems.split(',')}})
    doc.setdefault('points', [])

    def save(pt):
        doc['points'] = [p for p in doc['points'] if any(p.get(k) != pt.get(k) for k in SAME)] + [pt]
        out.write_text(json.dumps(doc, indent=1) + '\n')

    def have(**key): return any(all(p.get(k) == v for k, v in key.items()) for p in doc['points'])

    for system in a.systems.split(','):
        teacher = load_pretrained(FOLDER[system]).eval()
        fp, exp = fingerprint(FOLDER[system]), split(system, a.data)
        gen = get_recipe(system).preset('demo')['generate']
        opts = {k: gen[k] for k in ('sampler', 'guidance', 'n_iter', 'eta') if gen.get(k) is not None}
        real_emb = real_frames(exp, judge, fmt)
        doc['points'] = [p for p in doc['points'] if p['system'] != system or p['model'] == fp]

        def point(kind, model, seed, **options):
            key = dict(system=system, model=fp, kind=kind, sampler=options.get('sampler', 'default'),
                       calls=as_generator(model).sampling(**options)['network_calls'], seed=seed, n_per_class=a.n)
            if kind == 'teacher' and have(**key): return
            sc = score(model, seed, a.n, judge, fmt, real_emb, **options)
            pt = dict(**key, options={k: v for k, v in options.items() if k != 'sampler'},
                      **{k: v for k, v in sc.items() if k != 'calls'})
            save(pt)
            print(f"{system} {kind} {key['sampler']} {key['calls']} calls seed {seed}: accuracy {pt['accuracy']:.3f} "
                  f"FAD {pt['fad']:.2f} ({pt['cpu_s_per_clip']:.2f} CPU s a clip)", flush=True)
            return pt

        seeds = [int(s) for s in a.seeds.split(',')]
        run = lambda k: a.only is None or k in a.only.split(',')
        for s in seeds:
            if run('default'): point('teacher', teacher, s, **opts)   # the default: its spread over seeds
        todo = [('teacher', t, s) for t in TEACHER[::-1] for s in map(int, a.teacher_seeds.split(','))
                if run(f'{t[0]}-{t[1]}')]
        for i, s in enumerate(seeds):
            if run('students') and not all(have(system=system, model=fp, kind='student', seed=s, calls=a.steps >> r)
                                           for r in range(1, a.rounds + 1)):
                log = lambda m: print(f"{system} seed {s}: {m}", flush=True)
                students = []
                def keep(k, student, rec): students.append((student, rec))
                distill_rounds(teacher, batches(system, teacher, exp, a.bs), a.steps, a.rounds, a.iters, a.lr,
                               opts.get('guidance', 1.), seed=s, log=log, each=keep)
                for st, rec in students:
                    pt = point('student', st, s, sampler='ddim', steps=rec['steps'], eta=0., guidance=1.,
                               **({'n_iter': opts['n_iter']} if 'n_iter' in opts else {}))
                    pt.update(distill=rec, distill_cpu_min=round(rec['cpu_s'] / 60, 2)); save(pt)
            # the teacher's other samplers between the distillations (a stopped run has the cheap ones first)
            for kind, (sampler, steps), ts in todo[i * len(todo) // len(seeds):(i + 1) * len(todo) // len(seeds)]:
                point('teacher', teacher, ts, **{**opts, 'sampler': sampler, 'steps': steps, 'eta': 0.})
    print(f"written {out}")


if __name__ == '__main__':
    main()
