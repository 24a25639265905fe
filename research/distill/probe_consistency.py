"""Probe: consistency distillation (foleybook.diffusion.consistency) of a committed demo model (`--system`: DiffWave or
audio-diffusion's UNet2D) against the progressive students of nbs/results/distill_curve.json, at 1 and 2 calls, within
their CPU budget.

The teacher (nbs/results/models/diffwave: SaShiMi, FiLM, shaped noise, guidance 4; or
nbs/results/models/audio-diffusion: the mel-image UNet2D, guidance 1, its demo's Griffin-Lim iterations) is distilled
once a `--seed` by CD:
`--steps` teacher DDIM steps on the 'uniform' grid, Adam `--lr`, batch `--bs`, EMA target `--mu`, guidance folded in,
on the demo recipe's own train split as bench/distill_curve.py draws it, until the training has taken the CPU minutes
of the progressive 1-call student of the same seed (`distill_cpu_min` in distill_curve.json); a copy is kept when it
passes the 2-call student's. Every student is scored by bench/distill_curve.py's `score` (its helpers imported):
`--n` clips of every class, batch j from seed 1000 s + j, the committed judge's accuracy and the FAD of
its frame embeddings against the recipe's held-out clips, and the CPU seconds of a clip. Samplers: 'consistency'
(multistep consistency sampling: f, renoised with fresh prior noise) at 1, 2 and 4 calls and deterministic DDIM at 2.
The teacher's own consistency function at 1 call (CD's starting point) is scored too. Writes --out (json).

    OMP_NUM_THREADS=1 python research/distill/probe_consistency.py [--system diffwave] [--seed 0] [--out F.json]
"""
import argparse, copy, json, subprocess, sys, warnings
from pathlib import Path
import torch
from foleybook.pretrained import load_pretrained
from foleybook.recipes.engine import get_recipe
from foleybook.diffusion.consistency import consistency_distill, as_consistency_student
sys.path.insert(0, str(Path(__file__).resolve().parents[2]/'bench'))
from distill_curve import fingerprint, cpu_name, split, batches, bench_fmt, real_frames, score  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT/'nbs'/'results'/'models'
ap = argparse.ArgumentParser()
ap.add_argument('--system', default='diffwave', choices=('diffwave', 'audio-diffusion'))
ap.add_argument('--seed', type=int, default=0)
ap.add_argument('--n', type=int, default=4, help='clips per class a point')
ap.add_argument('--steps', type=int, default=16, help="CD's discretisation: teacher DDIM steps on the 'uniform' grid")
ap.add_argument('--bs', type=int, default=8)
ap.add_argument('--lr', type=float, default=2e-4)
ap.add_argument('--mu', type=float, default=0.95)
ap.add_argument('--iters', type=int, default=100000, help='at most this many Adam steps (the CPU budget stops first)')
ap.add_argument('--cpu-min', type=float, default=None, help="default: the progressive 1-call student's")
ap.add_argument('--data', default=str(Path.home()/'.cache'/'foleybook'/'distill_curve'))
ap.add_argument('--save', default=None, help='save the final student as a model folder here')
ap.add_argument('--out', default=str(ROOT/'research'/'distill'/'consistency.json'))
a = ap.parse_args()
torch.set_num_threads(1)
warnings.filterwarnings('ignore', message='FAD with')
system, folder = a.system, MODELS/a.system
fmt = bench_fmt()
judge = load_pretrained(MODELS/'judge').eval()
curve = json.loads((ROOT/'nbs'/'results'/'distill_curve.json').read_text())


teacher = load_pretrained(folder).eval()
fp, exp = fingerprint(folder), split(system, a.data)
gen = get_recipe(system).preset('demo')['generate']
guidance = float(gen.get('guidance') or 1.)
extra = {'n_iter': gen['n_iter']} if gen.get('n_iter') is not None else {}   # audio-diffusion's Griffin-Lim iterations
classes = list(teacher.classes)
real_emb = real_frames(exp, judge, fmt)
prog = {p['calls']: p for p in curve['points'] if p['system'] == system and p['kind'] == 'student'
        and p['seed'] == a.seed and p['model'] == fp}
