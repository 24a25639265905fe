"""Timing control, measured: how closely each system's committed demo model follows a loudness `Control`.

Per system (`nbs/results/models/<name>`), seed (0, 1, 2) and class: the curves of held-out SynthFoley clips
(SynthFoley(seed=0) clip indices 1000 and up, in no split; each seed its own) as controls; E-L1
(`foleybook.control.e_l1`, mean absolute dB over 4 s at 100 frames/s, floor -60 dB) of

- `free`: the system's own clip, without the control, brought to the control's mean level (one gain: level-matched,
  so that the number measures timing and shape, not the level);
- `rerank`: the best of `--k` free candidates by E-L1 (`follow` on the generator without its own way);
- `guided`: the control given the system's own way (`control_options`: DiffWave's shaped-noise prior, its `control`
  preset's FiLM from the curve (`diffwave-control`), audio-diffusion's mel-energy guidance, DCASE 2023's steered
  prior, SpecVQGAN's gain on its decoded mels, MTCRNN's fill curve), one candidate;
- `follow`: `foleybook.control.follow` with `--k` candidates (the own way, then the closest by E-L1);
- `real`: another held-out clip of the class, level-matched: what a real clip that does not follow scores;

and the judge's recognition (`nbs/results/models/judge`, `judge_accuracy` in the benchmark's format) of each set.
Then a vocal-imitation-like curve (the loudness of a spoken `ba ba baaa` from `espeak-ng` where it is installed,
else a synthesised hum of the same rhythm) against the same rhythm written clean (`clean_points`: each syllable
a flat breakpoint plateau at its median level, silence between): E-L1 of each system's followed clips, each
against the curve it followed.
Every number per seed, and its mean, min and max over the seeds.

`--data recordings` takes the controls (and the real clips beside them) from the same clips perturbed as recordings
are (`foleybook.data.augment.perturb_clip`: a time offset, EQ, a room, background noise, a level; seeded per clip).

Run (about 15 CPU minutes with one control per class and seed, most of them MTCRNN's and DiffWave's):
    OMP_NUM_THREADS=1 python bench/timing_control.py [--n 1] [--k 4] [--seeds 0,1,2] [--systems a,b] [--data D]
Writes nbs/results/timing_control.json, or timing_control_recordings.json with `--data recordings` (with the same
settings, the rows of the systems not run are kept).
"""
import argparse, json, os, platform, shutil, subprocess, sys, tempfile, time, zlib
os.environ.setdefault('OMP_NUM_THREADS', '1')
from pathlib import Path
import numpy as np, torch
from foleybook.pretrained import load_pretrained
from foleybook.generators import as_generator
from foleybook.audio import pad_or_trim, load_audio
from foleybook.control import from_audio, breakpoints, follow, e_l1, level_gain, FLOOR_DB
from foleybook.data.synth import SynthFoley
from foleybook.data.augment import perturb_clip
from foleybook.seeds import clip_seeds
from foleybook.fastpath import cpu_info
from foleybook.recipes.bench_scores import judge_accuracy
from foleybook.recipes.engine import get_recipe

ROOT = Path(__file__).resolve().parents[1]
MODELS, RESULTS = ROOT/'nbs'/'results'/'models', ROOT/'nbs'/'results'
SYSTEMS = ('specvqgan', 'dcase2023', 'audio-diffusion', 'diffwave', 'diffwave-control', 'mtcrnn')
FMT, SECONDS, HELD_OUT = {'sample_rate': 22050, 'duration': 4.0}, 4.0, 1000
CLEAN = "0:-60,0.2:-20,0.45:-45,0.7:-20,0.95:-45,1.2:-15,2.2:-25,2.6:-60,4:-60"   # ba, ba, baaa: the clean rhythm


def demo(name):
    "The committed demo generator of system `name` and its demo sampling options."
    if name == 'diffwave':
        gen = get_recipe('diffwave').preset('demo')['generate']
        opts = {k: gen[k] for k in ('sampler', 'guidance') if k in gen}
        return as_generator(load_pretrained(MODELS/name), **opts), {}
    if name == 'diffwave-control':   # the `control` preset's WaveNet (Block-FiLM from the curve), 4 s clips
        gen, model = get_recipe('diffwave').preset('control')['generate'], load_pretrained(MODELS/name)
        opts = {k: gen[k] for k in ('sampler', 'guidance') if k in gen}
        return as_generator(model, length=round(SECONDS * model.sample_rate), **opts), {}
    if name == 'audio-diffusion':
        gen = get_recipe('audio-diffusion').preset('demo')['generate']
        return load_pretrained(MODELS/name), {k: gen[k] for k in ('eta', 'guidance', 'n_iter') if k in gen}
    if name == 'mtcrnn': return load_pretrained(MODELS/name), dict(temperature=1., top_p=.9, duration=SECONDS)
    return as_generator(load_pretrained(MODELS/name)), {}


def clip4(w, sr): return pad_or_trim(torch.as_tensor(w).float().reshape(-1), round(SECONDS * sr))


