"""Speed of DiffWave's inference path and fast sampler, as ratios measured in one process (interleaved rounds, medians).

1. One denoising step of 1 s at 16 kHz with the `sc09` preset (24.0M parameters), batch 1.
   Baseline: the training form (weight norm, fp32, no_grad), as the reference runs it. Against it:
   weight norm folded (`inference_copy`, fp32, inference_mode), `FastDiffWave` in fp32, and the default
   inference path (`fast_diffwave(model)`: the faster of FastDiffWave's fp32 and bf16 forms, measured by
   `foleybook.fastpath` on the machine; fp32 where there are no bf16 kernels).
   Output agreement: SNR (dB) of each output against the baseline's. Target: default path >= 1.2x.
   Wall and process CPU times are both recorded (CPU time is robust to the shared machine's load); the
   CPU model and its AVX2 / AVX-512 / AMX flags are recorded with them: the bf16 path only runs where
   it measured faster (and only devices with bf16 kernels offer it), elsewhere the default is the fp32 path.
1b. (`--part demo`) the same comparison for one step of the diffwave recipe's `demo_wavenet` small class-conditional
model
   (32 channels, 12 layers) on a batch of 20 (10 clips with classifier-free guidance).
2. End to end, 1 s at 16 kHz, the default inference path (`model.generator()`): DiffWave's 6-step fast
   schedule vs T = 200 ancestral (DDPM) steps, on `sc09_small` by default (`--e2e sc09` for the full size,
   `--e2e demo` for the `demo_wavenet` preset's small model: T = 200 then takes seconds instead of many minutes). Target
   >= 30x. Also the SNR of the fast-sampled waves
   in bf16 against fp32 (same seed).
Writes nbs/results/diffwave_bench.json (read by nbs/06b_diffwave.ipynb).
Run: OMP_NUM_THREADS=1 nice -n 10 python bench/diffwave.py [--rounds 3] [--e2e sc09_small] [--e2e-rounds 3] [--part
step|demo|e2e]
"""
import argparse, json, os, platform, time
from pathlib import Path
import numpy as np, torch
from foleybook.diffusion.core import DiffusionConfig
from foleybook.diffusion.diffwave import DiffWave, FastDiffWave, fast_diffwave
from foleybook.diffusion.diffwave_blocks import DiffWaveConfig
from foleybook.vocoders.base import inference_copy

ap = argparse.ArgumentParser()
ap.add_argument('--rounds', type=int, default=3)
ap.add_argument('--e2e', default='sc09_small')
ap.add_argument('--e2e-rounds', type=int, default=3,
                help='rounds of the fast schedule (T = 200 runs once: 200 steps are their own warm-up)')
ap.add_argument('--part', default='all', choices=['all', 'step', 'demo', 'e2e'],
                help='run one part only (its section of the JSON is replaced)')
ap.add_argument('--out', default=str(Path(__file__).parent.parent/'nbs'/'results'/'diffwave_bench.json'))
a = ap.parse_args()
torch.set_num_threads(1)
torch.manual_seed(0)

def snr(out, ref): return float(10 * torch.log10(ref.pow(2).sum() / (out.float() - ref).pow(2).sum()))

def interleaved(fns:dict, rounds:int):
    ("Wall and CPU times of every function, one call each per round (after one warm-up call each): {name: "
     "[seconds...]} twice, and the last outputs.")
    outs = {k: f() for k, f in fns.items()}
    ts, cs = {k: [] for k in fns}, {k: [] for k in fns}
    for _ in range(rounds):
        for k, f in fns.items():
            t0, c0 = time.perf_counter(), time.process_time()
            outs[k] = f(); ts[k].append(time.perf_counter() - t0); cs[k].append(time.process_time() - c0)
    return ts, cs, outs