budget = {c: prog[c]['distill_cpu_min'] for c in (1, 2) if c in prog}
cpu_min = a.cpu_min if a.cpu_min is not None else budget[1]
commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True,
                        cwd=ROOT).stdout.strip()
doc = dict(about=__doc__.split('\n\n')[1].replace('\n', ' '), system=system, model=fp, seed=a.seed, commit=commit,
           cpu=cpu_name(), fmt=fmt, settings=dict(n_per_class=a.n, steps=a.steps, bs=a.bs, lr=a.lr, mu=a.mu,
                                                  guidance=guidance, cpu_min=cpu_min),
           progressive={str(c): dict(accuracy=p['accuracy'], fad=p['fad'], cpu_s_per_clip=p['cpu_s_per_clip'],
                                     distill_cpu_min=p['distill_cpu_min']) for c, p in sorted(prog.items())},
           points=[], records=[])
out = Path(a.out)


def point(kind, model, **options):
    sc = score(model, a.seed, a.n, judge, fmt, real_emb, **options, **extra)
    pt = dict(kind=kind, sampler=options.get('sampler', 'default'), calls=sc.pop('calls'),
              options={k: v for k, v in options.items() if k != 'sampler'}, **sc)
    doc['points'].append(pt)
    out.write_text(json.dumps(doc, indent=1) + '\n')
    print(f"{kind} {pt['sampler']} {pt['calls']} calls: accuracy {pt['accuracy']:.3f} FAD {pt['fad']:.2f} "
          f"({pt['cpu_s_per_clip']:.2f} CPU s a clip)", flush=True)
    return pt


def marked(student, rec):
    s = as_consistency_student(copy.deepcopy(student).eval(), 1, dict(folder=str(folder.relative_to(ROOT)),
                                                                    fingerprint=fp, steps=a.steps, guidance=guidance))
    s.config.diffusion.teacher.update(cpu_min=round(rec['cpu_s'] / 60, 2), iters=rec['iter'])
    return s


# the teacher's own consistency function in one call: where CD starts (guidance 4, two rows a call)
start = as_consistency_student(copy.deepcopy(teacher), 1, {})
start.config.diffusion = start.diffusion.config = start.diffusion.config.replace(
    p_uncond=teacher.diffusion.config.p_uncond)   # it samples with the teacher's guidance
point('teacher', start, sampler='consistency', steps=1, guidance=guidance)
snaps = {}


def each(it, student, rec):
    doc['records'].append(rec)
    if 2 in budget and 2 not in snaps and rec['cpu_s'] >= budget[2] * 60:
        snaps[2] = (marked(student, rec), rec)   # the 2-call student's budget reached


log = lambda m: print(m, flush=True)
student, recs = consistency_distill(teacher, batches(system, teacher, exp, a.bs), a.steps, a.iters, a.lr, a.mu,
                                    guidance, seed=a.seed, folder=str(folder.relative_to(ROOT)), cpu_s=cpu_min * 60,
                                    every=10, log=log, each=each)
final = marked(student, recs[-1])
if a.save: final.save_pretrained(a.save)
for budget_calls, (st, rec) in sorted(snaps.items()):
    for opts in (dict(sampler='consistency', steps=2), dict(sampler='ddim', steps=2, eta=0.)):
        point(f'CD at {rec["cpu_s"] / 60:.2f} CPU min', st, guidance=1., **opts).update(distill=rec)
for opts in (dict(sampler='consistency', steps=1), dict(sampler='consistency', steps=2),
             dict(sampler='ddim', steps=2, eta=0.), dict(sampler='consistency', steps=4)):
    point(f'CD at {recs[-1]["cpu_s"] / 60:.2f} CPU min', final, guidance=1., **opts).update(distill=recs[-1])
out.write_text(json.dumps(doc, indent=1) + '\n')
print(f"written {out}")
