"""Speed of the S4D kernel and of a SaShiMi training step: the two-level Vandermonde product against the plain one.

Baseline: `S4D.kernel_direct`, the plain product the reference S4D code computes (one complex exponential per
mode, channel and lag, then an einsum). Against it: `S4D.kernel` (lag l = aB + b: two small tables of powers and
one batched real matrix product). Measured in one process, interleaved rounds, medians of process CPU time (the
machine may be shared), one thread:
1. The kernel, forward and backward, at the shapes of the `sc09` SaShiMi's three stages for 1 s at 16 kHz
   (H = 128, 256, 512 channels; L = 16000, 4000, 1000; N = 64), with the largest relative difference.
2. One training step (loss, backward, Adam) of a SaShiMi on 1 s at 16 kHz, batch 4: `--preset sc09_small` by
   default (`sc09` takes minutes a step here), with every layer's kernel computed either way.
Writes nbs/results/sashimi_bench.json.
Run: OMP_NUM_THREADS=1 python bench/sashimi.py [--rounds 3] [--preset sc09_small]
"""
import argparse, json, time
from pathlib import Path
import numpy as np, torch
from foleybook.diffusion.sashimi import S4D, Sashimi, SashimiConfig

ap = argparse.ArgumentParser()
ap.add_argument('--rounds', type=int, default=3)
ap.add_argument('--preset', default='sc09_small')
ap.add_argument('--out', default=str(Path(__file__).parent.parent/'nbs'/'results'/'sashimi_bench.json'))
a = ap.parse_args()
torch.set_num_threads(1)

def interleaved(fns, rounds):
    "Median process CPU seconds of each function, one call each per round after a warm-up call each."
    for f in fns.values(): f()
    cs = {k: [] for k in fns}
    for _ in range(rounds):
        for k, f in fns.items():
            c0 = time.process_time(); f(); cs[k].append(time.process_time() - c0)
    return {k: float(np.median(v)) for k, v in cs.items()}

def with_kernel(layer, direct):
    "Forward + backward of `layer`'s kernel computed either way."
    def run():
        layer.zero_grad(); K = (layer.kernel_direct if direct else layer.kernel)(run.L); K.square().sum().backward()
    return run

res = dict(cpu=torch.backends.cpu.get_cpu_capability(), threads=1, kernel=[], step={})
torch.manual_seed(0)
for H, L in [(128, 16000), (256, 4000), (512, 1000)]:
    layer = S4D(H, 64)
    fd, ff = with_kernel(layer, True), with_kernel(layer, False); fd.L = ff.L = L
    t = interleaved({'direct': fd, 'two_level': ff}, a.rounds)
    with torch.no_grad(): kd, kf = layer.kernel_direct(L), layer.kernel(L)
    row = dict(H=H, L=L, N=64, direct_s=t['direct'], two_level_s=t['two_level'], speedup=t['direct'] / t['two_level'],
               max_rel_diff=float((kd - kf).abs().max() / kd.abs().max()))
    res['kernel'].append(row); print(json.dumps(row), flush=True)

c = SashimiConfig.preset(a.preset)
model = Sashimi(c); opt = torch.optim.Adam(model.parameters(), 2e-4)
wave = torch.randn(4, c.length) * 0.3
_kernel = S4D.kernel
def step(direct):
    "One training step with every layer's kernel computed the plain way (`direct`) or by the two-level product."
    def run():
        S4D.kernel = S4D.kernel_direct if direct else _kernel   # `S4D.ssm` calls `self.kernel`
        try: opt.zero_grad(); model.loss(wave).backward(); opt.step()
        finally: S4D.kernel = _kernel
    return run
t = interleaved({'direct': step(True), 'two_level': step(False)}, a.rounds)
res['step'] = dict(preset=a.preset, params=sum(p.numel() for p in model.parameters()), batch=4, length=c.length,
                   direct_s=t['direct'], two_level_s=t['two_level'], speedup=t['direct'] / t['two_level'])
print(json.dumps(res['step']), flush=True)
tmp = Path(a.out).with_suffix('.tmp'); tmp.write_text(json.dumps(res, indent=1) + '\n'); tmp.replace(a.out)