def cpu_info():
    "The CPU model, its vector / matrix flags and whether oneDNN has bf16 here."
    info = Path('/proc/cpuinfo').read_text() if Path('/proc/cpuinfo').is_file() else ''
    name = next((l.split(':', 1)[1].strip() for l in info.splitlines() if l.startswith('model name')),
                platform.processor())
    flags = next((l.split(':', 1)[1].split() for l in info.splitlines() if l.startswith('flags')), [])
    return dict(model=name,
                flags=[f for f in ('avx2', 'fma', 'avx512f', 'avx512_bf16', 'amx_bf16', 'amx_tile') if f in flags],
                mkldnn_bf16=bool(torch.ops.mkldnn._is_mkldnn_bf16_supported()), threads=torch.get_num_threads(),
                torch=torch.__version__)

def stats(v): return dict(median=float(np.median(v)), min=float(min(v)), max=float(max(v)), all=[float(x) for x in v])

res = {}
def save():
    "Write this run's parts; a one-part run keeps the other part's section (re-read now: parts may run at once)."
    old = json.loads(Path(a.out).read_text()) if Path(a.out).is_file() and a.part != 'all' else {}
    Path(a.out).write_text(json.dumps({**old, **res}, indent=1) + '\n')

def compare(model, x, t, cond, label):
    ("Interleaved rounds of the training form (baseline), its folded copy, FastDiffWave fp32 and the default path "
     "(when it differs).")
    # the default: an AutoPath of the fp32 and bf16 forms where bf16 kernels exist (measured here first)
    fast = fast_diffwave(model)
    with torch.inference_mode(): dname = fast.choose(x, t, cond) if hasattr(fast, 'choose') else 'fp32'
    dt = torch.bfloat16 if dname == 'bf16' else torch.float32
    def baseline():
        with torch.no_grad(): return model(x, t, cond)
    def run(m):
        def f():
            with torch.inference_mode(): return m(x, t, cond)
        return f
    base = 'baseline (weight norm, fp32)'
    fns = {base: baseline, 'folded (fp32)': run(inference_copy(model)),
           'FastDiffWave fp32' + (' (default here)' if dt == torch.float32 else ''): run(FastDiffWave(model,
                                                                                                      torch.float32))}
    if dt != torch.float32: fns[f'default (fast_diffwave: {dname})'] = run(fast)
    ts, cs, outs = interleaved(fns, a.rounds)
    step = dict(cpu=cpu_info(), rounds=a.rounds, load=os.getloadavg()[0], default_dtype=dname,
                baseline_median=float(np.median(ts[base])), baseline_cpu_median=float(np.median(cs[base])),
                times={k: stats(v) for k, v in ts.items()}, cpu_times={k: stats(v) for k, v in cs.items()},
                snr_db={k: snr(outs[k], outs[base]) for k in fns if k != base},
                max_rel_diff={k: float((outs[k].float() - outs[base]).abs().max() / outs[base].abs().max()) for k in fns
                              if k != base})
    for k, v in step['cpu_times'].items():
        print(f"{label} {k:36s} CPU {v['median']:.2f} s [{v['min']:.2f}-{v['max']:.2f}] "
              f"{step['baseline_cpu_median'] / v['median']:.2f}x"
              f" (wall {step['baseline_median'] / step['times'][k]['median']:.2f}x)" + (f" SNR {step['snr_db'][k]:.1f} "
                                                                                        f"dB" if k in step['snr_db']
                                                                                        else ''), flush=True)
    return step

def one_step():
    "1. one denoising step of the sc09 preset: the inference paths vs the training form."
    model = DiffWave(DiffWaveConfig.preset('sc09'))
    with torch.no_grad():
        for p in model.out2.parameters(): p.normal_(0, 0.01)   # a non-zero output layer, as after training
    return compare(model, torch.randn(1, 1, 16000), torch.tensor([100.]), None, 'sc09 step')

def demo_step():
    "1b. one step of the demo_wavenet preset's model on a guided batch of 20."
    from foleybook.systems.diffwave.recipe import RECIPE_PRESETS
    s = RECIPE_PRESETS['demo_wavenet']['train']; ov = dict(s['model']); ov.pop('diffusion')
    model = DiffWave(DiffWaveConfig.preset(s['preset'], **ov, n_classes=7))
    with torch.no_grad():
        for p in model.out2.parameters(): p.normal_(0, 0.01)
    return dict(config=ov, batch=20,
                **compare(model, torch.randn(20, 1, 16000), torch.full((20,), 10.), torch.arange(20) % 8 - 1,
                          'demo step'))

