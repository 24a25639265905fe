"""Mel spectrogram speed: foleybook's `MelSpectrogram` (batched and clip by clip) vs librosa and torchaudio, same run.

100 clips of 4 s (`--seconds`) at 22,050 Hz, `hifigan` preset (n_fft 1024, hop 256, 80 mels up to 8 kHz, slaney, linear
scale). Rows, each timed once per round, the order rotated every round, medians over `--repeat` rounds after
a warm-up, one thread:
- foleybook batched: `MelSpectrogram(cfg)(x)` on the (100, 88200) batch (it works in chunks of ~2**16 samples, whole
clips);
- foleybook clip by clip: the same module called on each clip in a Python loop;
- foleybook one chunk: the whole batch at once with fresh tensors and the dense filterbank (what the chunks, the
  reused buffers and the band blocks avoid);
- torchaudio clip by clip: `torchaudio.transforms.MelSpectrogram` with the same settings and padding;
- librosa clip by clip: the reference (`librosa.feature.melspectrogram`).
Speed-ups are librosa's median over each row's median (the min-max of per-round ratios is printed beside them);
the last column is each row's largest difference to librosa relative to librosa's largest value (the notebook's
test tolerance is 1e-4). Other jobs share this machine's two cores: timings are noisy, hence the medians.

Measured here on 2026-11-22 (`--repeat 11`, 100 clips x 4 s, machine shared with other jobs), vs librosa:
foleybook batched 4.10x (per-round 3.83-4.48), clip by clip 3.49x (2.86-3.79), batched / clip-by-clip time 0.85;
torchaudio clip by clip 1.65x; the one-chunk row 1.21x. With 1-s clips (`--seconds 1 --n 200 --repeat 9`): 6.40x and
5.48x.
The plain form (torch.stft, dense filterbank, chunks of 2**18): 3.26x batched, 2.90x clip by clip.

Writes the rows to nbs/results/mel_bench.json (`--out`), which nbs/00c_audio_features.ipynb shows.

Run: OMP_NUM_THREADS=1 .venv/bin/python bench/mel.py [--n 100] [--repeat 7] [--seconds 4] [--out FILE]
"""
import argparse, json, os, statistics, time
from pathlib import Path
os.environ.setdefault('OMP_NUM_THREADS', '1'); os.environ.setdefault('MKL_NUM_THREADS', '1')
import numpy as np, torch, torch.nn.functional as F, librosa, torchaudio
from foleybook.audio import MelConfig, MelSpectrogram, _magnitude


def main(n=100, repeat=7, seed=0, seconds=4.):
    torch.set_num_threads(int(os.environ.get('OMP_NUM_THREADS', 1)))
    cfg = MelConfig.preset('hifigan', scale='linear')
    waves = (np.random.default_rng(seed).standard_normal((n, int(seconds * cfg.sample_rate))) * 0.1).astype('float32')
    ms, x = MelSpectrogram(cfg), torch.from_numpy(waves)
    ta = torchaudio.transforms.MelSpectrogram(sample_rate=cfg.sample_rate, n_fft=cfg.n_fft, win_length=cfg.win_length,
                                              hop_length=cfg.hop_length, f_min=cfg.f_min, f_max=cfg.fmax,
                                              n_mels=cfg.n_mels,
                                              power=cfg.power, center=False, norm='slaney', mel_scale='slaney')

    def one_chunk():  # the batch as a single chunk: the same frames and FFT, no buffers, the dense filterbank
        nb = ms.n_bins
        return torch.matmul(ms.fb[:, :nb], _magnitude(torch.fft.rfft(ms.frames(x))[..., :nb]).mT)

    fns = {
        'foleybook batched': lambda: ms(x),
        'foleybook clip by clip': lambda: torch.stack([ms(w) for w in x]),
        'foleybook one chunk (no chunking)': one_chunk,
        'torchaudio clip by clip': lambda: torch.stack([ta(F.pad(w[None, None], (cfg.pad, cfg.pad), mode='reflect')[0,
            0]) for w in x]),
        'librosa clip by clip': lambda: np.stack([librosa.feature.melspectrogram(
            y=np.pad(w, cfg.pad, mode='reflect'), sr=cfg.sample_rate, n_fft=cfg.n_fft, hop_length=cfg.hop_length,
            win_length=cfg.win_length, center=False, power=cfg.power, n_mels=cfg.n_mels, fmin=cfg.f_min, fmax=cfg.fmax)
                                                  for w in waves]),
    }
    with torch.inference_mode():
        outs = {k: f() for k, f in fns.items()}  # warm-up (librosa's lazy imports and caches, torch's first calls)
        outs = {k: v.numpy() if torch.is_tensor(v) else v for k, v in outs.items()}
        ts, keys = {k: [] for k in fns}, list(fns)
        for r in range(repeat):
            for k in keys[r % len(keys):] + keys[:r % len(keys)]:
                t = time.perf_counter(); fns[k](); ts[k].append(time.perf_counter() - t)
    ref = outs['librosa clip by clip']
    lib = statistics.median(ts['librosa clip by clip'])
    print(f"threads={torch.get_num_threads()} clips={n} x {seconds:g} s, mel {ref.shape[1:]} each; medians of {repeat} "
          f"interleaved rounds\n")
    print(f"{'':<36}{'median s':>9}{'vs librosa':>12}{'(min-max)':>14}{'max rel diff':>14}")
    res = {}
    for k in fns:
        m = statistics.median(ts[k])
        rs = [a / b for a, b in zip(ts['librosa clip by clip'], ts[k])]
        d = np.abs(outs[k] - ref).max() / np.abs(ref).max()
        print(f"{k:<36}{m:>9.3f}{lib / m:>11.2f}x{f'({min(rs):.2f}-{max(rs):.2f})':>14}{d:>14.1e}")
        res[k] = dict(seconds=m, vs_librosa=lib / m, max_rel_diff=float(d))
    b, c = res['foleybook batched']['seconds'], res['foleybook clip by clip']['seconds']
    print(f"\nbatched / clip by clip time: {b / c:.2f} (target <= 1); batched vs librosa: {lib / b:.2f}x (target >= "
          f"3x)")
    return res


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--n', type=int, default=100); p.add_argument('--repeat', type=int, default=7)
    p.add_argument('--seconds', type=float, default=4.)
    p.add_argument('--out', default=str(Path(__file__).resolve().parents[1]/'nbs'/'results'/'mel_bench.json'))
    a = p.parse_args()
    res = main(a.n, a.repeat, seconds=a.seconds)
    Path(a.out).write_text(json.dumps(dict(clips=a.n, seconds=a.seconds, rounds=a.repeat, rows=res), indent=1) + '\n')
