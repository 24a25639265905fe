"""What the benchmark's judge calls clips that are none of its classes: made-up 4 s clips (white noise, noise
band-passed to a bark's band, steady sines at a bark's pitch, short sine blips, blips over a faint noise floor), 10 of
each at -20 dBFS rms, heard by the judge of each seed (`bench/judge_seeds.py`'s `seed_setup`: the benchmark's split,
the judge trained once and cached). Per kind and seed: the judge's answers class by class and its mean p(DogBark).
In SynthFoley the barks are the only tonal class: does the judge take any tone for a bark?

Run: OMP_NUM_THREADS=1 python research/judge/judge_negatives.py --seeds 0 1 2 --out exp/judge_seeds

Writes nbs/results/judge_negatives.json.
"""
import argparse, json, os
os.environ.setdefault('OMP_NUM_THREADS', '1')
from pathlib import Path
import numpy as np, torch
import sys
sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[2]/'bench')]
from judge_seeds import seed_setup, machine, RESULTS


def band(x, sr, lo, hi):
    "`x` with its spectrum outside [lo, hi] Hz set to zero."
    X = np.fft.rfft(x); f = np.fft.rfftfreq(len(x), 1 / sr)
    X[(f < lo) | (f > hi)] = 0
    return np.fft.irfft(X, len(x))


def blips(rng, sr, n, k=12, width=0.1, lo=300.):
    "`k` sine blips `width` s long at random places and frequencies (`lo`-4000 Hz)."
    t = np.arange(n)
    return sum(np.sin(2 * np.pi * rng.uniform(lo, 4000) * t / sr) * (np.abs(t - rng.uniform(0, n)) < width / 2 * sr)
               for _ in range(k))


KINDS = {   # name -> (rng, sample rate, samples) -> a clip
    'white noise': lambda r, sr, n: r.standard_normal(n),
    'noise 300-4000 Hz': lambda r, sr, n: band(r.standard_normal(n), sr, 300, 4000),
    'sine 300-700 Hz': lambda r, sr, n: np.sin(2 * np.pi * r.uniform(300, 700) * np.arange(n) / sr),
    'sine blips': blips,
    'sine blips + noise': lambda r, sr, n: blips(r, sr, n) + 0.1 * r.standard_normal(n),
}


def made_up(kind, sr, n_clips=10, seconds=4.0, seed=0):
    "`n_clips` clips of `kind` at -20 dBFS rms (float32 tensors)."
    rng, n = np.random.default_rng([seed, list(KINDS).index(kind)]), int(seconds * sr)
    clips = [KINDS[kind](rng, sr, n) for _ in range(n_clips)]
    return [torch.from_numpy((0.1 * x / np.sqrt((x ** 2).mean())).astype(np.float32)) for x in clips]


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--out', default='exp/judge_seeds', help="bench/judge_seeds.py's folder (its data and splits)")
    a = p.parse_args()
    runs = []
    for s in a.seeds:
        clf = seed_setup(s, a.out)[-1]
        for kind in KINDS:
            pr = clf.probs(made_up(kind, clf.sample_rate), clf.sample_rate)
            top = [clf.classes[i] for i in pr.argmax(1)]
            runs.append(dict(seed=s, kind=kind, answers={c: top.count(c) for c in sorted(set(top))},
                             p_bark=round(float(pr[:, clf.classes.index('DogBark')].mean()), 3)))
            print(json.dumps(runs[-1]), flush=True)
    f = RESULTS/'judge_negatives.json'
    f.write_text(json.dumps(dict(what=' '.join(__doc__.split('\n\n')[0].split()), machine=machine(), runs=runs),
                                 indent=1) + '\n')
    print('wrote', f)
