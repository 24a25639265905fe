"""Real-time factor of the vocoders on this CPU, and the speed-up of the inference path.

RTF = seconds of compute / seconds of audio (below 1 = faster than real time), for a 4 s mel
(80 x 344, 88,200 samples at 22,050 Hz), median of `--repeats` runs after one warm-up, one thread.
Vocoders: HiFi-GAN V1 and V3, MelGAN (32 filters), Griffin-Lim (32 iterations).
The inference path (`inference_copy`: weight norm folded, eval, `vocode` under inference_mode) is
compared with the training-mode generator (weight-norm parametrizations recomputed every call,
autograd on) in the same run. Weights are random: speed does not depend on them.

    OMP_NUM_THREADS=1 .venv/bin/python bench/vocoder.py [--repeats 3] [--seconds 4]
"""
import argparse, os, statistics, time
os.environ.setdefault('OMP_NUM_THREADS', '1'); os.environ.setdefault('MKL_NUM_THREADS', '1')
import torch
from foleybook.audio import MelConfig
from foleybook.vocoders.base import GriffinLimVocoder, HiFiGAN, HiFiGANConfig, inference_copy, vocode
from foleybook.vocoders.melgan import MelGAN, MelGANConfig


def timeit(fn, repeats):
    fn()  # warm-up
    ts = []
    for _ in range(repeats):
        t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def main(repeats=3, seconds=4.0):
    torch.set_num_threads(int(os.environ.get('OMP_NUM_THREADS', 1)))
    torch.manual_seed(0)
    cfg = MelConfig.preset('hifigan')
    frames = int(seconds * cfg.sample_rate) // cfg.hop_length
    audio_s = frames * cfg.hop_length / cfg.sample_rate
    mel = torch.randn(1, cfg.n_mels, frames) - 5
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s); mel 1 x {cfg.n_mels} x {frames} = {audio_s:.2f} s of audio; "
          f"median of {repeats}\n")
    print(f"{'vocoder':<22}{'params':>9}{'train-mode s':>14}{'RTF':>8}{'inference s':>13}{'RTF':>8}{'speed-up':>10}")
    rows = {}
    for name, model in [('HiFi-GAN V1', HiFiGAN(HiFiGANConfig.preset('v1'))), ('HiFi-GAN V3', HiFiGAN(HiFiGANConfig.preset('v3'))),
                        ('MelGAN (32 filters)', MelGAN(MelGANConfig.preset('hifigan')))]:
        n = sum(p.numel() for p in model.parameters())
        model.train()
        t_train = timeit(lambda: model(mel), repeats)        # as during training: parametrized weights, autograd on
        fast = inference_copy(model)
        t_inf = timeit(lambda: vocode(fast, mel), repeats)   # weight norm folded + inference_mode
        rows[name] = (t_train, t_inf)
        print(f"{name:<22}{n/1e6:>8.2f}M{t_train:>14.3f}{t_train/audio_s:>8.3f}{t_inf:>13.3f}{t_inf/audio_s:>8.3f}{t_train/t_inf:>9.2f}x")
    gl = GriffinLimVocoder(cfg, n_iter=32)
    t_gl = timeit(lambda: gl(mel), repeats)
    print(f"{'Griffin-Lim (32 it.)':<22}{'-':>9}{'':>14}{'':>8}{t_gl:>13.3f}{t_gl/audio_s:>8.3f}")
    fast = inference_copy(HiFiGAN(HiFiGANConfig.preset('v1')))
    t_chunk = timeit(lambda: vocode(fast, mel, chunk_frames=64), repeats)
    print(f"\nHiFi-GAN V1 inference, chunks of 64 frames (+32 context): {t_chunk:.3f} s, RTF {t_chunk/audio_s:.3f} "
          f"({t_chunk / rows['HiFi-GAN V1'][1]:.2f}x the unchunked time)")
    return rows


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--seconds', type=float, default=4.0)
    a = p.parse_args()
    main(a.repeats, a.seconds)
