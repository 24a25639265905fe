"""Speed of DiffWave's inference path and fast sampler, as ratios measured in one process (interleaved rounds, medians).

1. One denoising step of 1 s at 16 kHz with the `sc09` preset (24.0M parameters), batch 1.
   Baseline: the training form (weight norm, fp32, no_grad), as the reference runs it. Against it:
   weight norm folded (`inference_copy`, fp32, inference_mode), `FastDiffWave` in fp32, and the default
   inference path (`FastDiffWave` with `inference_dtype()`: bf16 on CPUs with bf16 matrix units).
   Output agreement: SNR (dB) of each output against the baseline's. Target: default path >= 1.2x.
2. End to end, 1 s at 16 kHz, the default inference path (`model.generator()`): DiffWave's 6-step fast
   schedule vs T = 200 ancestral (DDPM) steps, on `sc09_small` by default (`--e2e sc09` for the full size:
   T = 200 then takes many minutes on this CPU). Target >= 30x. Also the SNR of the fast-sampled waves
   in bf16 against fp32 (same seed).
Writes nbs/results/diffwave_bench.json (read by nbs/06a_diffwave.ipynb).
Run: OMP_NUM_THREADS=1 nice -n 10 python bench/diffwave.py [--rounds 3] [--e2e sc09_small] [--e2e-rounds 3] [--part step|e2e]
"""
import argparse, json, os, time
from pathlib import Path
import numpy as np, torch
from foleybook.diffusion.core import DiffusionConfig
from foleybook.diffusion.diffwave import DiffWave, DiffWaveConfig, FastDiffWave, inference_dtype
from foleybook.vocoders.base import inference_copy

ap = argparse.ArgumentParser()
ap.add_argument('--rounds', type=int, default=3)
ap.add_argument('--e2e', default='sc09_small')
ap.add_argument('--e2e-rounds', type=int, default=3, help='rounds of the fast schedule (T = 200 runs once: 200 steps are their own warm-up)')
ap.add_argument('--part', default='all', choices=['all', 'step', 'e2e'], help='run one part only (its section of the JSON is replaced)')
ap.add_argument('--out', default=str(Path(__file__).parent.parent/'nbs'/'results'/'diffwave_bench.json'))
a = ap.parse_args()
torch.set_num_threads(1)
torch.manual_seed(0)

def snr(out, ref): return float(10 * torch.log10(ref.pow(2).sum() / (out.float() - ref).pow(2).sum()))

def interleaved(fns:dict, rounds:int):
    "Times of every function, one call each per round (after one warm-up call each): {name: [seconds...]}, and the last outputs."
    outs = {k: f() for k, f in fns.items()}
    ts = {k: [] for k in fns}
    for _ in range(rounds):
        for k, f in fns.items():
            t0 = time.perf_counter(); outs[k] = f(); ts[k].append(time.perf_counter() - t0)
    return ts, outs

def stats(v): return dict(median=float(np.median(v)), min=float(min(v)), max=float(max(v)), all=[float(x) for x in v])

res = {}
def save():
    "Write this run's parts; a one-part run keeps the other part's section (re-read now: parts may run at once)."
    old = json.loads(Path(a.out).read_text()) if Path(a.out).is_file() and a.part != 'all' else {}
    Path(a.out).write_text(json.dumps({**old, **res}, indent=1) + '\n')

def one_step():
    "1. one denoising step of the sc09 preset: the inference paths vs the training form."
    model = DiffWave(DiffWaveConfig.preset('sc09'))
    with torch.no_grad():
        for p in model.out2.parameters(): p.normal_(0, 0.01)   # a non-zero output layer, as after training
    dt = inference_dtype()
    dname = str(dt).removeprefix('torch.').replace('bfloat16', 'bf16').replace('float32', 'fp32')
    folded, fast32, fastd = inference_copy(model), FastDiffWave(model, torch.float32), FastDiffWave(model, dt)
    x, t = torch.randn(1, 1, 16000), torch.tensor([100.])
    def baseline():
        with torch.no_grad(): return model(x, t)
    def run(m):
        def f():
            with torch.inference_mode(): return m(x, t)
        return f
    base, default = 'baseline (weight norm, fp32)', f'default (FastDiffWave, {dname})'
    fns = {base: baseline, 'folded (fp32)': run(folded), 'FastDiffWave fp32': run(fast32), default: run(fastd)}
    ts, outs = interleaved(fns, a.rounds)
    step = dict(rounds=a.rounds, load=os.getloadavg()[0], default_dtype=dname, baseline_median=float(np.median(ts[base])),
                times={k: stats(v) for k, v in ts.items()}, snr_db={k: snr(outs[k], outs[base]) for k in fns if k != base})
    for k, v in step['times'].items():
        print(f"sc09 step {k:30s} {v['median']:.2f} s [{v['min']:.2f}-{v['max']:.2f}] {step['baseline_median'] / v['median']:.2f}x"
              + (f" SNR {step['snr_db'][k]:.1f} dB" if k in step['snr_db'] else ''), flush=True)
    return step

def end_to_end():
    "2. the 6-step fast schedule vs T = 200 DDPM steps, end to end, with the default inference path."
    cfg = DiffWaveConfig.preset(a.e2e, sample_rate=16000, length=16000, diffusion=DiffusionConfig.presets['diffwave_sc09'])
    net = DiffWave(cfg)
    with torch.no_grad():
        for p in net.out2.parameters(): p.normal_(0, 0.01)
    gen, dname = net.generator(), str(inference_dtype()).removeprefix('torch.').replace('bfloat16', 'bf16').replace('float32', 'fp32')
    fast = lambda: gen.generate(n=1, seed=0, sampler='fast')
    with torch.inference_mode():
        w = fast(); tf, tfull, cf, cfull = [], [], [], []   # wall and process CPU times (CPU time is robust to the shared machine's load)
        for i in range(a.e2e_rounds):      # fast, full, fast, fast: the long run interleaved with the short ones
            t0, c0 = time.perf_counter(), time.process_time(); w = fast(); tf.append(time.perf_counter() - t0); cf.append(time.process_time() - c0)
            if i == 0:
                t0, c0 = time.perf_counter(), time.process_time(); gen.generate(n=1, seed=0, sampler='ddpm')
                tfull.append(time.perf_counter() - t0); cfull.append(time.process_time() - c0)
        w32 = net.generator(bf16=False).generate(n=1, seed=0, sampler='fast')
    f, F_ = float(np.median(tf)), float(np.median(tfull))
    e2e = dict(preset=a.e2e, params=sum(p.numel() for p in net.parameters()), dtype=dname, T=cfg.diffusion.T, rounds=a.e2e_rounds,
               fast_s=f, full_s=F_, ratio=F_ / f, fast=stats(tf), full=stats(tfull), load=os.getloadavg()[0], snr_db_bf16_vs_fp32=snr(w, w32),
               fast_cpu_s=float(np.median(cf)), full_cpu_s=float(np.median(cfull)), cpu_ratio=float(np.median(cfull) / np.median(cf)))
    print(f"end to end {a.e2e} ({e2e['params']:,} parameters, {dname}): 6-step fast {f:.2f} s, T = {cfg.diffusion.T} DDPM {F_:.1f} s "
          f"-> {F_ / f:.1f}x (target >= 30x); fast waves bf16 vs fp32 SNR {e2e['snr_db_bf16_vs_fp32']:.1f} dB", flush=True)
    return e2e

if a.part in ('all', 'step'): res['step'] = one_step(); save()
if a.part in ('all', 'e2e'): res['end_to_end'] = end_to_end(); save()