def end_to_end():
    "2. the 6-step fast schedule vs T = 200 DDPM steps, end to end, with the default inference path."
    if a.e2e == 'demo':   # the demo_wavenet preset's small model (unconditional here), T = 200 as sc09
        from foleybook.systems.diffwave.recipe import RECIPE_PRESETS
        s = RECIPE_PRESETS['demo_wavenet']['train']; ov = {k: v for k, v in s['model'].items() if k != 'diffusion'}
        cfg = DiffWaveConfig.preset(s['preset'], **ov, sample_rate=16000, length=16000,
                                    diffusion=DiffusionConfig.presets['diffwave_sc09'])
    else:
        cfg = DiffWaveConfig.preset(a.e2e, sample_rate=16000, length=16000,
                                    diffusion=DiffusionConfig.presets['diffwave_sc09'])
    net = DiffWave(cfg)
    with torch.no_grad():
        for p in net.out2.parameters(): p.normal_(0, 0.01)
    gen = net.generator()
    # the default form is measured (once) on the first step
    with torch.inference_mode(): gen.generate(n=1, seed=0, sampler='fast')
    dname = gen.model.choose(torch.zeros(1, 1, cfg.length), torch.zeros(1)) if hasattr(gen.model, 'choose') else 'fp32'
    fast = lambda: gen.generate(n=1, seed=0, sampler='fast')
    with torch.inference_mode():
        # wall and process CPU times (CPU time is robust to the shared machine's load)
        w = fast(); tf, tfull, cf, cfull = [], [], [], []
        for i in range(a.e2e_rounds):      # fast, full, fast, fast: the long run interleaved with the short ones
            t0, c0 = time.perf_counter(), time.process_time()
            w = fast(); tf.append(time.perf_counter() - t0); cf.append(time.process_time() - c0)
            if i == 0:
                t0, c0 = time.perf_counter(), time.process_time(); gen.generate(n=1, seed=0, sampler='ddpm')
                tfull.append(time.perf_counter() - t0); cfull.append(time.process_time() - c0)
        w32 = net.generator(bf16=False).generate(n=1, seed=0, sampler='fast') if dname != 'fp32' else w
    f, F_ = float(np.median(tf)), float(np.median(tfull))
    e2e = dict(cpu=cpu_info(), preset=a.e2e, params=sum(p.numel() for p in net.parameters()), dtype=dname,
               T=cfg.diffusion.T, rounds=a.e2e_rounds,
               fast_s=f, full_s=F_, ratio=F_ / f, fast=stats(tf), full=stats(tfull), load=os.getloadavg()[0],
               snr_db_bf16_vs_fp32=snr(w, w32) if dname != 'fp32' else None,
               fast_cpu_s=float(np.median(cf)), full_cpu_s=float(np.median(cfull)),
               cpu_ratio=float(np.median(cfull) / np.median(cf)))
    print(f"end to end {a.e2e} ({e2e['params']:,} parameters, {dname}): 6-step fast {f:.2f} s wall / "
          f"{e2e['fast_cpu_s']:.2f} s CPU, "
          f"T = {cfg.diffusion.T} DDPM {F_:.1f} s wall / {e2e['full_cpu_s']:.1f} s CPU -> {F_ / f:.1f}x wall, "
          f"{e2e['cpu_ratio']:.1f}x CPU (target >= 30x)"
          + (f"; fast waves bf16 vs fp32 SNR {e2e['snr_db_bf16_vs_fp32']:.1f} dB" if dname != 'fp32' else ''),
          flush=True)
    return e2e

if a.part in ('all', 'step'): res['step'] = one_step(); save()
if a.part in ('all', 'demo'): res['demo_step'] = demo_step(); save()
if a.part in ('all', 'e2e'): res['end_to_end'] = end_to_end(); save()
