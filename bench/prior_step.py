"""Time one training step of the `demo` recipe's PixelSNAIL with its input convolutions computed two ways, in one run.

- one-hot: convolve the (n, n_codes, H, W) one-hot tensor of the codes (the textbook formulation);
- lookup: `CausalConv2d.from_codes`, one embedding lookup per kernel tap (what the model does).
Both give the same logits (checked here); the step is forward + cross-entropy + backward + Adam.

    python bench/prior_step.py            # the demo prior: 32 channels, 256 codes, batch 4
    python bench/prior_step.py --bs 16 --channels 64
"""
import argparse, os, time
os.environ.setdefault('OMP_NUM_THREADS', '1'); os.environ.setdefault('MKL_NUM_THREADS', '1')
import torch, torch.nn.functional as F
from foleybook.priors.pixelsnail import PixelSNAIL, PixelSNAILConfig
from foleybook.priors.pixelsnail_layers import CausalConv2d
from foleybook.systems.dcase2023.recipe import RECIPE_PRESETS

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument('--bs', type=int, default=RECIPE_PRESETS['demo']['prior']['bs'])
p.add_argument('--channels', type=int, default=None, help='channels = res_channels (default: the demo preset)')
p.add_argument('--steps', type=int, default=10)
a = p.parse_args()

over = dict(RECIPE_PRESETS['demo']['prior']['model'], n_codes=256)
if a.channels: over.update(channels=a.channels, res_channels=a.channels)
cfg = PixelSNAILConfig.preset('dcase2023', **over)
lookup = CausalConv2d.from_codes
def one_hot(self, codes, n_codes): return self(F.one_hot(codes, n_codes).permute(0, 3, 1, 2).to(self.v.dtype))

torch.manual_seed(0)
codes, cond = torch.randint(0, cfg.n_codes, (a.bs, cfg.height, cfg.width)), torch.randint(0, cfg.n_classes, (a.bs,))
def timed(fn):
    torch.manual_seed(0); m = PixelSNAIL(cfg); opt = torch.optim.Adam(m.parameters())
    CausalConv2d.from_codes = fn
    try:
        m.eval()
        with torch.no_grad(): logits = m(codes, cond)
        m.train()
        for i in range(a.steps + 2):
            if i == 2: t = time.perf_counter()   # two warm-up steps
            loss = F.cross_entropy(m(codes, cond), codes); opt.zero_grad(); loss.backward(); opt.step()
        return (time.perf_counter() - t) / a.steps, logits
    finally: CausalConv2d.from_codes = lookup

t_oh, l_oh = timed(one_hot)
t_lu, l_lu = timed(lookup)
print(f"PixelSNAIL {cfg.channels} channels, {cfg.n_codes} codes, {cfg.height}x{cfg.width}, batch {a.bs}, threads "
      f"{torch.get_num_threads()}")
print(f"same logits: {torch.allclose(l_oh, l_lu, atol=1e-5)} (max diff {(l_oh - l_lu).abs().max():.2e})")
print(f"training step: one-hot convs {t_oh*1000:.0f} ms, lookups {t_lu*1000:.0f} ms: {t_oh / t_lu:.2f}x")
