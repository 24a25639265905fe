"""Time SpecVQGAN's GPT prior sampled with the KV cache against the reference's full recompute, in one process.

The `vggsound` preset (24 layers, width 1024, 306.8M parameters with 5 feature frames; `--frames 212`:
307.0M, context 477), random weights (minGPT's initialisation, seed 0), one random feature condition.
- cache: `SpecGPT.sample(method='cache')`, the whole 265-token grid.
- full: `method='full'`, the reference's loop (the whole prefix is re-run for every token).
  By default it also samples the whole grid; `--full-tokens K` stops it after K tokens and
  extrapolates the rest from per-token costs measured at several prefix lengths (printed as such).
Both use the same seed; the tokens both sampled are checked equal.

    python bench/transformer.py                    # 5 frames, whole grid both ways
    python bench/transformer.py --frames 212       # the 212-frame model
    python bench/transformer.py --full-tokens 40   # shorter full-recompute run + extrapolation
"""
import argparse, os, time
os.environ.setdefault('OMP_NUM_THREADS', '1'); os.environ.setdefault('MKL_NUM_THREADS', '1')
import torch
from foleybook.priors.transformer import SpecGPT, GPTConfig

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument('--frames', type=int, default=5, help='feature frames (5 or 212)')
p.add_argument('--n', type=int, default=1, help='grids sampled at once')
p.add_argument('--top-k', type=int, default=100, help='top-k of both samplers (reference default 100)')
p.add_argument('--full-tokens', type=int, default=None,
               help='stop the full recompute after this many tokens and extrapolate')
a = p.parse_args()

torch.manual_seed(0)
cfg = GPTConfig.preset('vggsound', feat_frames=a.frames)
model = SpecGPT(cfg).eval()
n_par = sum(q.numel() for q in model.parameters())
feats = torch.randn(a.frames, cfg.feat_dim)
S = cfg.n_tokens
def cpu_info() -> str:
    "The CPU model and the vector / matrix units that matter for fp32 and bf16 speed (Linux /proc/cpuinfo)."
    try: lines = open('/proc/cpuinfo').read().splitlines()
    except OSError: return 'unknown CPU'
    model = next((l.split(':', 1)[1].strip() for l in lines if l.startswith('model name')), 'unknown CPU')
    flags = set(next((l.split(':', 1)[1].split() for l in lines if l.startswith('flags')), []))
    return model + ': ' + ', '.join(f"{f} {'yes' if f in flags else 'no'}" for f in ('avx2', 'avx512f', 'amx_bf16'))

print(f"CPU {cpu_info()}; fp32 weights and activations throughout")
print(f"SpecGPT vggsound, {a.frames} feature frames: {n_par:,} parameters, context {cfg.block_size}, "
      f"{S} tokens, batch {a.n}, top-k {a.top_k}, torch threads {torch.get_num_threads()}")

t, c = time.perf_counter(), time.process_time()
cached = model.sample(feats, a.n, seed=1, top_k=a.top_k)
t_cache, c_cache = time.perf_counter() - t, time.process_time() - c
print(f"cache: {t_cache:.1f} s per {a.n} grid(s) ({t_cache / S * 1000:.0f} ms/token); CPU {c_cache:.1f} s")

K = S if a.full_tokens is None else min(a.full_tokens, S)
t, c = time.perf_counter(), time.process_time()
full = model.sample(feats, a.n, seed=1, top_k=a.top_k, method='full', max_tokens=K)
t_full_k, c_full_k = time.perf_counter() - t, time.process_time() - c
same = torch.equal(full.transpose(1, 2).reshape(a.n, -1)[:, :K], cached.transpose(1, 2).reshape(a.n, -1)[:, :K])
print(f"full recompute, first {K} tokens: {t_full_k:.1f} s (CPU {c_full_k:.1f} s); same tokens as cache: {same}")
if K == S: t_full, c_full, how = t_full_k, c_full_k, 'measured'
else:
    # the per-token cost of the reference loop at prefix length L is one forward pass over cond + L tokens
    with torch.no_grad():
        def step_cost(L):
            seq = torch.zeros(a.n, L, dtype=torch.long)
            emb = torch.cat([model.cond_embed(feats, a.n), model.tok_emb(seq)], 1)
            ts = []
            for _ in range(2):
                t0, c0 = time.perf_counter(), time.process_time(); model.head(model.hidden(emb)[:, -1])
                ts.append((time.perf_counter() - t0, time.process_time() - c0))
            return min(ts)
        pts = sorted({0, S // 4, S // 2, 3 * S // 4, S - 1})
        costs = {L: step_cost(L) for L in pts}
        for L, (w, c) in costs.items(): print(f"  full recompute, prefix {L:3d}: {w:.3f} s/token (CPU {c:.3f} s)")
        import numpy as np
        t_full = float(np.interp(np.arange(S), pts, [costs[L][0] for L in pts]).sum())
        c_full = float(np.interp(np.arange(S), pts, [costs[L][1] for L in pts]).sum())
    how = f'extrapolated from {K} real tokens + per-token costs'
print(f"full recompute, whole grid: {t_full:.1f} s ({how}); CPU {c_full:.1f} s")
print(f"speed-up of the KV cache: {t_full / t_cache:.1f}x per sample (wall); {c_full / c_cache:.1f}x (process CPU "
      f"time)")
