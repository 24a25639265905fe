"""Speed of foleybook's data side, as ratios measured in one run.

- SynthFoley: time to write 7 x 20 DCASE clips, and the ratio of generated audio to wall time
  (the issue asks for < 30 s for 7 x 20 clips).
- FeatureCache: reading cached mels vs computing them from the WAV files.
Run: OMP_NUM_THREADS=1 python bench/data.py
"""
import tempfile, time
from pathlib import Path
import torch
from foleybook.data.synth import SynthFoley
from foleybook.data.folders import ClassFolder
from foleybook.data.loaders import MelDataset

torch.set_num_threads(1)
tmp = Path(tempfile.mkdtemp())

t0 = time.perf_counter()
root = SynthFoley(20, seed=0).write(tmp/'synth')
t_write = time.perf_counter() - t0
print(f"SynthFoley 7 x 20 x 4 s: written in {t_write:.1f} s (target < 30 s) = {7*20*4/t_write:.0f}x real time")

ds = ClassFolder(root, verbose=False)
plain, cached = MelDataset(ds), MelDataset(ds, cache_dir=tmp/'cache')
for i in range(len(cached)): cached[i]                          # fill the cache
t0 = time.perf_counter(); [plain[i] for i in range(len(plain))]; t_plain = time.perf_counter() - t0
t0 = time.perf_counter(); [cached[i] for i in range(len(cached))]; t_cached = time.perf_counter() - t0
print(f"140 mels: computed {t_plain:.2f} s, from the cache {t_cached:.2f} s -> cache {t_plain/t_cached:.1f}x faster")
