("The fast mel front end (frames + rfft, reused buffers, band blocks) equals the plain computation, in every mode it "
 "runs in.")
import threading
import numpy as np, pytest, torch, torch.nn.functional as F
from foleybook.audio import MelConfig, MelSpectrogram

torch.set_num_threads(1)


def naive_mel(x, c: MelConfig):
    "torch.stft with F.pad's padding, |X| ** power, the dense filterbank, the config's scale: the obvious way."
    ms = MelSpectrogram(c)
    xp = F.pad(x[:, None], (c.pad, c.pad), mode=c.pad_mode)[:, 0]
    X = torch.stft(xp, c.n_fft, c.hop_length, c.win_length, torch.hann_window(c.win_length), center=False,
                   return_complex=True)
    return ms.scale(ms.fb @ X.abs() ** c.power)


def _waves(n, T, seed=0):
    return torch.from_numpy(np.random.default_rng(seed).standard_normal((n, T)).astype('float32')) * 0.1


@pytest.mark.parametrize('preset', ['hifigan', 'specvqgan', 'audio_diffusion', 'debug'])
def test_fast_equals_naive(preset):
    "Every preset (its padding, power, band and scale) gives the naive mel, batched and clip by clip."
    c = MelConfig.preset(preset).replace(scale='linear')
    x = _waves(3, 30001)
    ref = naive_mel(x, c)
    ms = MelSpectrogram(c)
    with torch.inference_mode():
        fast, one = ms(x), torch.stack([ms(w) for w in x])
    torch.testing.assert_close(fast, ref, atol=1e-5 * ref.abs().max().item(), rtol=0)
    torch.testing.assert_close(one, fast, atol=1e-6 * ref.abs().max().item(), rtol=0)


def test_window_shorter_than_fft():
    c = MelConfig(win_length=800, scale='linear')
    x = _waves(2, 22050, 1)
    ref = naive_mel(x, c)
    torch.testing.assert_close(MelSpectrogram(c)(x), ref, atol=1e-5 * ref.abs().max().item(), rtol=0)


def test_buffers_reused_and_not_leaking_between_shapes():
    ("Calls with new shapes, then the old one again, give the same mels as fresh modules (the reused buffers follow "
     "the shape).")
    ms = MelSpectrogram()
    a, b = _waves(1, 88200, 2), _waves(5, 20000, 3)
    first = ms(a)
    ms(b)
    assert torch.equal(ms(a), first) and torch.equal(ms(b), MelSpectrogram()(b))
    out1, out2 = ms(a), ms(a)
    assert out1.data_ptr() != out2.data_ptr()  # the output is never a reused buffer


def test_autograd_path_matches_and_backpropagates():
    ("With autograd on, the plain path: the same mel, finite non-zero gradients (also at silence), after an "
     "inference_mode call.")
    ms = MelSpectrogram()
    x = _waves(2, 8192, 4)
    x[1, :4000] = 0
    with torch.inference_mode(): ref = ms(x)
    xg = x.clone().requires_grad_()
    m = ms(xg)
    torch.testing.assert_close(m, ref, atol=1e-4, rtol=0)
    m.mean().backward()
    assert xg.grad.isfinite().all() and xg.grad.abs().sum() > 0


def test_threads_share_a_module():
    "Two threads running one module at once get their own buffers: each gets its clips' mels."
    ms = MelSpectrogram()
    xs = [_waves(4, 22050 * (k + 1), 10 + k) for k in range(2)]
    refs = [MelSpectrogram()(x) for x in xs]
    got, errs = {}, []
    def run(k):
        try:
            for _ in range(5): got[k] = ms(xs[k])
        except Exception as e: errs.append(e)
    ts = [threading.Thread(target=run, args=(k,)) for k in range(2)]
    for t in ts: t.start()
    for t in ts: t.join()
    assert not errs
    for k in range(2): assert torch.equal(got[k], refs[k])
