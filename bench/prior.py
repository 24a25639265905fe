"""Time PixelSNAIL's two samplers on the DCASE 2023 code-map shape (20 x 86, 512 codes), in one run.

- fast: the exact incremental sampler (`method='fast'`), run for the whole map (or `--fast-steps` codes, scaled).
- naive: foleybook's plain loop (`method='naive'`: for each code, run the network on rows 0..r), the work
  the DCASE baseline's inference.py loop does (not the baseline's code). It is far too slow to run whole on
  a CPU, so its per-code cost is measured at a few rows (one forward pass over rows 0..r each) and
  interpolated over the 20 rows (`foleybook.priors.pixelsnail_train.time_samplers`).
Both samplers start from the same seed, and the codes of their first steps are checked equal.

    python bench/prior.py                          # the baseline's network (97M parameters)
    python bench/prior.py --preset dcase2023_cond  # the better-conditioned variant
    python bench/prior.py --channels 128           # a narrower model (channels = res_channels = 128)
"""
import argparse, os
os.environ.setdefault('OMP_NUM_THREADS', '1'); os.environ.setdefault('MKL_NUM_THREADS', '1')
import torch
from foleybook.pretrained import n_params
from foleybook.priors.pixelsnail import PixelSNAIL, PixelSNAILConfig
from foleybook.priors.pixelsnail_train import time_samplers

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument('--preset', default='dcase2023', choices=['dcase2023', 'dcase2023_cond'])
p.add_argument('--channels', type=int, default=None, help='narrower model: channels = res_channels = cond_channels')
p.add_argument('--n', type=int, default=1, help='code maps sampled at once')
p.add_argument('--rows', type=int, nargs='+', default=[0, 5, 10, 15, 19],
               help='rows where the naive per-code cost is measured')
p.add_argument('--fast-steps', type=int, default=None,
               help='time the fast sampler on this many codes and scale (default: the whole map)')
a = p.parse_args()

torch.manual_seed(0)
over = {} if a.channels is None else dict(channels=a.channels, res_channels=a.channels, cond_channels=a.channels)
model = PixelSNAIL(PixelSNAILConfig.preset(a.preset, **over)).eval()
print(f"PixelSNAIL {a.preset}{' (channels %d)' % a.channels if a.channels else ''}: {n_params(model):,} parameters, "
      f"20x86 codes, batch {a.n}, torch threads {torch.get_num_threads()}")
r = time_samplers(model, 0, a.n, naive_rows=a.rows, fast_steps=a.fast_steps)
print(f"fast sampler: {r['fast']:.0f} s per map; naive loop (interpolated from rows {a.rows}): {r['naive']:.0f} s = "
      f"{r['naive']/60:.0f} min; "
      f"speed-up {r['speedup']:.1f}x; same codes on the first steps: {r['same_codes']}")
