"""audio-diffusion's loudness guidance strength against recognition, on the recordings-like controls.

`bench/timing_control.py --data recordings` found the committed audio-diffusion demo following a control (mel-column
energy guided all the way to the curve at every step, `curve_strength=1`, then the best of 4 by E-L1) at 1.1 dB E-L1
(free: 8.7) but recognised 10 points less often than free (81 against 90 %, 21 clips). This probe runs the same
protocol (`bench/timing_control.run_seed`) with `--n` controls a class and seed for several strengths.

    OMP_NUM_THREADS=1 python research/control/ad_curve_strength.py [--n 2] [--strengths 1,0.5,0.3] [--seeds 0,1,2]

Writes nbs/results/ad_curve_strength.json (the timing chapter's table): one run per set of seeds, kept beside
the others.
"""
import argparse, json, subprocess, sys, time
from pathlib import Path
import numpy as np, torch
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT/'bench'))
import timing_control as tc
from foleybook.pretrained import load_pretrained
from foleybook.control import from_audio, breakpoints
from foleybook.data.synth import SynthFoley
from foleybook.fastpath import cpu_info


def setup():
    ("The protocol's parts: the judge, the recordings-like clips, the vocal and clean curves, the audio-diffusion demo "
     "and its options, the commit.")
    torch.set_num_threads(1)
    judge, data = load_pretrained(tc.MODELS/'judge'), tc.Recordings(SynthFoley(seed=0))
    vw, vsr, _ = tc.voice('/tmp')
    vocal = from_audio(vw, vsr, name='vocal imitation').at(100., round(tc.SECONDS * 100))
    clean = breakpoints(tc.clean_points(vocal), duration=tc.SECONDS, name='clean breakpoints')
    g, opts = tc.demo('audio-diffusion')
    commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT, capture_output=True, text=True)
    return judge, data, vocal, clean, g, opts, commit.stdout.strip()


def summarise(per:dict) -> dict:
    "One setting's row: each E-L1, the judge's recognition and the vocal gap, as spreads over the seeds of `per`."
    row = {m: tc.spread([r[m] for r in per.values()]) for m in ('free', 'rerank', 'guided', 'follow', 'real')}
    row['judge'] = {m: tc.spread([r['judge'][m] for r in per.values()]) for m in ('free', 'guided', 'follow')}
    row['vocal_gap'] = tc.spread([r['vocal']['gap'] for r in per.values()])
    return row


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument('--n', type=int, default=2)
    p.add_argument('--k', type=int, default=4)
    p.add_argument('--seeds', default='0,1,2')
    p.add_argument('--strengths', default='1,0.5,0.3')
    a = p.parse_args(argv)
    judge, data, vocal, clean, g, opts, commit = setup()
    path = ROOT/'nbs'/'results'/'ad_curve_strength.json'
    doc = json.loads(path.read_text()) if path.is_file() else dict(about=__doc__.split('\n\n')[0], runs={})
    out = doc['runs'].setdefault(a.seeds, dict(strengths={}))   # a strength run again replaces its row
    out.update(n=a.n, k=a.k, cpu=cpu_info()['model'], commit=commit)
    for s in [float(v) for v in a.strengths.split(',')]:
        t0 = time.process_time()
        per = {sd: tc.run_seed(g, dict(opts, curve_strength=s), judge, a.n, a.k, data, vocal, clean, sd)
               for sd in [int(v) for v in a.seeds.split(',')]}
        row = summarise(per)
        row['cpu_seconds'] = round(time.process_time() - t0, 1)
        out['strengths'][str(s)] = row
        print(s, json.dumps({k: v for k, v in row.items()}, default=float), flush=True)
        path.write_text(json.dumps(doc, indent=1, default=float) + '\n')


if __name__ == '__main__':
    main()
