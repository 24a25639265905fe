"""VQ-VAE decoder speed on this CPU: `VQVAE.decode(codes, precision=...)` against its fp32 eager decode, same run.

The `dcase2023` preset (the DCASE 2023 baseline's VQ-VAE, random weights: speed does not depend on them),
decoding a 20 x 86 code map (4 s of mel, 80 x 344) one clip at a time and as a batch of 16. Rows, every
one once per round, rounds interleaved, medians after a warm-up, one thread (the min-max of the
per-round ratios beside each median: other jobs share this machine's two cores):
- fp32: `decode(codes)`, the baseline (the decoder as trained, eager, no autograd);
- 'mixed': channels-last under bf16 autocast (oneDNN / AMX), the full-size output layer in fp32;
- 'bf16': every layer under bf16 autocast.
Agreement with fp32: SNR of the normalised decoder output (dB) and the mean absolute log-mel difference.

Writes the rows to nbs/results/codec_bench.json (`--out`), which nbs/04a_vqvae.ipynb shows.

    OMP_NUM_THREADS=1 .venv/bin/python bench/codec.py [--repeats 9] [--out FILE]
"""
import argparse, json, os, statistics, time
from pathlib import Path
os.environ.setdefault('OMP_NUM_THREADS', '1'); os.environ.setdefault('MKL_NUM_THREADS', '1')
import torch
from foleybook.codecs.vqvae import VQVAE, VQVAEConfig


def main(repeats=9, batches=(1, 16)):
    "Print the table; returns {(batch, precision): dict(seconds, speedup, snr, mel_l1)}."
    torch.set_num_threads(int(os.environ.get('OMP_NUM_THREADS', 1)))
    torch.manual_seed(0)
    m = VQVAE(VQVAEConfig.preset('dcase2023')).eval()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s); VQ-VAE dcase2023 decoder, 20 x 86 codes -> "
          f"80 x 344 mel; "
          f"medians of {repeats} interleaved rounds")
    print(f"CPU capability {torch.backends.cpu.get_cpu_capability()}, oneDNN bf16 kernels: "
          f"{torch.ops.mkldnn._is_mkldnn_bf16_supported()} "
          f"(without them bf16 is emulated and slower than fp32)\n")
    print(f"{'batch':>5}  {'precision':<10}{'median ms':>10}{'speed-up':>9}{'(min-max)':>14}{'SNR dB':>8}"
          f"{'log-mel L1':>11}")
    res = {}
    for B in batches:
        codes = torch.randint(0, m.n_codes, (B, 20, 86), generator=torch.Generator().manual_seed(B))
        fns = {p: (lambda p=p: m.decode(codes, precision=p)) for p in ('fp32', 'mixed', 'bf16')}
        with torch.inference_mode():
            outs = {k: f() for k, f in fns.items()}  # also the warm-up
            ts = {k: [] for k in fns}
            for r in range(repeats):
                keys = list(fns)[r % len(fns):] + list(fns)[:r % len(fns)]
                for k in keys: t = time.perf_counter(); fns[k](); ts[k].append(time.perf_counter() - t)
        ref, base = outs['fp32'], statistics.median(ts['fp32'])
        for k in fns:
            err = outs[k] - ref
            nref = m.normalize(ref)
            snr = 10 * torch.log10(nref.pow(2).sum() / err.div(m.config.mel_std).pow(2).sum().clamp_min(1e-30)).item()
            rs = [a / b for a, b in zip(ts['fp32'], ts[k])]
            med = statistics.median(ts[k])
            snr_s = 'exact' if err.abs().max() == 0 else f"{snr:.1f}"
            print(f"{B:>5}  {k:<10}{med * 1e3:>10.2f}{base / med:>8.2f}x{f'({min(rs):.2f}-{max(rs):.2f})':>14}"
                  f"{snr_s:>8}{err.abs().mean().item():>11.4f}")
            res[(B, k)] = dict(seconds=med, speedup=base / med, snr=snr, mel_l1=err.abs().mean().item())
    return res


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--repeats', type=int, default=9)
    p.add_argument('--out', default=str(Path(__file__).resolve().parents[1]/'nbs'/'results'/'codec_bench.json'))
    a = p.parse_args()
    res = main(a.repeats)
    rows = [dict(batch=b, precision=k, **r) for (b, k), r in res.items()]
    Path(a.out).write_text(json.dumps(dict(rounds=a.repeats, rows=rows), indent=1) + '\n')
