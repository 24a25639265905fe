"""The benchmark's controls on the committed demo benchmark: for each data set (SynthFoley, and it perturbed as
recordings) and seed, the demo judge's recognition of each control made from the held-out clips, the classes that
count, the real-vs-real distances, and each committed system's accuracy over the counted classes
(nbs/results/bench_demo.json, bench_recordings.json). Writes nbs/results/bench_controls.json.

    python bench/bench_controls.py [--out FOLDER] [--seeds 0,1,2]
    python bench/bench_controls.py --prior [--out FOLDER]   # the DiffWave demo's prior, added to the synth rows
    python bench/bench_controls.py --systems-only          # the systems' accuracies again, from the results files
"""
import argparse, json, platform, subprocess, time
from pathlib import Path
from foleybook.recipes.bench import BENCH_PRESETS, BENCH_DATA, bench_data, bench_split, bench_judge, bench_format
from foleybook.recipes.bench_scores import seed_controls, judge_accuracy
from foleybook.eval.controls import counted_accuracy
from foleybook.eval.report import class_files
from foleybook.audio import load_audio

COMMITTED = dict(synth='nbs/results/bench_demo.json', recordings='nbs/results/bench_recordings.json')

def cpu_name() -> str:
    return next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')),
                platform.processor())

def answered_none(judge, ctl, real, fmt) -> dict:
    "Per class, the share of the held-out clips the judge answers None ('real'), beside its controls' (from files)."
    import numpy as np
    from foleybook.recipes.bench_scores import judge_format
    k = judge.classes.index('None')
    share = lambda ws: float(np.mean(judge.probs([judge_format(w, fmt['sample_rate'], fmt) for w in ws],
                                                 fmt['sample_rate']).argmax(1) == k))
    return dict(real={c: share(ws) for c, ws in real.items()})

def main(out='bench_controls_run', seeds=(0, 1, 2), result='nbs/results/bench_controls.json'):
    P, rows = BENCH_PRESETS['demo'], []
    for seed in seeds:   # seed by seed, both data sets, the results file written after each
        for data, path in COMMITTED.items():
            committed = json.loads(Path(path).read_text())['scores']
            dev = bench_data(Path(out)/data, data, P['n_per_class'])
            fmt = bench_format(dev)
            t0 = time.process_time()
            split = bench_split(dev, Path(out)/data/f"seed{seed}"/'split', P['holdout'], seed)
            clf = bench_judge(split, P['judge'], seed)
            ctl = seed_controls(split, clf, fmt, Path(out)/data/f"seed{seed}"/'controls', seed)
            real = {c: [load_audio(f)[0][0] for f in fs] for c, fs in class_files(split/'test', check=False).items()}
            acc_real = judge_accuracy(clf, real, fmt['sample_rate'], fmt)
            none = bench_judge(split, 'demo-none', seed)   # the judge with a None class of controls
            ctl_none = seed_controls(split, none, fmt, Path(out)/data/f"seed{seed}"/'controls_none', seed)
            none_row = dict(judge=none.judge_key, accuracy_real=judge_accuracy(none, real, fmt['sample_rate'], fmt),
                            recognised=ctl_none['recognised'], counted=ctl_none['counted'],
                            answered_none={k: {c: float(v) for c, v in d.items()}
                                           for k, d in answered_none(none, ctl_none, real, fmt).items()})
            systems = systems_of(committed, seed, ctl['counted'])
            rows.append(dict(data=data, seed=seed, judge=clf.judge_key, judge_weights=str(clf.fingerprint()),
                             accuracy_real=acc_real,
                             recognised=ctl['recognised'], counted=ctl['counted'],
                             fad_real=ctl['fad_real'], kad_real=ctl['kad_real'], fad=ctl['fad'], kad=ctl['kad'],
                             systems=systems, none_judge=none_row, cpu_seconds=round(time.process_time() - t0, 1)))
            print(data, seed, {c: d['counts'] for c, d in ctl['counted'].items()},
                  {c: d['counts'] for c, d in ctl_none['counted'].items()}, flush=True)
            save(rows, result)

def systems_of(committed:dict, seed:int, counted:dict) -> dict:
    "Each committed class-conditional system's accuracy on a seed, over all classes and over the counted ones."
    systems = {}
    for name, by_seed in committed.items():
        s = by_seed.get(str(seed))
        if not s or s.get('kind') != 'classes': continue
        per = {c: v['accuracy'] for c, v in s['per_class'].items()}
        systems[name] = dict(accuracy=s['accuracy'], accuracy_counted=counted_accuracy(per, counted),
                             committed_accuracy_real=s['accuracy_real'])
    return systems

