"""Speed of the S4D kernel and of a SaShiMi training step: the two-level Vandermonde product against the plain one.

Baseline: `S4D.kernel_direct`, the plain product the reference S4D code computes (one complex exponential per
mode, channel and lag, then an einsum). Against it: `S4D.kernel` (lag l = aB + b: two small tables of powers and
one batched real matrix product). Measured in one process, interleaved rounds, medians of process CPU time (the
machine may be shared), one thread:
1. The kernel, forward and backward, at the shapes of the `sc09` SaShiMi's three stages for 1 s at 16 kHz
   (H = 128, 256, 512 channels; L = 16000, 4000, 1000; N = 64), with the largest relative difference.
2. One training step (loss, backward, Adam) of a SaShiMi on 1 s at 16 kHz, batch 4: `--preset sc09_small` by
   default (`sc09` takes minutes a step here), in three forms: `plain` (the plain kernel, two FFT convolutions a
   layer with the backward one on the flipped input, ChannelNorm by torch.std_mean: the straightforward forms),
   `two_level_kernel` (only the kernel changed) and `current` (all three changes, the default), with the largest
   relative difference of the model's output to the plain form's.
Writes nbs/results/sashimi_bench.json.
Run: OMP_NUM_THREADS=1 python bench/sashimi.py [--rounds 3] [--preset sc09_small]
"""
import argparse, json, time
from pathlib import Path
import numpy as np, torch
import torch.nn.functional as F
from foleybook.diffusion.sashimi import S4D, Sashimi, SashimiConfig, ChannelNorm

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
# a non-zero output layer, so that the forms' outputs can be compared
torch.nn.init.normal_(model.out2.weight, std=0.1)
wave = torch.randn(4, c.length) * 0.3
def ssm_two_transforms(self, u):
    "The layer's map as two FFT convolutions, the backward one on the flipped input (the straightforward form)."
    L = u.shape[-1]; u = u.float(); K = self.kernel(L)
    conv = lambda x, k: torch.fft.irfft(torch.fft.rfft(x, n=2 * L) * torch.fft.rfft(k, n=2 * L), n=2 * L)[..., :L]
    ys = [conv(u, K[0])] + ([conv(u.flip(-1), F.pad(K[1], (1, 0))[..., :L]).flip(-1)] if self.k == 2 else [])
    return torch.cat([y + self.D[:, None] * u for y in ys], 1)

def norm_std_mean(self, x):
    "ChannelNorm with torch.std_mean over the channels (the straightforward form)."
    s, m = torch.std_mean(x, dim=1, unbiased=False, keepdim=True)
    return self.s / s * (x - m + self.m)

FORMS = {   # name -> (kernel, ssm, norm): the plain forms, then one change at a time, then all of them (the default)
    'plain': (S4D.kernel_direct, ssm_two_transforms, norm_std_mean),
    'two_level_kernel': (S4D.kernel, ssm_two_transforms, norm_std_mean),
    'current': (S4D.kernel, S4D.ssm, ChannelNorm.forward)}
_now = (S4D.kernel, S4D.ssm, ChannelNorm.forward)
def step(form):
    "One training step with the layers computed in `form`."
    def run():
        S4D.kernel, S4D.ssm, ChannelNorm.forward = FORMS[form]
        try: opt.zero_grad(); model.loss(wave).backward(); opt.step()
        finally: S4D.kernel, S4D.ssm, ChannelNorm.forward = _now
    return run
with torch.no_grad():   # the three forms compute the same function
    outs = {}
    for f in FORMS:
        S4D.kernel, S4D.ssm, ChannelNorm.forward = FORMS[f]
        torch.manual_seed(1); outs[f] = model(wave[:, None] * 0.5 + 0.1, torch.tensor([3., 10, 20, 40]))
    S4D.kernel, S4D.ssm, ChannelNorm.forward = _now
t = interleaved({f: step(f) for f in FORMS}, a.rounds)
res['step'] = dict(preset=a.preset, params=sum(p.numel() for p in model.parameters()), batch=4, length=c.length,
                   seconds=t, speedup={f: t['plain'] / t[f] for f in FORMS},
                   max_rel_diff={f: float((outs[f] - outs['plain']).abs().max() / outs['plain'].abs().max())
                                 for f in FORMS})
print(json.dumps(res['step']), flush=True)
tmp = Path(a.out).with_suffix('.tmp'); tmp.write_text(json.dumps(res, indent=1) + '\n'); tmp.replace(a.out)
