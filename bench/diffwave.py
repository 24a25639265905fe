"""Speed of DiffWave's inference path and fast sampler, as ratios measured in one process.

1. One denoising step of 1 s at 16 kHz with the `sc09` preset (24.1M parameters), batch 1:
   baseline = the training-form model (weight norm, fp32, no_grad), as the reference runs it;
   vs weight norm folded (inference_copy) with bf16 autocast, and vs the inference path `FastDiffWave`
   (folded, time-major matrix products, torch.inference_mode) in fp32 and bf16.
   Target: inference path >= 1.2x the baseline.
2. End to end, 1 s at 16 kHz: DiffWave's 6-step fast schedule vs T = 200 ancestral (DDPM) steps.
   Target >= 30x. By default on a narrow model (`debug` widths, so T = 200 steps take seconds, not
   the ~20 minutes of `sc09` on this CPU); `--full` runs it on `sc09`.
Run: OMP_NUM_THREADS=1 python bench/diffwave.py [--full]
"""
import sys, time
import torch
from foleybook.diffusion.core import DiffusionConfig
from foleybook.diffusion.diffwave import DiffWave, DiffWaveConfig, FastDiffWave
from foleybook.vocoders.base import inference_copy

torch.set_num_threads(1)
torch.manual_seed(0)

def best(fn, reps):
    "Best wall time of `reps` calls after one warm-up call (reps=0: the time of a single call)."
    if reps == 0:
        t0 = time.perf_counter(); fn(); return time.perf_counter() - t0
    fn(); ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); fn(); ts.append(time.perf_counter() - t0)
    return min(ts)

# 1. one step, sc09
model = DiffWave(DiffWaveConfig.preset('sc09'))
with torch.no_grad():
    for p in model.out2.parameters(): p.normal_(0, 0.01)   # a non-zero output layer, as after training
folded = inference_copy(model)
fast32, fast16 = FastDiffWave(model), FastDiffWave(model, torch.bfloat16)
x, t = torch.randn(1, 1, 16000), torch.tensor([100.])
def baseline():
    with torch.no_grad(): return model(x, t)
def folded_autocast():
    with torch.inference_mode(), torch.autocast('cpu', dtype=torch.bfloat16): return folded(x, t)
def run(m):
    def f():
        with torch.inference_mode(): return m(x, t)
    return f
reps = 2
tb = best(baseline, reps)
ta = best(folded_autocast, reps)
t32 = best(run(fast32), reps)
t16 = best(run(fast16), reps)
print(f"sc09 one step, 1 s at 16 kHz, 1 thread: training form {tb:.2f} s; folded + bf16 autocast {ta:.2f} s ({tb/ta:.2f}x); "
      f"FastDiffWave fp32 {t32:.2f} s ({tb/t32:.2f}x); FastDiffWave bf16 {t16:.2f} s ({tb/t16:.2f}x); target >= 1.2x")
with torch.inference_mode():
    ref = baseline(); e32 = (run(fast32)() - ref).abs().max().item(); e16 = (run(fast16)() - ref).abs().max().item()
print(f"  max |difference| to the baseline output: fp32 {e32:.1e}, bf16 {e16:.1e} (output scale {ref.abs().max().item():.2f})")
del model, folded, fast32, fast16

# 2. end to end: fast schedule vs T = 200
preset = 'sc09' if '--full' in sys.argv else 'debug'
cfg = DiffWaveConfig.preset(preset, sample_rate=16000, length=16000, diffusion=DiffusionConfig.presets['diffwave_sc09'])
net = DiffWave(cfg)
gen = net.generator()
r = 0 if preset == 'sc09' else 3
t_fast = best(lambda: gen.generate(n=1, seed=0, sampler='fast'), r)
t_full = best(lambda: gen.generate(n=1, seed=0, sampler='ddpm'), r)
print(f"end to end, 1 s at 16 kHz ({preset} widths, {sum(p.numel() for p in net.parameters()):,} parameters): "
      f"6-step fast schedule {t_fast:.3f} s ({t_fast/6*1e3:.1f} ms/step), T = 200 DDPM {t_full:.2f} s ({t_full/200*1e3:.1f} ms/step) "
      f"-> {t_full/t_fast:.1f}x (target >= 30x)")
