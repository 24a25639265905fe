"""Vocoder inference speed on this CPU: foleybook's default path vs the published fp32 eager baseline.

Baseline = the published architecture run the way its reference code runs it: fp32, eager,
weight norm removed, eval, autograd off, no chunking, resblock branches summed in place
(`inference_copy(model)` called directly). Built from foleybook's own modules; with
`--reference DIR` (a checkout of github:jik876/hifi-gan, outside the project) the reference's own
`Generator` is loaded with the same weights and timed in the same loop too.
Fast = `vocode(model, mel)` with its defaults: precision 'auto' (the form `foleybook.fastpath` measured
fastest on the machine: fp32, 'mixed' or 'bf16', each conv a channels-last 2-D `FastConv1d`), made once;
the 'mixed' and 'bf16' forms are rows of their own. (bench/fastpath.py compares the default with
jik876's code on the machine at hand and writes nbs/results/fastpath_bench.json.)
Chunked = `vocode(..., chunk_frames=64)` (and 128): the mel cut into equal chunks of <= 64 frames,
each window with the measured receptive field as context only where there is signal (none past the
ends), two windows per batch (the default; 8 at once, the old default, is a row too).

Input: the mel of a 4 s SynthFoley dog bark (80 x 344 frames, 88,064 samples at 22,050 Hz);
random weights (speed does not depend on them; agreement is also checked on a trained toy in
nbs/03a_hifigan.ipynb). Timing: one thread, every variant once per round, rounds interleaved,
medians over `--repeats` rounds after a warm-up; 8 agents share the 2 cores of this machine, so
single timings are noisy: the min-max of the per-round ratios is printed next to each median.
Agreement with the baseline: SNR (dB), max abs diff, and the L1 distance of their log-mels.

Measured here on 2026-11-22 (`--repeats 5 --reference ../scratch/hifigan`, 4 s mel, one
thread, machine shared with other jobs), speed-up over the fp32 eager baseline / SNR vs it / mel L1 vs it:
  V1: jik876 reference code 1.02x (bit-identical output); vocode default 'mixed' 3.73x / 57.5 dB / 0.0067;
      'bf16' 5.19x / 54.4 dB / 0.0099; chunks of 64 (+13 context, 2 at once) 2.88x, of 128 3.48x
      (8 at once: 2.62x); the plain chunking (fp32, +32 context, one by one) 0.64x.
  V3: reference 0.94x; 'mixed' 1.93x / 51.3 dB / 0.0039; 'bf16' 3.76x / 48.6 dB / 0.0053; chunks of 64
      1.79x, of 128 2.01x (faster than one pass: a short window's full-rate activations stay in cache;
      8 at once 1.69x); old chunks 0.67x.
  MelGAN (hifigan mels): 'mixed' 2.78x / 80.7 dB / mel L1 0.23; 'bf16' 3.76x / 54.4 dB / mel L1 1.98 (random
      weights put almost nothing in some bands, where bf16 rounding dominates the log-mel); chunks of 64
      2.17x, of 128 2.42x.
  The plain chunking (same machine): V3 chunks of 64 (fixed windows of 64 + 2 x 11
  frames, 8 at once) 1.23x; V1 1.87x.
Levers measured on the bf16 channels-last V1 in scratch runs and not kept: torch.jit.trace + freeze +
optimize_for_inference (1.31 s vs 1.23 s eager: slower); torch.compile (inductor, freezing on; g++ is
present): 117 s to compile, 98 s again for a new mel length, then 0.74 s vs 0.44 s eager.

Writes the rows to nbs/results/vocoder_bench.json (`--out`), which nbs/03a_hifigan.ipynb and 03c_melgan show.

    OMP_NUM_THREADS=1 .venv/bin/python bench/vocoder.py [--repeats 5] [--reference ../scratch/hifigan] [--out FILE]
"""
import argparse, importlib.util, json, os, statistics, sys, time
from pathlib import Path
os.environ.setdefault('OMP_NUM_THREADS', '1'); os.environ.setdefault('MKL_NUM_THREADS', '1')
import torch
from foleybook.audio import MelConfig, MelSpectrogram
from foleybook.vocoders.base import GriffinLimVocoder, MelL1, inference_copy, vocode, fast_vocoder, receptive_field
from foleybook.vocoders.hifigan import HiFiGAN, HiFiGANConfig
from foleybook.vocoders.melgan import MelGAN, MelGANConfig


