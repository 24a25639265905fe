"""Where a class-conditional DiffWave loses a bark's harmonics: the periodicity of real and generated barks, of the
denoiser's one-step estimate of a real bark at each noise level, and of the clips the sampler makes when it starts
from a real bark noised to a level (DDPM's ancestral steps from there down, no guidance: the denoiser alone).

Periodicity (`harmonicity`): over the clip's loud 40 ms frames (rms above 0.3 of the loudest), the mean of the
normalised autocorrelation's peak at the lags of a bark's pitch (250-660 Hz); about 0.1 for noise, 0.8 for SynthFoley's
barks at 8 kHz. The model is the committed demo model (`nbs/results/models/diffwave`, the `demo` preset on the
benchmark's seed-0 split), the real clips that split's held-out barks (rebuilt in --data), their first `length`
samples at the model's rate for the noising; noise and sampling seeded. Writes
research/diffwave/diffwave_harmonics.json.

Run: OMP_NUM_THREADS=1 python research/diffwave/diffwave_harmonics.py [--model DIR] [--seed 0] [--data exp/harmonics]
     [--out FILE --label TEXT]
"""
import argparse, json, os
os.environ.setdefault('OMP_NUM_THREADS', '1')
from pathlib import Path
import numpy as np, torch
from foleybook.audio import load_audio, resample
from foleybook.pretrained import load_pretrained
from foleybook.recipes.stages import class_folders
from foleybook.fastpath import cpu_info
from foleybook.recipes.bench import bench_data, bench_split, BENCH_PRESETS
from foleybook.systems.diffwave.recipe import RECIPE_PRESETS

ROOT = Path(__file__).resolve().parents[2]


def harmonicity(w, sr:int, fmin:float=250., fmax:float=660.) -> float:
    "Mean over the loud 40 ms frames of the normalised autocorrelation's peak at lags of fmin-fmax Hz."
    w, n = np.asarray(w, dtype=np.float64), int(0.04 * sr)
    frames = np.stack([w[i:i + n] for i in range(0, len(w) - n, n // 2)])
    rms = np.sqrt((frames ** 2).mean(1))
    peaks = []
    for f in frames[rms > 0.3 * rms.max()]:
        f = f - f.mean(); ac = np.correlate(f, f, 'full')[n - 1:]
        peaks.append((ac / (ac[0] + 1e-12))[int(sr / fmax):int(sr / fmin) + 1].max())
    return float(np.mean(peaks))


if __name__ == '__main__':   # the measure above is imported by other probes
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--model', default=str(ROOT/'nbs'/'results'/'models'/'diffwave'))
    ap.add_argument('--seed', type=int, default=0, help="the benchmark seed whose split the model was trained on")
    ap.add_argument('--data', default='exp/harmonics', help='where the SynthFoley set and split go')
    ap.add_argument('--cls', default='DogBark')
    ap.add_argument('--n', type=int, default=8, help='clips of each kind')
    ap.add_argument('--out', default=str(Path(__file__).resolve().parent/'diffwave_harmonics.json'))
    ap.add_argument('--label', default=None, help="what the model is, for the file (default: its path in the project "
                    "or its folder's name)")
    a = ap.parse_args()
    torch.set_num_threads(1)

    model = load_pretrained(a.model).eval()
    c, D = model.config, model.diffusion
    sr, ci, guidance = c.sample_rate, c.class_names.index(a.cls), RECIPE_PRESETS['demo']['generate']['guidance']
    P = BENCH_PRESETS['demo']
    split = bench_split(bench_data(a.data, 'synth', P['n_per_class']), Path(a.data)/'split', P['holdout'], a.seed)
    files = sorted(class_folders(split/'test')[a.cls])[:a.n]
    real = [resample(*load_audio(f), sr).reshape(-1) for f in files]
    x0 = torch.stack([w[:c.length] for w in real]).float() * c.scale      # the model's domain: waves x scale
    H = lambda xs: float(np.mean([harmonicity(x, sr) for x in xs]))
    res = dict(about=' '.join(q.replace('\n', ' ') for q in __doc__.split('\n\n')[:2]), cpu=cpu_info()['model'],
               cls=a.cls, n=len(files),
               model=a.label or (Path(a.model).resolve().relative_to(ROOT).as_posix()
                                 if ROOT in Path(a.model).resolve().parents else Path(a.model).name),
               seed=a.seed, guidance=guidance)
    res['real'] = H([w.numpy() for w in real])
    gen = model.generator(guidance=guidance).generate(a.cls, n=a.n, seed=list(range(1000, 1000 + a.n)))
    res['generated_fast'] = H(gen.reshape(a.n, -1).float().numpy())
    print(f"{a.cls}: harmonicity real {res['real']:.2f}, generated (fast sampler, guidance {guidance}) "
          f"{res['generated_fast']:.2f}", flush=True)

    abar, cond = D.alphas_cumprod.float(), torch.full((len(x0),), ci)
    def model_out(x, t):
        with torch.no_grad(): return model(x[:, None], torch.full((len(x),), t), cond)[:, 0]

    res['one_step'] = []   # the denoiser's estimate of the clean bark from one noisy copy at step t
    g = torch.Generator().manual_seed(0)
    for t in [2, 5, 10, 15, 20, 30, 40, 49]:
        noise = torch.randn(x0.shape, generator=g)
        xt = abar[t].sqrt() * x0 + (1 - abar[t]).sqrt() * noise
        x0_hat = D.to_eps_x0(model_out(xt, t), xt, abar[t].expand(len(xt)))[1]   # any prediction target
        row = dict(t=t, snr_db=float(10 * torch.log10(abar[t] * x0.pow(2).mean() / (1 - abar[t]))),
                   rel_error=float((x0_hat - x0).pow(2).mean() / x0.pow(2).mean()), harmonicity=H(x0_hat.numpy()))
        res['one_step'].append(row); print('one step', row, flush=True)

    res['chain_from'] = []   # DDPM's ancestral steps from a real bark noised to step t0 down to a clip
    for t0 in [2, 5, 10, 15, 20, 30, 49]:
        # the core's DDPM sampler over all T steps, begun at step t0 from the real bark noised there
        with torch.no_grad():
            x = D.sample(model, (len(x0), 1, x0.shape[-1]), cond, sampler='ddpm', seed=1, x_start=x0[:, None],
                         start_step=D.T - 1 - t0)[:, 0]
        row = dict(t0=t0, harmonicity=H(x.numpy()), rms_ratio=float((x.pow(2).mean() / x0.pow(2).mean()).sqrt()))
        res['chain_from'].append(row); print('chain from', row, flush=True)
    Path(a.out).write_text(json.dumps(res, indent=1) + '\n'); print('wrote', a.out)
