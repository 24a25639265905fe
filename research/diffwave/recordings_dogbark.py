"""Why the DiffWave demo makes no bark the judge hears on the recordings-like set (DogBark 3 % over seeds 0-2 in
nbs/results/bench_recordings.json, 80 % on clean SynthFoley): one (seed, system) benchmark job on the recordings, then
what the judge calls its DogBark clips, how voiced they are against the real held-out barks, and how the judge
hears the shaped-noise prior alone.

    python research/diffwave/recordings_dogbark.py OUT [--seed 1] [--set KEY=VALUE ...] [--name NAME]

OUT is a benchmark folder (its recordings set, split and judge are made or reused); results go to
research/diffwave/recordings_dogbark.json under NAME (default: 'demo').
"""
import argparse, json, time
from pathlib import Path
import numpy as np, torch
from foleybook.audio import load_audio
from foleybook.eval.report import class_files
from foleybook.diffusion.noise import pitch_contour
from foleybook.recipes.bench import bench_job, bench_data, bench_split, bench_judge, BENCH_PRESETS

HERE = Path(__file__).parent

def voicing(files, sr=8000) -> dict:
    "Mean share of voiced frames (voicing > 0.5, 165-1150 Hz) and the median f0 of them, over the clips."
    share, f0s = [], []
    for f in files:
        w = load_audio(f, sr=sr)[0][0][None]
        f0, v = pitch_contour(w, sr)
        on = v[0] > 0.5
        share.append(float(on.float().mean())); f0s += f0[0][on].tolist()
    return dict(voiced=float(np.mean(share)), f0_median=float(np.median(f0s)) if f0s else None)

def main(out, seed=1, sets=(), name='demo'):
    t0 = time.process_time()
    sets = dict(kv.split('=', 1) for kv in sets)
    sets = {k: json.loads(v) if v[:1] in '[{0123456789-tfn' else v for k, v in sets.items()}
    score = bench_job(out, 'diffwave', seed, data='recordings', preset='demo', sets=sets, quiet=False)
    P = BENCH_PRESETS['demo']
    split = bench_split(bench_data(out, 'recordings', P['n_per_class']), Path(out)/f"seed{seed}"/'split',
                        P['holdout'], seed)
    judge = bench_judge(split, P['judge'], seed)
    gen = class_files(Path(out)/f"seed{seed}"/'scores'/'diffwave'/'gen', check=False)
    real = class_files(split/'test', check=False)
    called = {}
    for c in ('DogBark',):
        ws = [load_audio(f, sr=judge.sample_rate)[0][0] for f in gen[c]]
        p = judge.probs(ws, judge.sample_rate).argmax(1)
        called[c] = {judge.classes[k]: int((p == k).sum()) for k in set(p.tolist())}
    ctl = json.loads((Path(out)/f"seed{seed}"/'controls'/'controls.json').read_text())
    row = dict(seed=seed, sets=sets, accuracy=score['accuracy'],
               per_class={c: v['accuracy'] for c, v in score['per_class'].items()},
               dogbark_called=called['DogBark'],
               voicing=dict(generated=voicing(gen['DogBark']), real=voicing(real['DogBark'])),
               controls_dogbark={k: v.get('DogBark') for k, v in ctl['recognised'].items()},
               prior_dogbark=((score.get('stamp') or {}).get('controls') or {}).get('prior_noise', {}).get('DogBark'),
               cpu_seconds=round(time.process_time() - t0, 1))
    res = HERE/'recordings_dogbark.json'
    old = json.loads(res.read_text()) if res.exists() else {}
    old[f"{name} seed {seed}"] = row
    res.write_text(json.dumps(old, indent=1) + '\n')
    print(json.dumps(row, indent=1))

if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('out'); ap.add_argument('--seed', type=int, default=1); ap.add_argument('--name', default='demo')
    ap.add_argument('--set', action='append', default=[])
    a = ap.parse_args()
    main(a.out, a.seed, a.set, a.name)