def err(control, w, sr): return float(e_l1(control, clip4(w, sr), sr))


def voice(tmp) -> tuple:
    "A spoken 'ba ba baaa' (espeak-ng) or, without it, a hum of that rhythm: (wave, sr, what it is)."
    exe = shutil.which('espeak-ng')
    if exe:
        f = Path(tmp)/'voice.wav'
        subprocess.run([exe, '-s', '90', '-g', '8', '-w', str(f), 'ba, ba, baaaaa'], check=True, capture_output=True)
        w, sr = load_audio(f)
        return w[0], sr, 'espeak-ng: "ba, ba, baaaaa"'
    sr, c = 22050, breakpoints(CLEAN, duration=SECONDS)   # the repository's own: a 130 Hz hum with breath and vibrato
    t = np.arange(int(SECONDS * sr)) / sr
    env = 10 ** (np.interp(t, c.times, c.loudness) / 20) * (1 + 0.3 * np.sin(2 * np.pi * 6 * t))
    f0 = 130 * (1 + 0.02 * np.sin(2 * np.pi * 5 * t))
    ph = 2 * np.pi * np.cumsum(f0) / sr
    x = sum(np.sin(k * ph) / k for k in range(1, 8)) + 0.1 * np.random.default_rng(0).standard_normal(len(t))
    x = env * x / np.sqrt((x ** 2).mean())
    return torch.tensor(x, dtype=torch.float32), sr, 'synthesised hum (espeak-ng not installed)'


class Recordings:
    "SynthFoley's clips as recordings might have them (`perturb_clip`: offset, EQ, room, background, level), seeded."
    def __init__(self, data, seed=0): self.data, self.sr, self.seed = data, data.sr, seed
    def clip(self, c, i):
        rng = np.random.default_rng([self.seed, zlib.crc32(c.encode()), i])
        return perturb_clip(self.data.clip(c, i), self.sr, rng)


class Plain:
    "`g` without its own way of following a control: `follow` then only reranks its candidates."
    def __init__(self, g):
        self.g, self.sample_rate, self.seeds_per_clip = g, g.sample_rate, getattr(g, 'seeds_per_clip', False)
    def generate(self, *a, **kw): return self.g.generate(*a, **kw)


def clean_points(vocal, on:float=-40., ramp:float=0.02) -> str:
    "The voice's rhythm written clean: each syllable (frames above `on` dB, 50 ms or more) flat at its median level."
    db, t = vocal.loudness, vocal.times
    loud = np.r_[False, db > on, False].astype(int)
    starts, ends = np.flatnonzero(np.diff(loud) == 1), np.flatnonzero(np.diff(loud) == -1)
    pts = [(0., FLOOR_DB)]
    for a, b in zip(starts, ends):
        if b - a < 5: continue
        lv = float(np.median(db[a:b]))
        pts += [(t[a], FLOOR_DB), (t[a] + ramp, lv), (t[b - 1], lv), (t[b - 1] + ramp, FLOOR_DB)]
    pts = [p for i, p in enumerate(pts) if i == 0 or p[0] > pts[i - 1][0]]
    return ','.join(f"{a:.2f}:{b:.0f}" for a, b in pts) + f",{SECONDS:.2f}:{FLOOR_DB:.0f}"


def run_seed(g, opts, judge, n, k, data, vocal, clean, seed):
    "One seed: per class, the E-L1 of the free, reranked, guided (own way, one candidate), followed and real clips."
    sr = g.sample_rate
    classes = list(g.classes) if g.classes is not None else ['Footstep', 'Rain', 'DogBark']
    rows, clips = {}, {a: {} for a in ('free', 'rerank', 'guided', 'follow')}
    first = HELD_OUT + seed * (n + 1)   # seed s: its own held-out clips (n controls, then the real clip beside)
    for c in classes:
        cond = c if g.classes is not None else None
        ctl = [from_audio(data.clip(c, first + j), data.sr, name=f'{c} #{first + j}') for j in range(n)]
        real = [torch.as_tensor(data.clip(c, first + j + 1)) for j in range(n)]
        seeds = clip_seeds(seed, n)
        free = [torch.as_tensor(g.generate(cond, 1, seed=[s] if getattr(g, 'seeds_per_clip', False) else s,
                                           **opts)).reshape(-1) for s in seeds]
        got = dict(free=[w * level_gain(ctl[j], w, sr) for j, w in enumerate(free)],
                   rerank=[follow(Plain(g), cond, ctl[j], 1, [seeds[j]], k=k, **opts)[0] for j in range(n)],
                   guided=[follow(g, cond, ctl[j], 1, [seeds[j]], k=1, **opts)[0] for j in range(n)],
                   follow=[follow(g, cond, ctl[j], 1, [seeds[j]], k=k, **opts)[0] for j in range(n)])
        rows[c] = {a: float(np.mean([err(ctl[j], w[j], sr) for j in range(n)])) for a, w in got.items()}
        rows[c]['real'] = float(np.mean([err(ctl[j], real[j] * level_gain(ctl[j], real[j], data.sr), data.sr)
                                         for j in range(n)]))
        for a in clips: clips[a][c] = got[a]
        print(f"seed {seed} {c}: " + ', '.join(f"{a} {v:.2f}" for a, v in rows[c].items()), flush=True)
    out = dict(classes=rows, **{a: float(np.mean([r[a] for r in rows.values()]))
                                for a in ('free', 'rerank', 'guided', 'follow', 'real')})
    if g.classes is not None:
        out['judge'] = {a: judge_accuracy(judge, cl, sr, FMT)['all'] for a, cl in clips.items()}
    cond = classes[0] if g.classes is not None else None
    vc = {what: float(np.mean([err(ctl, x, sr) for x in follow(g, cond, ctl, n, seed, k=k, **opts)]))
          for what, ctl in (('clean', clean), ('vocal', vocal))}
    out['vocal'] = dict(cls=cond, **vc, gap=vc['vocal'] - vc['clean'])
    return out