def refresh_systems(result='nbs/results/bench_controls.json'):
    ("After a committed results file changed (a system run again): each row's `systems` from it, over the row's own "
     "counted classes, and a recordings row's `prior_noise` from a score that counted its prior (no judge or control "
     "made again).")
    res = json.loads(Path(result).read_text())
    for row in res['rows']:
        committed = json.loads(Path(COMMITTED[row['data']]).read_text())['scores']
        row['systems'] = systems_of(committed, row['seed'], row['counted'])
        for name, by_seed in committed.items():   # a system scored against its own shaped prior too (its `counted`)
            sc = by_seed.get(str(row['seed'])) or {}
            prior = {c: d['controls']['prior_noise'] for c, d in (sc.get('counted') or {}).items()
                     if 'prior_noise' in d['controls']}
            if prior and row['data'] != 'synth':   # the synth rows': the committed demo model's (`add_prior`)
                row['prior_noise'] = dict(system=name, recognised=prior, counted=sc['counted'],
                                          accuracy_counted=sc['accuracy_counted'])
        assert all(v['committed_accuracy_real'] == row['accuracy_real']['all'] for v in row['systems'].values()), \
            f"{row['data']} seed {row['seed']}: a committed run was judged by another judge"
        weights = {n: (by_seed.get(str(row['seed'])) or {}).get('judge') for n, by_seed in committed.items()}
        other = [n for n, w in weights.items() if w and row.get('judge_weights') and w != row['judge_weights']]
        assert not other, f"{row['data']} seed {row['seed']}: {', '.join(other)} judged by another judge (its weights)"
    save(res['rows'], result)

def save(rows, result):
    "Write the results file with the rows so far."
    commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True).stdout.strip()
    Path(result).write_text(json.dumps(dict(
        what="The demo benchmark's controls: per data set and seed, the demo judge's recognition of each control made "
             "from the held-out clips (white noise at each clip's rms, its envelope on white noise), the classes "
             "that count (every control recognised at most 1.5 times chance), real-vs-real FAD / KAD per class, and "
             "the committed systems' accuracy over the counted classes; the same for the demo-none judge (a None class "
             "of controls made from its training clips); with --prior, the committed DiffWave demo's shaped-noise "
             "prior alone as a control of its own on the SynthFoley rows.",
        data={k: BENCH_DATA[k][0] for k in COMMITTED}, preset='demo', cpu=cpu_name(), commit=commit, rows=rows),
        indent=1, default=float) + '\n')

def add_prior(out='bench_controls_run', result='nbs/results/bench_controls.json'):
    "The committed DiffWave demo's prior alone (`prior_control`) on each SynthFoley row's split, added to the rows."
    from foleybook.generators import get_system
    from foleybook.recipes.bench import prior_control, with_prior_control
    res = json.loads(Path(result).read_text())
    g = get_system('diffwave').assemble('nbs/results/models/diffwave')
    P = BENCH_PRESETS['demo']
    for row in res['rows']:
        if row['data'] != 'synth': continue   # the committed model's prior holds SynthFoley's contours
        base = Path(out)/row['data']/f"seed{row['seed']}"
        dev = bench_data(Path(out)/row['data'], row['data'], P['n_per_class'])
        fmt = bench_format(dev)
        split = bench_split(dev, base/'split', P['holdout'], row['seed'])
        clf = bench_judge(split, P['judge'], row['seed'])
        prior = prior_control(g, split/'test', clf, fmt, row['seed'])
        ctl = with_prior_control(dict(recognised=row['recognised'], counted=row['counted'], stamp={}), prior)
        committed = json.loads(Path(COMMITTED['synth']).read_text())['scores']['diffwave'][str(row['seed'])]
        per = {c: v['accuracy'] for c, v in committed['per_class'].items()}
        row['prior_noise'] = dict(system='diffwave', recognised=prior, counted=ctl['counted'],
                                  accuracy_counted=counted_accuracy(per, ctl['counted']))
        print(row['seed'], prior, flush=True)
    save(res['rows'], result)

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default='bench_controls_run')
    ap.add_argument('--seeds', default='0,1,2')
    ap.add_argument('--prior', action='store_true', help="add the committed DiffWave demo's prior as a control")
    ap.add_argument('--systems-only', action='store_true',
                    help="recompute the rows' systems from the committed results files (after a system ran again)")
    a = ap.parse_args()
    if a.systems_only: refresh_systems()
    elif a.prior: add_prior(a.out)
    else: main(a.out, tuple(int(s) for s in a.seeds.split(',')))