def agreement(ref, x, mel_l1):
    "SNR (dB), max abs diff and log-mel L1 of wave `x` against `ref`."
    ref, x = ref.float().flatten(), x.float().flatten()
    err = x - ref
    snr = 10 * torch.log10(ref.pow(2).sum() / err.pow(2).sum().clamp_min(1e-30)).item()
    return snr, err.abs().max().item(), mel_l1(x[None], ref[None]).item()


def reference_generator(folder, preset, model):
    "jik876/hifi-gan's own `Generator` (loaded from `folder`), weight norm removed, with `model`'s folded weights."
    sys.path.insert(0, str(folder))
    spec = importlib.util.spec_from_file_location('ref_models', os.path.join(folder, 'models.py'))
    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
    from env import AttrDict
    h = AttrDict(json.load(open(os.path.join(folder, f'config_{preset}.json'))))
    g = mod.Generator(h)
    import contextlib, io
    with contextlib.redirect_stdout(io.StringIO()): g.remove_weight_norm()
    g.load_state_dict(model.state_dict())
    return g.eval().requires_grad_(False)


def chunk_work(n, chunk, rf):
    ("Frames `vocode` runs through the model for `n` frames in chunks of <= `chunk` with `rf` frames of context, over "
     "`n`.")
    k = -(-n // chunk); c = -(-n // k)
    return sum(min(n, s + c + rf) - max(0, s - rf) for s in range(0, n, c)) / n


def interleaved(fns, repeats):
    ("Median seconds of each fn, and per-round ratios of the first fn's time to each fn's: every fn once per round, "
     "order rotated.")
    for f in fns.values(): f()  # warm-up (oneDNN primitive caches, the bf16 copies)
    ts, keys = {k: [] for k in fns}, list(fns)
    for r in range(repeats):
        for k in keys[r % len(keys):] + keys[:r % len(keys)]:  # rotate, so no variant always runs after the same one
            t = time.perf_counter(); fns[k](); ts[k].append(time.perf_counter() - t)
    base = next(iter(fns))
    ratios = {k: [b / t for b, t in zip(ts[base], ts[k])] for k in fns}
    return {k: statistics.median(v) for k, v in ts.items()}, ratios


def main(repeats=5, reference=None, chunk=64, seconds=4., models=('v1', 'v3', 'melgan'), old_chunks=True):
    "Print the table; returns {(model, variant): dict(seconds, speedup, snr, max_abs, mel_l1)}."
    torch.set_num_threads(int(os.environ.get('OMP_NUM_THREADS', 1)))
    from foleybook.data.synth import SynthFoley
    cfg = MelConfig.preset('hifigan')
    clip = torch.from_numpy(SynthFoley(1, seed=0).clip('DogBark', 0))[:int(seconds * cfg.sample_rate)]
    mel = MelSpectrogram(cfg)(clip[None])  # (1, 80, 344) for 4 s
    audio_s = mel.shape[-1] * cfg.hop_length / cfg.sample_rate
    mel_l1 = MelL1(cfg)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), bf16 kernels: "
          f"{torch.ops.mkldnn._is_mkldnn_bf16_supported()}; "
          f"mel 1 x 80 x {mel.shape[-1]} = {audio_s:.2f} s of audio; medians of {repeats} interleaved rounds\n")
    print(f"{'vocoder':<14}{'variant':<34}{'median s':>9}{'RTF':>7}{'speed-up':>9}{'(min-max)':>14}{'SNR dB':>8}"
          f"{'max|d|':>9}{'mel L1':>8}")
    results = {}
    makers = {'v1': ('HiFi-GAN V1', 'v1', lambda: HiFiGAN(HiFiGANConfig.preset('v1'))),
              'v3': ('HiFi-GAN V3', 'v3', lambda: HiFiGAN(HiFiGANConfig.preset('v3'))),
              'melgan': ('MelGAN', None, lambda: MelGAN(MelGANConfig.preset('hifigan')))}
    for name, preset, make in [makers[m] for m in models]:
        torch.manual_seed(0)
        model = make()
        base = inference_copy(model)          # fp32, eager, weight norm folded, eval, no grad
        rf = receptive_field(base)
        fns = {'baseline: fp32 eager, unchunked': lambda: base(mel)}
        if reference and preset:
            ref_g = reference_generator(reference, preset, base)
            fns['jik876 reference code (fp32)'] = lambda: ref_g(mel)
        fns["vocode default ('auto')"] = lambda: vocode(base, mel)
        fns["vocode precision='mixed'"] = lambda: vocode(base, mel, precision='mixed')
        fns["vocode precision='bf16'"] = lambda: vocode(base, mel, precision='bf16')
        fns[f'vocode chunks {chunk}+{rf} ctx, 2 at once'] = lambda: vocode(base, mel, chunk_frames=chunk)
        fns[f'vocode chunks {2 * chunk}+{rf} ctx, 2 at once'] = lambda: vocode(base, mel, chunk_frames=2 * chunk)
        if old_chunks:
            fns[f'chunks {chunk}+{rf} ctx, 8 at once'] = lambda: vocode(base, mel, chunk_frames=chunk, chunk_batch=8)
            fns[f'old chunks: fp32 {chunk}+32 ctx, 1 by 1'] = lambda: vocode(base, mel, chunk_frames=chunk,
                                                                             context_frames=32,
                                                                                precision='fp32', chunk_batch=1)
        with torch.inference_mode():
            outs = {k: f() for k, f in fns.items()}
            med, ratios = interleaved(fns, repeats)
        b = next(iter(fns))
        for k in fns:
            snr, mx, ml1 = agreement(outs[b], outs[k], mel_l1)
            rs = ratios[k]
            snr_s = 'exact' if mx == 0 else f"{snr:.1f}"
            print(f"{name:<14}{k:<34}{med[k]:>9.3f}{med[k]/audio_s:>7.3f}"
                  f"{med[b]/med[k]:>8.2f}x{f'({min(rs):.2f}-{max(rs):.2f})':>14}"
                  f"{snr_s:>8}{mx:>9.1e}{ml1:>8.4f}")
            results[(name, k)] = dict(seconds=med[k], speedup=med[b] / med[k], snr=snr, max_abs=mx, mel_l1=ml1)
        n = mel.shape[-1]
        for c in (chunk, 2 * chunk):  # exact chunks recompute the receptive field at every inner chunk edge
            print(f"{'':<14}chunks of <= {c}: {chunk_work(n, c, rf):.2f}x the frames of one pass (context {rf} frames "
                  f"each side)")
        print()
    if old_chunks:
        gl = GriffinLimVocoder(cfg, n_iter=32)
        med, _ = interleaved({'gl': lambda: gl(mel)}, max(1, repeats // 2))
        print(f"{'Griffin-Lim':<14}{'32 iterations':<34}{med['gl']:>9.3f}{med['gl']/audio_s:>7.3f}")
    return results


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--repeats', type=int, default=5)
    p.add_argument('--reference', default=None,
                   help='a checkout of github:jik876/hifi-gan to time side by side (optional)')
    p.add_argument('--chunk', type=int, default=64, help='chunk length in frames for the chunked rows')
    p.add_argument('--seconds', type=float, default=4., help='length of the test clip (4 s: 344 frames)')
    p.add_argument('--models', default='v1,v3,melgan', help='comma-separated: v1, v3, melgan')
    p.add_argument('--out', default=str(Path(__file__).resolve().parents[1]/'nbs'/'results'/'vocoder_bench.json'))
    a = p.parse_args()
    res = main(a.repeats, a.reference, a.chunk, a.seconds, tuple(a.models.split(',')))
    rows = [dict(vocoder=m, variant=k, **r) for (m, k), r in res.items()]
    Path(a.out).write_text(json.dumps(dict(rounds=a.repeats, seconds=a.seconds, rows=rows), indent=1) + '\n')
