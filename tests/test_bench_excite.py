"The excitation probe's pitch (`bench/diffwave_excite.py`) on a synthetic glide whose f0 and harmonic phases are known."
import math, sys
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).resolve().parents[1]/'bench'))
from diffwave_excite import contour, running_phase, harmonic_phases, excitation

SR, L = 8000, 8000

def glide():
    "A 400 Hz tone gliding +-100 Hz at 1.5 Hz, harmonics 1-3 at amplitudes 1, 0.5, 0.3 and phases 1, -0.7, 2."
    t = torch.arange(L, dtype=torch.float64) / SR
    f = 400 + 100 * torch.sin(2 * math.pi * 1.5 * t)
    ph = 2 * math.pi * torch.cumsum(f / SR, 0)
    parts = [a * torch.sin(k * ph + c) for k, a, c in ((1, 1., 1.), (2, .5, -.7), (3, .3, 2.))]
    return f, parts, sum(parts)[None].float()

def test_contour_follows_the_glide_and_the_phases_are_the_waves():
    f, parts, x = glide()
    f0, v = contour(x)
    assert f0.shape == v.shape == (1, L // 64)
    fr = f[32::64][:f0.shape[1]].float()                   # the true f0 at each frame's centre
    assert (f0[0, 4:-4] - fr[4:-4]).abs().max() < 15        # within 15 Hz of 300-500 Hz
    assert v[0, 4:-4].min() > 0.99                           # a clean harmonic tone: voiced throughout
    off = harmonic_phases(x, running_phase(f0, L), 3)
    e = excitation(f0, v, L, 3, off)
    assert e.shape == (1, 7, L)
    for k in range(3):                                       # sin(theta_k) is the wave's harmonic k, normalised
        a, b = e[0, k, 500:-500].double(), parts[k][500:-500]
        assert torch.corrcoef(torch.stack([a, b]))[0, 1] > 0.99

def test_noise_and_resonances_are_unvoiced():
    torch.manual_seed(0)
    _, v = contour(torch.randn(1, L))
    assert v.mean() < 0.05
    def ringing(rad):                                       # noise through a resonance at 1.4 kHz (pole radius rad)
        n, r = torch.randn(L), torch.zeros(L)
        for i in range(2, L): r[i] = n[i] + 2 * rad * math.cos(2 * math.pi * 1400 / SR) * r[i - 1] - rad ** 2 * r[i - 2]
        return contour(r[None])[1].mean()
    assert ringing(0.9) < 0.01                              # its lag, 5.7 samples, is below the range: unvoiced
    assert ringing(0.97) > 0.3                              # a narrower one (80 Hz) reads voiced at half its frequency
