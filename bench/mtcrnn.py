"""Time 1 s of tier-1 MTCRNN audio (16,000 steps, the published size: GRU 3 x 800, 256 mu-law classes, 13 MFCCs)
generated several ways in one process, interleaved in chunks (naive, fast, fast fp16, fast int8, naive, ...); the
speed-up is
the median over chunks of naive / method:

- naive: the straightforward loop, `nn.GRU` (and the input layers and head) called on one sample at a time (fp32,
eager);
- fast: `FastGRUStep`, the fused step (d2h folded into layer 0, W_hh_l and W_ih_{l+1} stacked into one product per
  layer, preallocated buffers, in-place gates, `inference_mode`), fp32;
- fast fp16: the same step with the recurrent and output matrices stored in fp16 (fbgemm's fp16 linear: AVX2 + F16C,
  fp32 arithmetic): half the bytes read per step (the step is memory-bound: ~38 MB of fp32 weights > the L3);
- fast int8: the same with int8 per-channel weights (fbgemm dynamic quantization, AVX2): a quarter of the bytes;
- fast bf16: bf16 matrices through oneDNN, only where the CPU has bf16 units (AMX / AVX512-bf16).

All draw with the same sampler (`Head.sample`); fp32 fast vs naive logits are compared along the same path (exact), and
each lossy step vs fp32 by SNR, argmax agreement and the L1 distance of the probabilities (teacher-forced on the fp32
path). Prints the real-time factor
(seconds of compute per second of audio) and writes a JSON summary with --json.

    nice -n 10 python bench/mtcrnn.py                     # 1 s in 100 chunks of 160 steps (several minutes under load)
    python bench/mtcrnn.py --seconds 0.1 --chunks 4       # a quick look
"""
import argparse, json, os, time
os.environ.setdefault('OMP_NUM_THREADS', '1'); os.environ.setdefault('MKL_NUM_THREADS', '1')
import numpy as np, torch
from foleybook.systems.mtcrnn.tiers import Tier, TierConfig
from foleybook.systems.mtcrnn.generate import FastGRUStep

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument('--seconds', type=float, default=1.)
p.add_argument('--chunks', type=int, default=100, help='interleaving: each method runs this many chunks in turn')
p.add_argument('--hidden', type=int, default=None, help='GRU width (default: the published 800)')
p.add_argument('--json', default=None, help='write the summary here')
a = p.parse_args()

torch.manual_seed(0)
cfg = TierConfig.preset('tier1', **({'hidden': a.hidden} if a.hidden else {}))
tier = Tier(cfg).eval()
T = int(round(a.seconds * cfg.rate)); L = T // a.chunks
cond = tier.norm_cond(torch.randn(1, T, cfg.n_cond))

class Naive:
    "The loop calling `tier.roll` (input MLP, nn.GRU, head) on one step at a time."
    def __init__(self): self.state, self.prev, self.g = None, torch.full((1,), 128), torch.Generator().manual_seed(0)
    def step(self, t):
        o, self.state = tier.roll(self.prev[:, None], cond[:, t:t + 1], self.state)
        return o[:, 0]

class Fast:
    def __init__(self, dtype):
        self.fs = FastGRUStep(tier, 1, dtype); self.ct = self.fs.cond_terms(cond)
        self.prev, self.g = torch.full((1,), 128), torch.Generator().manual_seed(0)
    def step(self, t): return self.fs.step(self.prev, self.ct[:, t])

lossy = {'fast_fp16': torch.float16, 'fast_int8': torch.qint8}
if torch.ops.mkldnn._is_mkldnn_bf16_supported(): lossy['fast_bf16'] = torch.bfloat16
runs = {'naive': Naive(), 'fast': Fast(torch.float32), **{k: Fast(d) for k, d in lossy.items()}}
# CPU seconds of this thread per step (the machine is shared: waiting for a core is not counted)
times = {k: [] for k in runs}
walls = {k: [] for k in runs}    # wall seconds per step, for reference
with torch.inference_mode():
    # agreement along one path: every method is fed the classes that fp32 naive draws
    ref, fp, lo = Naive(), Fast(torch.float32), {k: Fast(d) for k, d in lossy.items()}
    lr, lf, ll = [], [], {k: [] for k in lo}
    for t in range(min(400, T)):
        o = ref.step(t).clone(); lr.append(o); lf.append(fp.step(t).clone())
        for k, r in lo.items(): ll[k].append(r.step(t).clone())
        ref.prev = fp.prev = tier.head.sample(o, 1., None, ref.g)
        for r in lo.values(): r.prev = ref.prev
    lr, lf = torch.cat(lr), torch.cat(lf)
    snr = lambda x, y: float(10 * torch.log10(x.pow(2).sum() / (x - y).pow(2).sum()))
    agree = {'fast_max_abs_diff': float((lr - lf).abs().max()),
             'fast_argmax_agree': float((lr.argmax(1) == lf.argmax(1)).float().mean())}
    for k, v in ll.items():
        v = torch.cat(v)
        agree.update({f'{k}_snr_db': snr(lf, v),
                      f'{k}_argmax_agree': float((lf.argmax(1) == v.argmax(1)).float().mean()),
                      f'{k}_prob_l1': float((lf.softmax(1) - v.softmax(1)).abs().sum(1).mean())})
    # timing: chunks of L steps, the methods in turn
    for c in range(a.chunks):
        for k, r in runs.items():
            t0, w0 = time.thread_time(), time.perf_counter()
            for t in range(c * L, (c + 1) * L): r.prev = tier.head.sample(r.step(t), 1., None, r.g)
            times[k].append((time.thread_time() - t0) / L); walls[k].append((time.perf_counter() - w0) / L)

