"Bad-input corpus and module-level properties of foleybook.audio that do not fit the notebook."
import math, struct
import numpy as np, pytest, soundfile as sf, torch
from foleybook.core import FoleyError, AudioFileError, ConfigError
from foleybook.audio import load_audio, save_audio, resample, pad_or_trim, MelConfig, MelSpectrogram
from foleybook.features import mu_law_encode, mu_law_decode, control_features, n_control_frames

SR = 22050

def sine(hz=440., secs=1., sr=SR, amp=0.5):
    t = torch.arange(int(secs * sr)) / sr
    return amp * torch.sin(2 * math.pi * hz * t)[None]

@pytest.fixture
def good(tmp_path):
    p = tmp_path / 'good.wav'; save_audio(p, sine(), SR); return p

def _wav_bytes_with_data_size(raw, size):
    "Rewrite a WAV's data-chunk size field."
    i = raw.index(b'data')
    return raw[:i + 4] + struct.pack('<I', size) + raw[i + 8:]

def corpus(tmp, good):
    "name -> (path, expected message fragment)"
    raw = good.read_bytes()
    (tmp / 'empty.wav').write_bytes(b'')
    (tmp / 'text.wav').write_text('not audio at all\n' * 20)
    (tmp / 'random.flac').write_bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    (tmp / 'truncated.wav').write_bytes(raw[:len(raw) * 2 // 3])
    (tmp / 'header_cut.wav').write_bytes(raw[:30])
    (tmp / 'lying_header.wav').write_bytes(_wav_bytes_with_data_size(raw, 10**7))
    sf.write(str(tmp / 'zero.wav'), np.zeros(0, 'float32'), SR)
    sf.write(str(tmp / 'zero2.wav'), np.zeros((0, 2), 'float32'), SR, subtype='PCM_24')
    x = np.zeros(1000, 'float32'); x[10] = np.nan; sf.write(str(tmp / 'nan.wav'), x, SR, subtype='FLOAT')
    x = np.zeros(1000, 'float32'); x[-1] = np.inf; sf.write(str(tmp / 'inf.wav'), x, SR, subtype='DOUBLE')
    (tmp / 'a_dir.wav').mkdir()
    return {'missing': (tmp / 'nope.wav', 'file not found'), 'directory': (tmp / 'a_dir.wav', 'is a directory'),
            'empty': (tmp / 'empty.wav', 'empty file (0 bytes)'),
            'text': (tmp / 'text.wav', 'not a readable audio file'),
            'random': (tmp / 'random.flac', 'not a readable audio file'),
            'truncated': (tmp / 'truncated.wav', 'truncated'),
            'header_cut': (tmp / 'header_cut.wav', 'not a readable audio file'),
            'lying_header': (tmp / 'lying_header.wav', 'truncated'),
            'zero': (tmp / 'zero.wav', 'zero-length recording'),
            'zero_stereo': (tmp / 'zero2.wav', 'zero-length recording'), 'nan': (tmp / 'nan.wav', 'NaN or infinite'),
            'inf': (tmp / 'inf.wav', 'NaN or infinite')}

def test_bad_files_raise_audio_file_error_naming_file_and_problem(tmp_path, good):
    for name, (p, msg) in corpus(tmp_path, good).items():
        with pytest.raises(AudioFileError) as e: load_audio(p)
        assert msg in str(e.value), (name, str(e.value))
        assert str(p) in str(e.value), name
        assert isinstance(e.value, FoleyError)

@pytest.mark.parametrize('kw,msg', [(dict(offset=1.0), 'past the end'), (dict(offset=2.0), 'past the end'),
                                    (dict(offset=0.9, duration=0.2), 'past the end'),
                                    (dict(duration=1.5), 'past the end'),
                                    (dict(offset=-0.1), 'offset must be >= 0'), (dict(duration=0), 'duration > 0'),
                                    (dict(sr=0), 'positive integer'), (dict(sr=-16000), 'positive integer')])
def test_bad_requests(good, kw, msg):
    with pytest.raises(AudioFileError, match=msg) as e: load_audio(good, **kw)
    assert str(good) in str(e.value)

def test_window_reads_exact_samples(good):
    full, _ = load_audio(good)
    part, sr = load_audio(good, offset=0.5, duration=0.25)
    assert sr == SR and part.shape == (1, SR // 4)
    assert torch.equal(part, full[:, SR // 2: SR // 2 + SR // 4])

def test_save_refuses_and_leaves_nothing(tmp_path):
    p = tmp_path / 'out.wav'
    save_audio(p, sine(), SR)
    before = p.read_bytes()
    bad = sine().clone(); bad[0, 5] = float('nan')
    for args, msg in [((bad, SR), 'NaN or infinite'), ((sine() * float('inf'), SR), 'NaN or infinite'),
                      ((sine(), 0), 'positive integer'), ((sine(), -5), 'positive integer'),
                      ((sine(), 22050.5), 'positive integer'), ((torch.zeros(1, 0), SR), 'zero-length'),
                      ((torch.zeros(2, 2, 5), SR), 'expected a (T,) or (C, T)')]:
        with pytest.raises(AudioFileError, match=msg.replace('(', r'\(').replace(')', r'\)')) as e: save_audio(p, *args)
        assert str(p) in str(e.value)
    assert p.read_bytes() == before                      # the old file survives
    assert sorted(q.name for q in tmp_path.iterdir()) == ['out.wav']  # and no temp file is left

def test_save_formats_and_clipping(tmp_path):
    loud = sine(amp=2.0)
    save_audio(tmp_path / 'a.wav', loud, SR)
    w, _ = load_audio(tmp_path / 'a.wav')
    assert w.abs().max() <= 1.0 and w.max() > 0.99      # clipped, not wrapped around
    save_audio(tmp_path / 'b.flac', sine()[0].numpy(), SR)     # 1-D numpy, flac
    save_audio(tmp_path / 'c.wav', loud, SR, subtype='FLOAT')  # float keeps values > 1
    assert load_audio(tmp_path / 'c.wav')[0].max() > 1.9
    assert load_audio(tmp_path / 'b.flac')[0].shape == (1, SR)
    with pytest.raises(AudioFileError, match="suffix '.foo'"): save_audio(tmp_path / 'd.foo', loud, SR)

def test_resample_and_pad():
    x = sine(1000.)
    y = resample(x, SR, 16000)
    assert y.shape == (1, 16000)
    spec = torch.fft.rfft(y[0]).abs()
    assert abs(spec.argmax().item() - 1000) <= 1        # 1 Hz bins over 1 s
    assert resample(x, SR, SR) is x
    with pytest.raises(FoleyError, match='sr_in'): resample(x, 0, SR)
    assert pad_or_trim(torch.ones(2, 3, 5), 7).shape == (2, 3, 7)
    with pytest.raises(FoleyError): pad_or_trim(x, -1)

def test_melspectrogram_module_properties():
    ms = MelSpectrogram(MelConfig.preset('debug'))
    assert ms.state_dict() == {}                          # buffers are derived, never checkpointed
    x = torch.randn(3, 2, 4000, requires_grad=True)
    mel = ms(x)
    assert mel.shape == (3, 2, 20, 4000 // 64) and mel.dtype == torch.float32
    mel.mean().backward()                                 # usable as a training loss (HiFi-GAN mel L1)
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    s = torch.zeros(1, 4000, requires_grad=True)          # silence: finite gradients too
    ms(s).sum().backward(); assert torch.isfinite(s.grad).all()
    with torch.autocast('cpu', dtype=torch.bfloat16):     # stays float32 under autocast
        assert ms(x.detach()).dtype == torch.float32
    torch.testing.assert_close(ms(x.detach().double()), ms(x.detach()))
    big = torch.randn(40, 30000)                          # CPU chunking gives the same as one by one
    torch.testing.assert_close(ms(big), torch.stack([ms(b) for b in big]))
    with pytest.raises(FoleyError, match='too short'): ms(torch.randn(50))

def test_inverse_batched_and_lengths():
    cfg = MelConfig.preset('debug')
    ms = MelSpectrogram(cfg)
    w = ms.inverse(ms(torch.randn(2, 3, 1280) * 0.1), n_iter=2)
    assert w.shape == (2, 3, 1280)
    c2 = MelConfig.preset("debug", center=True); m2 = MelSpectrogram(c2)
    assert m2.inverse(m2(torch.randn(1280)), n_iter=2).shape == (1280,)  # (n - 1) * hop: same frames again
    assert m2(m2.inverse(m2(torch.randn(1280)), n_iter=2, length=1300)).shape == m2(torch.randn(1280)).shape
    assert ms.inverse(ms(torch.randn(1280)), n_iter=1, length=1300).shape == (1300,)

def test_config_presets_and_errors(tmp_path):
    for name in MelConfig.presets:
        c = MelConfig.preset(name)
        c.save_json(tmp_path / f'{name}.json')
        assert MelConfig.load_json(tmp_path / f'{name}.json') == c
    with pytest.raises(ConfigError, match='win_length'): MelConfig(win_length=2048)
    with pytest.raises(ConfigError, match='even'): MelConfig(hop_length=255)
    with pytest.raises(ConfigError, match='no preset'): MelConfig.preset('hifi')

def test_mu_law_and_control_frame_counts():
    x = torch.rand(10000) * 2 - 1
    assert ((mu_law_decode(mu_law_encode(x)) - x).abs() <= (x.abs() + 1 / 255) * 0.0220 + 1e-6).all()
    q16 = mu_law_encode(x, n=16)
    assert q16.min() >= 0 and q16.max() <= 15
    for T, sr, rate in [(88200, 22050, 125), (64000, 16000, 500), (1, 16000, 125), (16001, 16000, 500)]:
        assert n_control_frames(T, sr, rate) == math.ceil(T * rate / sr)
        f = control_features(torch.randn(T) * 0.1, sr, rate)
        assert f['rms'].shape == (n_control_frames(T, sr, rate),)

@pytest.mark.parametrize('name', ['hifigan', 'specvqgan', 'audio_diffusion', 'debug'])
def test_every_preset_inverts_a_sine(name):
    "scale/unscale/power are consistent: Griffin-Lim of each preset's mel puts the peak back at 440 Hz."
    cfg = MelConfig.preset(name)
    ms = MelSpectrogram(cfg)
    x = sine(440., secs=0.75, sr=cfg.sample_rate)[0]
    y = ms.inverse(ms(x), n_iter=16)
    spec = torch.fft.rfft(y * torch.hann_window(len(y))).abs()
    assert abs(spec.argmax().item() * cfg.sample_rate / len(y) - 440) <= cfg.sample_rate / cfg.n_fft
    S = torch.tensor([[0.05, 0.5, 2.0], [1e-3, 0.2, 0.7]])
    want = S / S.max() if cfg.scale == 'db' else S   # 'db' is relative to the loudest bin
    torch.testing.assert_close(ms.unscale(ms.scale(S)), want)
