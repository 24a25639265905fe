"""The DiffWave `demo` preset trained on one class of a seed's benchmark split alone, its clips heard by that seed's
judge: whether the model can make that class when every training step goes to it. The row goes to `one_class` of
nbs/results/diffwave_probes.json.

The one-class split (`--split-dir`, default OUT/seedN/one_class_CLS) holds the class's train and held-out clips of the
benchmark's split (bench/judge_seeds.py's `one_seed` makes that split, and the judge, the same way). The recipe runs
its data, split, train and generate stages (its evaluate stage needs two classes); the judge then gives each of the
`generate.n_per_class` clips its probability of the class and its top class, and each held-out real clip of the
class its probability (`p_class_real`). With `--epochs` 265 the model takes 1590 optimiser steps (6 batches of 4 an
epoch: the trainer keeps a share of the 30 clips for validation), 85 % of the preset's 1880 (47 an epoch, 40 epochs).

`--one-clip 000.wav` trains on one clip alone: the class's train folder holds that train clip of the seed's split as
many times as the class has train clips (30), so the same epochs take the same steps; the row then also holds
`denoise_snr`, the one-step estimate of that clip from the model (`denoise_snr`'s docstring), and `denoise_snr_preset`,
the same for the preset's model of the seed (`--preset-exp`, default `OUT/seedN/diffwave`, when there): whether the
model learns to denoise the one sound it was trained on for every step better than a model trained on every class.

Run: OMP_NUM_THREADS=1 python research/diffwave/diffwave_one_class.py --seed 2 --cls DogBark --epochs 265 --out \
    exp/judge_seeds
     OMP_NUM_THREADS=1 python research/diffwave/diffwave_one_class.py --seed 2 --one-clip 000.wav --out exp/judge_seeds
"""
import argparse, json, os, shutil, sys
os.environ.setdefault('OMP_NUM_THREADS', '1')
from pathlib import Path
import soundfile as sf, torch
from foleybook.audio import resample
from foleybook.pretrained import load_pretrained
from foleybook.recipes.bench_scores import judge_format
from foleybook.recipes.engine import run_recipe, get_recipe
sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[2]/'bench')]
from judge_seeds import machine, seed_setup, parse_sets

RESULTS = Path(__file__).resolve().parents[2]/'nbs'/'results'


STEPS = (0, 2, 5, 10, 15, 20, 30, 40)


