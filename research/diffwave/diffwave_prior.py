"""DiffWave's `demo` preset (FiLM) with the noise of `foleybook.diffusion.noise` (`DiffusionConfig.noise`): harmonic
at a pitch contour where a sound is voiced, optionally with its std following the clip's envelope (PriorGrad's prior,
Lee et al., 2022), on the benchmark's split and judge of a seed (bench/judge_seeds.py's `one_seed`); rows in
`prior_probes` of nbs/results/diffwave_probes.json. Whether a waveform denoiser that keeps failing to make a bark's
harmonic stack from white noise makes barks when the noise it starts from, and the noise it is trained to remove,
already has a pitch (13d "Shaped noise", lab notes section 21).

`--floor F` turns the envelope on (the std clamped to [F, 1]); `--guidance G` samples with guidance G instead of the
preset's; `--sampled-from EXP` copies the seed's trained experiment EXP without its clips and samples it again, and
with `--zero-denoiser` zeroes the copy's output layer first (`out2`, zero-initialised in training): a denoiser that
predicts no noise at all, so the clips are the sampler's own noise, what the prior alone gives the judge.

The committed rows were measured with this script's first form, which patched the loss and the sampler with its own
copy of the noise (the pitch tracker of `research/diffwave/diffwave_excite.py`, whose octave rule took the shortest
lag, not the
shortest peak, within 10 % of the best); the package's form gives the preset's rows of
`diffwave_judge_seeds.json`. Measured on an AMD EPYC (Zen 4), one thread, two or three runs at a time.

    OMP_NUM_THREADS=1 python research/diffwave/diffwave_prior.py --seed 2 --out exp/judge_seeds [--floor 0.1] \
        [--guidance 1]
"""
import argparse, json, os, shutil, sys
os.environ.setdefault('OMP_NUM_THREADS', '1')
from pathlib import Path
sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[2]/'bench')]
from judge_seeds import one_seed, machine, parse_sets, RESULTS   # noqa: E402
from diffwave_memorise import add_rows   # noqa: E402

COPY_IGNORE = ('gen', 'report*', '3_*', '4_*', 'generate_models.json', 'cache')   # what sampling again rewrites


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--seed', type=int, default=2)
    p.add_argument('--out', default='exp/judge_seeds', help="bench/judge_seeds.py's folder")
    p.add_argument('--floor', type=float, default=None, help="the noise's std follows the clip's envelope, >= this")
    p.add_argument('--guidance', type=float, default=None, help="sample with this guidance (default: the preset's)")
    p.add_argument('--set', action='append', default=[], help='KEY=JSON, a change to the preset')
    p.add_argument('--name', default='prior', help="the experiment's folder under OUT/seedN/")
    p.add_argument('--sampled-from', default=None, help='a trained experiment of the seed, copied and sampled again')
    p.add_argument('--zero-denoiser', action='store_true', help="with --sampled-from: the copy's output layer zeroed")
    a = p.parse_args()
    if a.zero_denoiser and not a.sampled_from: p.error('--zero-denoiser changes a copied model: give --sampled-from')
    if a.floor is not None and not 0 < a.floor <= 1: p.error(f"--floor {a.floor}: give a number in (0, 1]")
    sets = {'train.model.diffusion.noise': 'harmonic', 'train.model.diffusion.noise_floor': a.floor,
            **({'generate.guidance': a.guidance} if a.guidance is not None else {}), **parse_sets(p, a.set)}
    base = Path(a.out)/f'seed{a.seed}'
    if a.sampled_from:
        if not (base/a.sampled_from/'model'/'final').is_dir():
            p.error(f"--sampled-from {a.sampled_from}: no trained model in {base/a.sampled_from/'model'/'final'}")
        if (base/a.name).exists(): shutil.rmtree(base/a.name)
        shutil.copytree(base/a.sampled_from, base/a.name, ignore=shutil.ignore_patterns(*COPY_IGNORE))
        if a.zero_denoiser:
            from safetensors.torch import load_file, save_file
            f = base/a.name/'model'/'final'/'model.safetensors'
            sd = load_file(str(f))
            save_file({k: v.zero_() if k.startswith('out2.') else v for k, v in sd.items()}, str(f),
                      metadata={'model_class': 'Sashimi'})
    row = dict(variant=a.name, floor=a.floor, sampled_from=a.sampled_from, zero_denoiser=a.zero_denoiser,
               **one_seed('diffwave', a.seed, a.out, 'demo', sets, a.name))
    add_rows('prior_probes', [row], lambda r: (r['variant'], r['seed']), ' '.join(__doc__.split('\n\n')[0].split()))
    print(json.dumps({k: v for k, v in row.items() if not isinstance(v, dict)}), row['per_class'], machine())
