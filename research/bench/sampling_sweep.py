"""A trained recipe experiment's clips generated again with other sampling options, exactly as its generate stage
writes them (the recipe's seed, the data's format and class levels), one folder per variant; score them with
`research/judge/judge_variance.py --sets NAME=FOLDER` (every judge and ensemble of the seed).

    OMP_NUM_THREADS=1 python research/bench/sampling_sweep.py OUT/seed1/dcase2023 --n 20 \
        --variant base= --variant g3=guidance=3 --variant k32=top_k=32

A variant is NAME=KEY=VALUE,KEY=VALUE over the recipe's `generate` section; its clips go to
EXP/../sweep/<system>/NAME/<Class>/ (a folder that holds clips is skipped). `--summary F` prints, from such a
judge_variance.py results file, each variant's accuracy (all classes, counted classes) as a mean over the single judges
and over the ensembles, per seed.
"""
import argparse, json, os, time
os.environ.setdefault('OMP_NUM_THREADS', '1')
from pathlib import Path
from foleybook.recipes.engine import Recipe
from foleybook.recipes.stages import data_profile, classes_of
from foleybook.generators import write_clips


def summary(path):
    "Each variant's mean accuracy (all, counted) over a seed's single judges and over its ensembles."
    import numpy as np
    rows = json.loads(Path(path).read_text())['rows']
    for s in sorted({r['seed'] for r in rows}):
        for kind, rs in (('judges', [r for r in rows if r['seed'] == s and len(r['judges']) == 1]),
                         ('ensembles', [r for r in rows if r['seed'] == s and len(r['judges']) > 1])):
            for name in rs[0]['systems']:
                m = lambda k: 100 * np.mean([r['systems'][name][k] for r in rs])
                f = [r['fad_median'][name] for r in rs if name in r.get('fad_median', {})]
                print(f"seed {s} {kind:9} {name:16} all {m('accuracy'):5.1f}  counted {m('accuracy_counted'):5.1f}"
                      + (f"  median FAD (the bench's judge) {f[0]:7.1f}" if f else ''))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('exp', nargs='?'); ap.add_argument('--n', type=int, default=None)
    ap.add_argument('--variant', action='append', default=[])
    ap.add_argument('--summary', default=None)
    a = ap.parse_args()
    if a.summary: return summary(a.summary)
    r = Recipe(Path(a.exp), recipe=None, quiet=True)
    g = r.spec.system.assemble(r, 'cpu')
    prof, classes = data_profile(r), classes_of(r)
    for v in a.variant:
        name, _, sets = v.partition('=')
        s = dict(r.P['generate'])
        for kv in filter(None, sets.split(',')):
            k, val = kv.split('=', 1); s[k] = json.loads(val)
        n = a.n or s.pop('n_per_class'); s.pop('n_per_class', None); bs = s.pop('bs', 8)
        folder = Path(a.exp).parent/'sweep'/Path(a.exp).name/name
        if folder.is_dir() and any(folder.rglob('*.wav')): print(name, 'done', flush=True); continue
        t = time.process_time()
        write_clips(g, folder, n, seed=r.seed, classes=classes, duration=prof.duration, sample_rate=prof.sample_rate,
                    batch_size=bs, levels=prof, **s)
        print(name, s, f"{time.process_time() - t:.0f} s CPU", flush=True)


if __name__ == '__main__': main()