@torch.no_grad()
def denoise_snr(folder, clip, steps=STEPS, cls=0): # cls: the class (its id or name) the model is asked for
    ("SNR (dB) of the model's one-step clean estimate of `clip` (resampled to the model's rate, times its scale) "
     "noised to each of `steps` (noise seeded by the step), and of the noised input divided by sqrt(abar): its first "
     "second (the training excerpts' length) and the whole clip.")
    m = load_pretrained(folder).eval()
    c, d = m.config, m.diffusion
    if isinstance(cls, str): cls = c.class_names.index(cls)
    w, sr = sf.read(clip, dtype='float32')
    x = resample(torch.from_numpy(w)[None], sr, c.sample_rate)[0][None, None] * c.scale
    x = x[..., :x.shape[-1] // 16 * 16]
    snr = lambda a, b: round(float(10 * torch.log10(b.pow(2).sum() / (a - b).pow(2).sum())), 1)
    rows = []
    for t in steps:
        row = dict(t=t, abar=round(float(d.abar(torch.tensor(float(t)))), 4))
        for part, xx in (('1s', x[..., :c.length]), ('clip', x)):
            tt = torch.tensor([float(t)])
            xt = d.q_sample(xx, tt, torch.randn(xx.shape, generator=torch.Generator().manual_seed(t)))
            ab = d.abar(tt)
            x0 = d.to_eps_x0(m(xt, tt, torch.tensor([cls])).float(), xt, ab)[1]
            row[f'in_{part}'], row[f'out_{part}'] = snr(xt / ab.sqrt(), xx), snr(x0, xx)
        rows.append(row)
    return rows


def one_class(seed, cls, epochs, out, split_dir=None, name=None, sets=None, one_clip=None, preset_exp='diffwave'):
    "Train and sample the `demo` preset on `cls` alone (seed `seed`'s split); the judge's answer per clip: one row."
    dev, fmt, base, split, clf = seed_setup(seed, out)
    stem = Path(one_clip).stem if one_clip else None
    one = Path(split_dir or base/(f'one_clip_{cls}_{stem}' if one_clip else f'one_class_{cls}'))
    if one_clip and not (one/'train'/cls).is_dir():
        n = len(list((split/'train'/cls).glob('*.wav')))
        (one/'train'/cls).mkdir(parents=True)
        for j in range(n): shutil.copy(split/'train'/cls/one_clip, one/'train'/cls/f'{j:03d}.wav')
    for part in ('train', 'test'):
        if not (one/part/cls).is_dir(): shutil.copytree(split/part/cls, one/part/cls)
    tag = ''.join(f"_{k.split('.')[-1]}{v}" for k, v in (sets or {}).items())
    exp = base/(name or f"one_{f'clip_{cls}_{stem}' if one_clip else f'class_{cls}'}_e{epochs}{tag}")
    run_recipe(exp, get_recipe('diffwave'), data=str(dev), preset='demo', system='cpu', quiet=True,
               sets={'seed': seed, 'train.epochs': epochs, **(sets or {})}, split=one, stop_stage='generate')
    probs = lambda folder: clf.probs([judge_format(w, sr, fmt) for w, sr in
                                      (sf.read(f, dtype='float32') for f in sorted(folder.glob('*.wav')))],
                                     fmt['sample_rate'])
    p, real, k = probs(exp/'gen'/cls), probs(split/'test'/cls), clf.classes.index(cls)
    train = json.loads((exp/'stages'/'2_train.done').read_text())
    row = dict(seed=seed, cls=cls, epochs=epochs, sets=sets or {}, accuracy=float((p.argmax(1) == k).mean()),
               p_class=[round(float(x), 3) for x in p[:, k]], top=[clf.classes[i] for i in p.argmax(1)],
               p_class_real=[round(float(x), 3) for x in real[:, k]],
               train_cpu_min=round(train['cpu_seconds'] / 60, 2))
    if one_clip:
        row['one_clip'] = one_clip
        row['denoise_snr'] = denoise_snr(exp/'model'/'final', split/'train'/cls/one_clip)
        preset = base/preset_exp/'model'/'final'
        if preset.is_dir():
            row['denoise_snr_preset'] = denoise_snr(preset, split/'train'/cls/one_clip, cls=cls)
    return row


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--seed', type=int, default=2)
    ap.add_argument('--cls', default='DogBark')
    ap.add_argument('--epochs', type=int, default=265)
    ap.add_argument('--out', default='exp/judge_seeds', help="bench/judge_seeds.py's folder")
    ap.add_argument('--split-dir', default=None, help='the one-class split (default OUT/seedN/one_class_CLS)')
    ap.add_argument('--name', default=None, help='the experiment folder under OUT/seedN')
    ap.add_argument('--set', action='append', default=[], help="a change to the preset, 'train.model.d_model=32'")
    ap.add_argument('--one-clip', default=None, help="a train clip of the class (file name): the train set")
    ap.add_argument('--preset-exp', default='diffwave', help="--one-clip: the preset's experiment under OUT/seedN")
    a = ap.parse_args()
    sets = parse_sets(ap, a.set)
    row = one_class(a.seed, a.cls, a.epochs, a.out, a.split_dir, a.name, sets, a.one_clip, a.preset_exp)
    f = RESULTS/'diffwave_probes.json'
    res = json.loads(f.read_text())
    oc = res.setdefault('one_class', dict(what=' '.join(__doc__.split('\n\n')[0].split()), machine=machine(), runs=[]))
    key = lambda r: (r['seed'], r['cls'], r['epochs'], json.dumps(r.get('sets', {}), sort_keys=True), r.get('one_clip'))
    oc['runs'] = [r for r in oc['runs'] if key(r) != key(row)] + [row]
    f.write_text(json.dumps(res, indent=1) + '\n')
    print(json.dumps(row))
