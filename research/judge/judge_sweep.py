"""Sampling options of a trained audio-diffusion experiment under the benchmark's judge: for each seed's run of
`bench/judge_seeds.py`, the same model sampled with each option set (guidance, steps, Griffin-Lim iterations, sampler),
its clips scored in memory by that seed's judge (accuracy, per class, level against the real held-out clips).

    OMP_NUM_THREADS=1 python research/judge/judge_sweep.py exp/judge_seeds --seeds 0 1 2 \
        --opts '[{"guidance": 3}, {"guidance": 1}]'

Writes nbs/results/audio_diffusion_judge_sweep.json.
"""
import argparse, json, os, platform, time
os.environ.setdefault('OMP_NUM_THREADS', '1'); os.environ.setdefault('MKL_NUM_THREADS', '1')
from pathlib import Path
import numpy as np, torch
from foleybook.audio import load_audio
from foleybook.pretrained import load_pretrained
from foleybook.recipes.bench import bench_judge, bench_format, judge_accuracy, BENCH_PRESETS
from foleybook.recipes.engine import Recipe
from foleybook.recipes.stages import classes_of, class_folders

RESULTS = Path(__file__).resolve().parents[2]/'nbs'/'results'
rms = lambda w: 20 * np.log10(float(w.pow(2).mean().sqrt()) + 1e-12)

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument('out'); p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
p.add_argument('--opts', default='[{"guidance": 3}, {"guidance": 1}]', help='a JSON list of option dicts')
p.add_argument('--n', type=int, default=10, help='clips per class')
p.add_argument('--run', default='audio-diffusion', help="each seed's experiment folder, under OUT/seedN/")
a = p.parse_args()
torch.set_num_threads(1)
out, rows = Path(a.out), []
fmt = bench_format(out/'data')
for seed in a.seeds:
    base = out/f'seed{seed}'
    clf = bench_judge(base/'split', BENCH_PRESETS['demo']['judge'], seed=seed, system='cpu')
    r = Recipe(base/a.run, None, quiet=True)
    m = load_pretrained(r.path('unet', 'final')).eval()
    real = {c: [rms(load_audio(f, sr=m.sample_rate)[0][0]) for f in fs]
            for c, fs in class_folders(base/'split'/'test').items()}
    for o in json.loads(a.opts):
        c0 = time.process_time()
        with torch.inference_mode():
            clips = {c: list(m.generate(c, a.n, seed=r.seed, **o)) for c in classes_of(r)}
        acc = judge_accuracy(clf, clips, m.sample_rate, fmt)
        rows.append(dict(seed=seed, opts=o, accuracy=acc['all'], per_class={c: v for c, v in acc.items() if c != 'all'},
                         level_db={c: round(np.mean([rms(w) for w in ws]) - np.mean(real[c]), 1)
                                   for c, ws in clips.items()},
                         cpu_s=round(time.process_time() - c0, 1)))
        print(json.dumps({k: v for k, v in rows[-1].items() if k != 'per_class'}), flush=True)
res = dict(what="research/judge/judge_sweep.py on the runs of bench/judge_seeds.py audio-diffusion",
           machine=f"{platform.machine()} CPU ({torch.backends.cpu.get_cpu_capability()}), OMP_NUM_THREADS=1",
           runs=rows)
(RESULTS/'audio_diffusion_judge_sweep.json').write_text(json.dumps(res, indent=1) + '\n')
