"""Speed of `learn.to_amp()` (bf16 autocast) vs float32 on this CPU, same model and data, same run.

Run: OMP_NUM_THREADS=1 python bench/learner.py   (prints seconds per epoch and the ratio; no assertion)."""
import time, random, torch
from torch import nn
from fastai.basics import Learner, DataLoaders, MSELossFlat
from foleybook.train.learner import *

def learner(amp):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4096, 512, generator=g); y = x[:, :1]
    items = list(zip(x, y)); random.seed(0)
    dls = DataLoaders.from_dsets(items[:3584], items[3584:], bs=256, device='cpu', num_workers=0)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(512, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 1))
    learn = Learner(dls, model, loss_func=MSELossFlat())
    return learn.to_amp() if amp else learn

def time_fit(amp, epochs=3):
    learn = learner(amp)
    with learn.no_bar(), learn.no_logging():
        learn.fit(1, 1e-3)  # warm-up
        t = time.perf_counter(); learn.fit(epochs, 1e-3)
    return (time.perf_counter() - t) / epochs

if __name__ == '__main__':
    f32, bf16 = time_fit(False), time_fit(True)
    print(f"float32: {f32:.3f} s/epoch   bf16 autocast: {bf16:.3f} s/epoch   speed-up x{f32 / bf16:.2f}")
