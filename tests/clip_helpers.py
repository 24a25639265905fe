"""What the saved-clip tests share: a clip compared with a fingerprint saved from it on another machine."""
import numpy as np, torch

MIN_CORRELATION = 0.999   # measured across CPUs (AMD EPYC against Intel Xeon, fp32): 0.9996 at the lowest


def assert_same_clips(w, # the clips now (N, T) or the values at the fingerprint's indices
                      samples, # the saved values at those indices (N, K)
                      level, # the saved level of each clip (rms, or mean |x|)
                      now_level, # the same level of `w`
                      what=''):
    ("The level of each clip to 1e-4 and its sampled values correlated at least `MIN_CORRELATION` with the saved "
     "ones. Another CPU's fp32 kernels move single samples (Griffin-Lim's phases most: up to 4 % of the peak) and keep "
     "the clip: its level to 1e-6. A changed layout, sampler or noise prior makes another clip, caught by both checks.")
    s, r = np.asarray(torch.as_tensor(w, dtype=torch.float64)), np.asarray(samples, dtype=np.float64)
    assert s.shape == r.shape, f"{what}: {s.shape} values, {r.shape} saved"
    np.testing.assert_allclose(np.asarray(now_level, dtype=np.float64), np.asarray(level, dtype=np.float64),
                               rtol=1e-4, atol=0, err_msg=f"{what}: the level")
    for k, (a, b) in enumerate(zip(s, r)):
        c = np.corrcoef(a, b)[0, 1]
        assert c >= MIN_CORRELATION, f"{what}: clip {k}'s samples correlate {c:.6f} with the saved ones"
