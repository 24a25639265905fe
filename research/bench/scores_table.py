"""Every finished score of a bench_demo OUT in one table: per (seed, system) the judge's weights, recognised %, the
classes that count, recognised % over them, the mean FAD in units of real (the system's and the envelope control's);
means over the seeds per system. Writes a results file (no paths).

    OMP_NUM_THREADS=1 python research/bench/scores_table.py OUT --what TEXT --results research/bench/F.json
"""
import argparse, json
from pathlib import Path
import numpy as np


def ratio(fad:dict, real:dict) -> float:
    "The mean over classes of a FAD over the real-against-real FAD of the class (classes with a positive real FAD)."
    rs = [fad[c] / real[c] for c in fad if real.get(c) and real[c] > 0 and fad[c] is not None]
    return float(np.mean(rs)) if rs else None


def rows(out:Path) -> list:
    "One row per finished (seed, system) score under OUT."
    found = []
    for f in sorted(out.glob('seed*/scores/*/score.json')):
        s, seed = json.loads(f.read_text()), int(f.parent.parent.parent.name[4:])
        if s.get('kind') != 'classes': continue
        ctl = json.loads((out/f"seed{seed}"/'controls'/'controls.json').read_text())
        found.append(dict(seed=seed, system=f.parent.name, judge=s['stamp']['judge'],
                          accuracy=s['accuracy'], accuracy_real=s['accuracy_real'],
                          counted_classes=s['counted_classes'], accuracy_counted=s['accuracy_counted'],
                          per_class={c: v['accuracy'] for c, v in s['per_class'].items()},
                          fad_ratio=s['fad_ratio'],
                          envelope_fad_ratio=ratio(ctl['fad']['envelope_noise'], ctl['fad_real']),
                          train_cpu_min=round(s['train_cpu_seconds'] / 60, 1)))
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('out'); ap.add_argument('--what', default=''); ap.add_argument('--results', default=None)
    a = ap.parse_args()
    rs = rows(Path(a.out))
    for r in rs:
        print(f"seed {r['seed']} {r['system']:16} all {100 * r['accuracy']:5.1f}  counted "
              f"{100 * r['accuracy_counted']:5.1f} {r['counted_classes']}  FAD ratio {r['fad_ratio']:6.1f} "
              f"(envelope {r['envelope_fad_ratio']:6.1f})  train {r['train_cpu_min']} CPU min")
    for n in dict.fromkeys(r['system'] for r in rs):
        mine = [r for r in rs if r['system'] == n]
        m = lambda k: np.mean([r[k] for r in mine])
        zeros = sorted({c for r in mine for c in r['counted_classes'] if r['per_class'][c] == 0})
        print(f"{n:16} seeds {[r['seed'] for r in mine]}: all {100 * m('accuracy'):.1f}, counted "
              f"{100 * m('accuracy_counted'):.1f}, FAD ratio {m('fad_ratio'):.1f} (envelope "
              f"{m('envelope_fad_ratio'):.1f}); counted classes at 0 %: {zeros or 'none'}")
    if a.results:
        from foleybook.fastpath import cpu_info
        Path(a.results).write_text(json.dumps(dict(what=a.what, cpu=cpu_info()['model'], rows=rs), indent=1) + '\n')


if __name__ == '__main__':
    main()
