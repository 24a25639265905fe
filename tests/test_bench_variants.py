"The probes' MDCT (`bench/diffwave_variants.py`): the textbook transform, orthogonal, so the diffusion is unchanged."
import math, sys
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).resolve().parents[1]/'bench'))
from diffwave_variants import MDCT

def test_mdct_is_the_textbook_transform_and_orthogonal():
    torch.manual_seed(0)
    N, m = 8, MDCT(8)
    x = torch.randn(2, 1, 6 * N, dtype=torch.float64).float()
    X = m(x)
    assert X.shape == (2, N, 6)
    # frame j from its definition: X_k = sqrt(2/N) sum_n w_n x_(jN+n) cos(pi/N (n + 1/2 + N/2)(k + 1/2))
    j, n = 2, torch.arange(2 * N, dtype=torch.float64)
    w = torch.sin(math.pi * (n + 0.5) / (2 * N))
    seg = x[0, 0, j * N:j * N + 2 * N].double()
    ref = torch.stack([math.sqrt(2 / N) * (w * seg * torch.cos(math.pi / N * (n + 0.5 + N / 2) * (k + 0.5))).sum()
                       for k in range(N)])
    assert torch.allclose(X[0, :, j].double(), ref, atol=1e-5)
    # the last frame wraps round to the clip's start (circular)
    wrapped = torch.cat([x[0, 0, 5 * N:], x[0, 0, :N]]).double()
    ref5 = torch.stack([math.sqrt(2 / N) * (w * wrapped * torch.cos(math.pi / N * (n + 0.5 + N / 2) * (k + 0.5))).sum()
                        for k in range(N)])
    assert torch.allclose(X[0, :, 5].double(), ref5, atol=1e-5)
    # orthogonal: perfect reconstruction, energy kept, and white noise stays white
    assert torch.allclose(m.inverse(X), x, atol=1e-5)
    assert torch.allclose(X.square().sum(), x.square().sum(), rtol=1e-5)
    Y = torch.randn(2, N, 6)
    assert torch.allclose(m(m.inverse(Y)), Y, atol=1e-5)
