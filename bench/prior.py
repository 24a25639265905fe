"""Time PixelSNAIL's two samplers on the DCASE 2023 code-map shape (20 x 86, 512 codes), in one run.

- fast: the exact incremental sampler (`method='fast'`), run for the whole map.
- naive: the reference loop (`method='naive'`: for each code, run the network on rows 0..r).
  It is far too slow to run whole on a CPU, so the real loop runs on the first `--naive-steps`
  codes (row 0), and the per-code cost of row r (a forward pass over rows 0..r, exactly the loop's
  work) is measured at a few rows and interpolated; the total is 86 x the sum over the 20 rows.
Both samplers start from the same seed, and the codes of the steps both ran are checked equal.

    python bench/prior.py                 # full size (104M parameters)
    python bench/prior.py --channels 128  # a narrower model (channels = res_channels = 128)
"""
import argparse, os, time
os.environ.setdefault('OMP_NUM_THREADS', '1'); os.environ.setdefault('MKL_NUM_THREADS', '1')
import torch
from foleybook.priors.pixelsnail import PixelSNAIL, PixelSNAILConfig, frozen_weights

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument('--channels', type=int, default=None, help='narrower model: channels = res_channels = cond_channels')
p.add_argument('--n', type=int, default=1, help='code maps sampled at once')
p.add_argument('--naive-steps', type=int, default=8, help='codes the real naive loop samples')
p.add_argument('--rows', type=int, nargs='+', default=[0, 5, 10, 15, 19], help='rows where the naive per-code cost is measured')
p.add_argument('--fast-steps', type=int, default=None, help='stop the fast sampler early (default: the whole map)')
a = p.parse_args()

torch.manual_seed(0)
over = {} if a.channels is None else dict(channels=a.channels, res_channels=a.channels, cond_channels=a.channels)
cfg = PixelSNAILConfig.preset('dcase2023', **over)
model = PixelSNAIL(cfg).eval()
H, W = cfg.height, cfg.width
n_par = sum(q.numel() for q in model.parameters())
print(f"PixelSNAIL dcase2023{' (channels %d)' % a.channels if a.channels else ''}: {n_par/1e6:.1f}M parameters, "
      f"{H}x{W} codes, batch {a.n}, torch threads {torch.get_num_threads()}")

# the real naive loop and the fast sampler on the first steps: same seed, same codes
t = time.perf_counter(); naive = model.sample(0, a.n, seed=1, method='naive', max_steps=a.naive_steps); t_naive_loop = time.perf_counter() - t
fast_part = model.sample(0, a.n, seed=1, method='fast', max_steps=a.naive_steps)
same = torch.equal(naive, fast_part)
print(f"naive loop, first {a.naive_steps} codes: {t_naive_loop:.2f} s ({t_naive_loop/a.naive_steps:.3f} s/code); same codes as fast: {same}")

# naive per-code cost at several rows (one forward over rows 0..r, as in the loop), interpolated over all rows
codes = torch.randint(0, cfg.n_codes, (a.n, H, W))
per_row = {}
with torch.no_grad(), frozen_weights(model):
    cm = model.cond_map(0, a.n)
    for r in a.rows:
        ts = []
        for _ in range(2):
            t = time.perf_counter(); model(codes[:, :r+1], cond_map=cm)[:, :, r, 0].softmax(-1); ts.append(time.perf_counter() - t)
        per_row[r] = min(ts)
        print(f"  naive, row {r:2d}: {per_row[r]:.3f} s/code")
rs = sorted(per_row)
def cost(r):
    if r <= rs[0]: return per_row[rs[0]]
    if r >= rs[-1]: return per_row[rs[-1]]
    lo = max(x for x in rs if x <= r); hi = min(x for x in rs if x >= r)
    return per_row[lo] if lo == hi else per_row[lo] + (per_row[hi] - per_row[lo]) * (r - lo) / (hi - lo)
t_naive = W * sum(cost(r) for r in range(H))
print(f"naive loop, whole map (extrapolated): {t_naive:.0f} s = {t_naive/60:.1f} min")

# the fast sampler
steps = H * W if a.fast_steps is None else a.fast_steps
t = time.perf_counter(); model.sample(0, a.n, seed=1, method='fast', max_steps=steps); t_fast = time.perf_counter() - t
t_fast_total = t_fast * H * W / steps
print(f"fast sampler, {steps} codes: {t_fast:.1f} s ({t_fast/steps*1000:.1f} ms/code)"
      + ("" if steps == H * W else f"; whole map (extrapolated): {t_fast_total:.0f} s"))
print(f"speed-up fast vs naive, whole map: {t_naive / t_fast_total:.1f}x (target >= 5x); "
      f"on row 0 alone (naive's cheapest row): {per_row[rs[0]] / (t_fast/steps):.1f}x")
