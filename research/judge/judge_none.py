"""A judge with one more class, `None`: the benchmark's judge (`bench/judge_seeds.py`'s `seed_setup`: each seed's split,
the `demo` judge) trained again on that split's train clips plus 30 made-up 4 s clips of no class (five each of white
noise, noise in a random band, a steady sine at 100-3000 Hz, a steady five-harmonic tone at 100-800 Hz, a chirp, sine
blips over a faint noise floor; levels -35 to -15 dBFS rms; drawn apart from `research/judge/judge_negatives.py`'s
clips). Does
it still take a steady sine for a bark, and does it change what the benchmark's judge says of generated clips?

Per seed: the share recognised, class by class, of the held-out real clips and of each `--gen` folder of generated
clips, by the benchmark's judge and by the judge with `None` (an answer `None` is not recognised, and its share is
kept); then the answers of the judge with `None` to `research/judge/judge_negatives.py`'s made-up clips.

Run (the generated clips of `bench/judge_seeds.py` runs on the same OUT's splits, their OUT/seedN/scores/NAME/gen):
    OMP_NUM_THREADS=1 python research/judge/judge_none.py --seeds 0 1 2 --out exp/judge_seeds \\
        --gen dcase2023=exp/judge_seeds/seed{seed}/scores/dcase2023/gen \\
        --gen specvqgan=exp/judge_seeds/seed{seed}/scores/specvqgan/gen \\
        --gen 'audio-diffusion (unet bf16)=exp/bench-bf16/seed{seed}/scores/audio-diffusion/gen'

Writes nbs/results/judge_none.json.
"""
import argparse, json, os
os.environ.setdefault('OMP_NUM_THREADS', '1')
from pathlib import Path
import numpy as np, torch
import sys
sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[2]/'bench')]
from judge_seeds import seed_setup, machine, RESULTS
from judge_negatives import KINDS, band, blips, made_up
from foleybook.audio import load_audio, save_audio
from foleybook.eval.judge import shared_judge


def harmonic(r, sr, n):
    "A steady tone of five harmonics (amplitudes 1/k) of an f0 at 100-800 Hz, random phases."
    f0, t = r.uniform(100, 800), np.arange(n) / sr
    return sum(np.sin(2 * np.pi * k * f0 * t + r.uniform(0, 2 * np.pi)) / k for k in range(1, 6) if k * f0 < sr / 2)


NONE_KINDS = {   # name -> (rng, sample rate, samples) -> a clip of no class, for the `None` class's training clips
    'white noise': lambda r, sr, n: r.standard_normal(n),
    'band noise': lambda r, sr, n: band(r.standard_normal(n), sr, *sorted(r.uniform(100, min(8000, sr / 2), 2))),
    'sine': lambda r, sr, n: np.sin(2 * np.pi * r.uniform(100, 3000) * np.arange(n) / sr),
    'harmonic tone': harmonic,
    'chirp': lambda r, sr, n: np.sin(2 * np.pi * np.cumsum(np.linspace(*r.uniform(100, 2000, 2), n)) / sr),
    'sine blips + noise': lambda r, sr, n: blips(r, sr, n, lo=150.) + r.uniform(0, 0.2) * r.standard_normal(n),
}


def none_folder(dst, sr:int, seconds:float, seed:int, per_kind:int=5) -> Path:
    "`per_kind` clips of each of `NONE_KINDS` in `dst`, at `sr`, `seconds` long, -35 to -15 dBFS rms, seeded."
    dst, n, i = Path(dst), int(seconds * sr), 0
    dst.mkdir(parents=True, exist_ok=True)
    for j, fn in enumerate(NONE_KINDS.values()):
        r = np.random.default_rng([1000 + seed, j])
        for _ in range(per_kind):
            x = fn(r, sr, n); x = x / np.sqrt((x ** 2).mean()) * 10 ** (r.uniform(-35, -15) / 20)
            save_audio(dst/f'{i:03d}.wav', torch.from_numpy(x.astype(np.float32))[None], sr); i += 1
    return dst


def with_none(split, dst, fmt, seed) -> Path:
    "A train folder: links to the class folders of `split`'s train part, and a `None` folder of made-up clips."
    dst = Path(dst); dst.mkdir(parents=True, exist_ok=True)
    for c in sorted((Path(split)/'train').iterdir()):
        if c.is_dir() and not (dst/c.name).exists(): (dst/c.name).symlink_to(c.resolve())
    if not (dst/'None').exists(): none_folder(dst/'None', fmt['sample_rate'], fmt['duration'], seed)
    return dst


def recognised(clf, root) -> dict:
    "Class -> [share answered as its class, share answered `None`] for the class folders of `root`."
    out = {}
    for d in sorted(p for p in Path(root).iterdir() if p.is_dir()):
        fs = sorted(d.glob('*.wav'))
        if not fs: continue
        top = [clf.classes[i] for i in clf.probs([load_audio(f, sr=clf.sample_rate)[0][0] for f in fs],
                                                 clf.sample_rate).argmax(1)]
        out[d.name] = [round(top.count(d.name) / len(top), 3), round(top.count('None') / len(top), 3)]
    return out


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--out', default='exp/judge_seeds', help="bench/judge_seeds.py's folder (its data and splits)")
    p.add_argument('--gen', action='append', default=[], metavar='NAME=FOLDER',
                   help="a folder of generated class folders, {seed} standing for the seed")
    a = p.parse_args()
    if any('=' not in g for g in a.gen): p.error("--gen: give NAME=FOLDER")
    gens = dict(g.split('=', 1) for g in a.gen)
    for s in a.seeds:   # every folder checked before any judge is trained
        for name, v in gens.items():
            if not Path(v.format(seed=s)).is_dir(): p.error(f"--gen {name}={v.format(seed=s)}: no such folder")
    runs = []
    for s in a.seeds:
        dev, fmt, base, split, judge = seed_setup(s, a.out)
        judge_n = shared_judge(with_none(split, base/'judge_none'/'train', fmt, s), 'demo', seed=s, system='cpu')
        sets = {'real held-out': Path(split)/'test', **{k: Path(v.format(seed=s)) for k, v in gens.items()}}
        for name, d in sets.items():
            r0, r1 = recognised(judge, d), recognised(judge_n, d)
            runs.append(dict(seed=s, clips=name, judge={c: v[0] for c, v in r0.items()},
                             judge_none={c: v[0] for c, v in r1.items()},
                             answered_none={c: v[1] for c, v in r1.items()}))
            print(json.dumps(runs[-1]), flush=True)
        for kind in KINDS:
            top = [judge_n.classes[i] for i in judge_n.probs(made_up(kind, judge_n.sample_rate),
                                                             judge_n.sample_rate).argmax(1)]
            runs.append(dict(seed=s, made_up=kind, answers={c: top.count(c) for c in sorted(set(top))}))
            print(json.dumps(runs[-1]), flush=True)
    f = RESULTS/'judge_none.json'
    f.write_text(json.dumps(dict(what=' '.join(__doc__.split('\n\n')[0].split()), machine=machine(), runs=runs),
                            indent=1) + '\n')
    print('wrote', f)