def cpu_info():
    "CPU model, the instruction-set features that matter here, and the L3 size (Linux)."
    info = {}
    try:
        txt = open('/proc/cpuinfo').read()
        info['model'] = next(l.split(':', 1)[1].strip() for l in txt.splitlines() if l.startswith('model name'))
        flags = set(next(l.split(':', 1)[1].split() for l in txt.splitlines() if l.startswith('flags')))
        info['features'] = sorted(f for f in flags if f in ('avx', 'avx2', 'fma', 'f16c', 'avx512f', 'avx512_bf16',
                                                            'avx512_vnni', 'avx_vnni', 'amx_bf16', 'amx_int8',
                                                            'amx_tile'))
    except (OSError, StopIteration): pass
    try: info['l3'] = open('/sys/devices/system/cpu/cpu0/cache/index3/size').read().strip()
    except OSError: pass
    info['bf16_units'] = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported()); info['torch'] = torch.__version__
    return info

others = [k for k in runs if k != 'naive']
ratios = {k: [x / y for x, y in zip(times['naive'], times[k])] for k in others}
med = {k: float(np.median(v)) for k, v in times.items()}
out = dict(cpu=cpu_info(), hidden=cfg.hidden, n_layers=cfg.n_layers, rate=cfg.rate, steps=L * a.chunks, chunks=a.chunks,
           threads=torch.get_num_threads(),
           us_per_step={k: round(v * 1e6, 1) for k, v in med.items()},
           wall_us_per_step={k: round(float(np.median(v)) * 1e6, 1) for k, v in walls.items()},
           wall_speedup={k: round(float(np.median([x / y for x,
                                                   y in zip(walls['naive'], walls[k])])), 3) for k in others},
           us_per_step_range={k: [round(min(v) * 1e6, 1), round(max(v) * 1e6, 1)] for k, v in times.items()},
           rtf={k: round(v * cfg.rate, 3) for k, v in med.items()},
           speedup={k: round(float(np.median(v)), 3) for k, v in ratios.items()},  # median of the per-chunk ratios
           speedup_of_medians={k: round(med['naive'] / med[k], 3) for k in others},
           speedup_quartiles={k: [round(float(q), 3) for q in np.percentile(v, [25, 75])] for k, v in ratios.items()},
           agreement={k: round(v, 6) for k, v in agree.items()})
print(f"tier 1: GRU {cfg.n_layers} x {cfg.hidden}, {cfg.rate:g} Hz, {out['steps']} steps in {a.chunks} interleaved "
      f"chunks, threads {out['threads']}")
print(f"  CPU: {out['cpu']}")
for k in runs:
    print(f"  {k:10s} {out['us_per_step'][k]:8.1f} us/step (chunks {out['us_per_step_range'][k]}), real-time factor "
          f"{out['rtf'][k]:.2f}"
          + (f", {out['speedup'][k]:.2f}x vs naive (median of per-chunk ratios; quartiles "
             f"{out['speedup_quartiles'][k][0]:.2f}-{out['speedup_quartiles'][k][1]:.2f}x)" if k != 'naive' else ''))
print(f"  (CPU time of the thread; wall-clock speed-ups on this shared machine: {out['wall_speedup']})")
print(f"  fp32 fast vs naive logits: max |diff| {agree['fast_max_abs_diff']:.2e}, argmax agree "
      f"{agree['fast_argmax_agree']:.3f}")
for k in lossy:
    print(f"  {k} vs fp32 logits: SNR {agree[k + '_snr_db']:.1f} dB, argmax agree {agree[k + '_argmax_agree']:.3f}, "
          f"mean L1 of probabilities {agree[k + '_prob_l1']:.4f}")
if a.json:
    from pathlib import Path
    Path(a.json).parent.mkdir(parents=True, exist_ok=True); Path(a.json).write_text(json.dumps(out, indent=1))
