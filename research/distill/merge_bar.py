"""Merge the 12-clips-a-class runs into nbs/results/distill_bar.json (read by nbs/06h_distillation.ipynb).

Inputs: bench/distill_curve.py's run with `--n 12` (the DiffWave teacher's default and DDIM 20 on seeds 0, 1, 2, the
progressive students of those seeds), probe_consistency.py's runs with `--n 12` (the final CD student of each seed,
its 'consistency' and 'ddim' points), and probe_student_eta.py's (progressive students sampled with DDIM eta > 0).
One flat row a point: who sampled (teacher, progressive, consistency), sampler, eta, calls, seed, the judge's
accuracy (all and per class), FAD, CPU s a clip, distillation CPU minutes.

    python research/distill/merge_bar.py research/distill/curve_n12.json research/distill/consistency_n12_seed*.json \
        research/distill/student_eta.json
"""
import json, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT/'nbs'/'results'/'distill_bar.json'
KEEP = ('accuracy', 'class_accuracy', 'fad', 'cpu_s_per_clip')
rows, n, model, cpu = [], set(), set(), set()
for f in map(Path, sys.argv[1:]):
    d = json.loads(f.read_text())
    cpu.add(d['cpu']['diffwave'] if isinstance(d['cpu'], dict) else d['cpu'])
    n.add(d['settings']['n_per_class'])
    if 'system' in d['points'][0]:
        for p in d['points']:   # bench/distill_curve.py
            model.add(p['model'])
            who = 'progressive' if p['kind'] == 'student' else 'teacher'
            rows.append(dict(student=who, sampler='default' if p['sampler'] == 'fast' else p['sampler'],
                             eta=p['options'].get('eta', None), calls=p['calls'], seed=p['seed'],
                             distill_cpu_min=p.get('distill_cpu_min', 0.), **{k: p[k] for k in KEEP}))
    elif 'progressive' in d:   # probe_consistency.py: its final student
        model.add(d['model'])
        for p in d['points']:
            if 'distill' in p and p['distill']['iter'] == d['records'][-1]['iter']:
                rows.append(dict(student='consistency', sampler=p['sampler'], eta=p['options'].get('eta', None),
                                 calls=p['calls'], seed=d['seed'], distill_cpu_min=round(p['distill']['cpu_s'] / 60, 2),
                                 **{k: p[k] for k in KEEP}))
    else:   # probe_student_eta.py
        model.add(d['model'])
        rows += [dict(student='progressive', sampler='ddim', eta=p['eta'], calls=p['calls'], seed=d['seed'],
                      distill_cpu_min=p['distill_cpu_min'], **{k: p[k] for k in KEEP}) for p in d['points']
                 if p['eta'] > 0]
assert len(n) == 1 and len(model) == 1, (n, model)
doc = dict(about="The DiffWave demo teacher (nbs/results/models/diffwave) and its students at 12 clips of every class "
                 "a point (84 a seed), seeds 0, 1, 2: the teacher's default and DDIM 20, progressive students "
                 "(bench/distill_curve.py --n 12 --rounds 3), the final consistency student of each seed "
                 "(research/distill/probe_consistency.py --n 12), progressive students sampled with DDIM eta > 0 "
                 "(research/distill/probe_student_eta.py, seed 0); the committed judge's accuracy, FAD against the "
                 "recipe's held-out clips, CPU s of a 4 s clip on one thread.",
           model=model.pop(), n_per_class=n.pop(), cpu=sorted(cpu), points=rows)
OUT.write_text(json.dumps(doc, indent=1) + '\n')
print(f"{OUT.relative_to(ROOT)}: {len(rows)} points")