def spread(vals): return dict(mean=float(np.mean(vals)), min=float(np.min(vals)), max=float(np.max(vals)))


def run_system(name, judge, n, k, data, vocal, clean, seeds):
    g, opts = demo(name)
    t0 = time.process_time()
    per = {s: run_seed(g, opts, judge, n, k, data, vocal, clean, s) for s in seeds}
    out = dict(sample_rate=g.sample_rate, options=dict(opts), seeds={str(s): r for s, r in per.items()},
               **{a: spread([r[a] for r in per.values()]) for a in ('free', 'rerank', 'guided', 'follow', 'real')})
    if g.classes is not None:
        out['judge'] = {a: spread([r['judge'][a] for r in per.values()]) for a in ('free', 'rerank', 'guided',
                                                                                     'follow')}
    out['vocal'] = {a: spread([r['vocal'][a] for r in per.values()]) for a in ('clean', 'vocal', 'gap')}
    out['cpu_seconds'] = round(time.process_time() - t0, 1)
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--n', type=int, default=1, help="held-out clips (controls) per class and seed")
    p.add_argument('--seeds', default='0,1,2', help="generation seeds (each with its own held-out clips)")
    p.add_argument('--k', type=int, default=4, help="candidates per clip for follow")
    p.add_argument('--systems', default=','.join(SYSTEMS))
    p.add_argument('--data', choices=('synth', 'recordings'), default='synth',
                   help="the controls' clips: SynthFoley's, or SynthFoley's perturbed as recordings (`perturb_clip`)")
    p.add_argument('--out', default=None, help="default: nbs/results/timing_control.json, or "
                                               "timing_control_recordings.json with --data recordings")
    a = p.parse_args(argv)
    a.out = a.out or str(RESULTS/('timing_control.json' if a.data == 'synth' else 'timing_control_recordings.json'))
    torch.set_num_threads(1)
    judge, data = load_pretrained(MODELS/'judge'), SynthFoley(seed=0)
    if a.data == 'recordings': data = Recordings(data)
    with tempfile.TemporaryDirectory() as tmp: vw, vsr, vwhat = voice(tmp)
    vocal = from_audio(vw, vsr, name='vocal imitation').at(100., round(SECONDS * 100))
    clean = breakpoints(clean_points(vocal), duration=SECONDS, name='clean breakpoints')
    commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT, capture_output=True, text=True).stdout
    seeds = [int(v) for v in a.seeds.split(',')]
    res = dict(settings=dict(n=a.n, k=a.k, seeds=seeds, seconds=SECONDS,
                             controls=f"SynthFoley(seed=0) clips {HELD_OUT}+" + (
                                 ', perturbed as recordings (perturb_clip, seed 0)' if a.data != 'synth' else ''),
                             vocal=vwhat,
                             clean=clean_points(vocal), cpu=f"{cpu_info()['model']} ({platform.machine()})",
                             commit=commit.strip(), judge_format=FMT),
               systems={})
    old = json.loads(Path(a.out).read_text()) if Path(a.out).is_file() else {}
    same = {k: v for k, v in old.get('settings', {}).items() if k not in ('cpu', 'commit')} == \
        {k: v for k, v in res['settings'].items() if k not in ('cpu', 'commit')}
    if same: res['systems'] = old['systems']   # the systems not run keep their rows (each with its commit and CPU)
    for s in a.systems.split(','):
        res['systems'][s] = dict(run_system(s, judge, a.n, a.k, data, vocal, clean, seeds),
                                 commit=res['settings']['commit'], cpu=res['settings']['cpu'])
        Path(a.out).write_text(json.dumps(res, indent=1, default=float) + '\n')
    print(json.dumps({s: {k: v for k, v in r.items() if k in ('free', 'rerank', 'guided', 'follow', 'real', 'judge')}
                      for s, r in res['systems'].items()}, indent=1, default=float))


if __name__ == '__main__':
    sys.exit(main())
