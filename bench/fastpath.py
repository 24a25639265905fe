"""The inference defaults against the reference code, on the CPU this runs on: every component of issue #28.

For each component: the reference's own code path (fp32, eager, as its inference script runs it) and
foleybook's default path (what `vocode`, `generator()`, `decode()` and the samplers run: precision 'auto',
chosen by `foleybook.fastpath` on this machine, measured here first in a fresh cache folder), with the
same weights where the two models share them, in one process, one thread, interleaved rounds (the order
alternating), process CPU time (other jobs share this machine's cores: CPU time is disturbed far less than
wall time, and the ranges of the per-round ratios are printed). Printed and written per component: the
median times and the median [range] of the per-round speed-ups, the SNR of the default's output against
the reference's, the form 'auto' chose with every candidate's time and SNR, and the achieved GFLOP/s of
the counted work (convolutions and linear layers; FFTs and attention products not counted) beside the
machine's fp32 and bf16 matrix-product peaks measured at the start (1024-2048 square matmuls through torch,
i.e. MKL for fp32: oneDNN's direct fp32 convolutions can beat that figure on AMD CPUs, so a share above 100 %
of the fp32 peak is possible).

Components and references (each fetched outside the project; pass their parent folder as --refs):
- hifigan_v1, hifigan_v3: a 4 s mel (80 x 344) of a SynthFoley clip; jik876/hifi-gan's `Generator`
  (REFS/hifigan, github:jik876/hifi-gan), weight norm removed as its inference script does; default
  `vocode(model, mel)`.
- diffwave: one denoising step of the `sc09` WaveNet (1 s at 16 kHz, batch 1); philsyn's
  `WaveNet_Speech_Commands` (REFS/diffwave, github:philsyn/DiffWave-unconditional; its step embedding's
  hard-coded `.cuda()` replaced by the same function on the CPU), its random weights loaded into
  foleybook's DiffWave with `reference_state_dict` and `step_in_residual=True` (the reference's in-place
  add); default `fast_diffwave(model)` (what `generator()` samples with).
- sashimi: one step of the `sc09` SaShiMi (1 s, batch 1); albertfgu/diffwave-sashimi's `Sashimi`
  (REFS/sashimi; needs einops and opt_einsum importable, e.g. `pip install --target REFS/pylib einops
  opt_einsum`; pytorch_lightning is stubbed, `.cuda()` replaced as above). Its S4 layer is the NPLR kernel
  (different parameters: random weights of the same size, no SNR), and without its CUDA extension or
  pykeops it falls back to its slow Cauchy kernel, as it does on any CPU. foleybook's own training form
  (weight norm, fp32, kernels recomputed every call) is timed beside it as the stricter baseline, with the
  same weights as the default `fast_sashimi(model)`.
- unet2d: one forward of the `audio_diffusion` UNet on a 256 x 256 image; diffusers' `UNet2DModel`
  (installed) with the same weights (saved by diffusers, loaded by `UNet2D.from_diffusers`); default
  `fastpath.fast_form(unet)` (what audio-diffusion sampling runs).
- vqvae_b1, vqvae_b16: the `dcase2023` VQ-VAE decoder on a 20 x 86 code map, batch 1 and 16; the DCASE 2023
  baseline's `Decoder` (REFS/dcase, github:DCASE2023-Task7-Foley-Sound-Synthesis/dcase2023_task7_baseline)
  with the same weights; default `decode(codes)`'s decoder.
- vqgan: the `vggsound` VQGAN decoder on a 5 x 53 code grid (10 s); SpecVQGAN's taming `Decoder`
  (REFS/specvqgan/model.py: `git show HEAD:specvqgan/modules/diffusionmodules/model.py` of
  github:v-iashin/SpecVQGAN) with the same weights (copied in execution order); default `decode(codes)`
  (SNR on the [0, 1] mel it returns).

Writes nbs/results/fastpath_bench.json: one section per machine (CPU model and flags), replacing only the
components run. The notebooks (00f_fastpath and each component's) quote it.

    OMP_NUM_THREADS=1 nice python bench/fastpath.py --refs ../scratch/speed [--rounds 3] [--only hifigan_v1,vqgan]
"""
import argparse, importlib.util, json, math, os, statistics, sys, tempfile, time, types
from pathlib import Path
os.environ.setdefault('OMP_NUM_THREADS', '1'); os.environ.setdefault('MKL_NUM_THREADS', '1')
import torch, torch.nn.functional as F
from torch import nn
from foleybook import fastpath
from foleybook.fastpath import snr_db, cpu_info, bf16_capable

OUT = Path(__file__).resolve().parents[1]/'nbs'/'results'/'fastpath_bench.json'


def peaks(sizes=(1024, 2048), reps=4):
    "The best fp32 and bf16 matrix-product rates (GFLOP/s) of square matmuls on this thread."
    out = {}
    for dt in (torch.float32, torch.bfloat16):
        best = 0.
        for n in sizes:
            a, b = torch.randn(n, n).to(dt), torch.randn(n, n).to(dt)
            a @ b
            for _ in range(reps):
                t = time.process_time(); a @ b; best = max(best, 2 * n ** 3 / max(time.process_time() - t, 1e-9) / 1e9)
        out['fp32' if dt == torch.float32 else 'bf16'] = best
    return out


def flops(model, *args, **kw):
    "FLOPs of the convolutions and linear layers one call of `model` runs (2 x multiply-adds)."
    macs = []
    def hook(m, i, o):
        x = i[0]
        if isinstance(m, nn.Linear): macs.append(o.numel() * m.in_features)
        elif isinstance(m, (nn.ConvTranspose1d, nn.ConvTranspose2d)):
            macs.append(x.numel() * m.out_channels // m.groups * math.prod(m.kernel_size))
        else: macs.append(o.numel() * m.in_channels // m.groups * math.prod(m.kernel_size))
    hs = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m,
        (nn.Linear, nn.Conv1d, nn.Conv2d, nn.ConvTranspose1d, nn.ConvTranspose2d))]
    with torch.inference_mode(): model(*args, **kw)
    for h in hs: h.remove()
    return 2 * sum(macs)


def timed(fns, rounds):
    "CPU seconds of each function per round (one warm-up call each first), the order alternating each round."
    outs = {k: f() for k, f in fns.items()}
    ts, keys = {k: [] for k in fns}, list(fns)
    for r in range(rounds):
        for k in (keys if r % 2 == 0 else keys[::-1]):
            t = time.process_time(); fns[k](); ts[k].append(time.process_time() - t)
    return ts, outs


def row(name, fns, rounds, work, snr_ref=None, note=''):
    "Time `fns` (reference first, the default last) and print / return the component's record."
    with torch.inference_mode(): ts, outs = timed(fns, rounds)
    keys = list(fns); ref, default = keys[0], keys[-1]
    rec = dict(note=note, flops=work, rounds=rounds, seconds={k: statistics.median(v) for k, v in ts.items()},
               all_seconds=ts, speedup={}, speedup_range={}, snr_db={})
    for k in keys:
        r = [a / b for a, b in zip(ts[ref], ts[k])]
        rec['speedup'][k], rec['speedup_range'][k] = statistics.median(r), (min(r), max(r))
        base = outs[snr_ref] if snr_ref else outs[ref]
        rec['snr_db'][k] = snr_db(outs[k], base)
    rec['gflops'] = {k: work / rec['seconds'][k] / 1e9 for k in keys}
    rec['default'], rec['reference'] = default, ref
    for k in keys:
        snr = rec['snr_db'][k]
        s = 'exact' if snr == math.inf else '-' if snr is None else f"{snr:.1f}"
        print(f"{name:<12}{k:<44}{rec['seconds'][k]:>9.3f}{rec['speedup'][k]:>8.2f}x "
              f"({rec['speedup_range'][k][0]:.2f}-{rec['speedup_range'][k][1]:.2f})"
              f"{s:>8}{rec['gflops'][k]:>9.1f}", flush=True)
    return rec


def _import(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec); sys.modules[name] = mod; spec.loader.exec_module(mod)
    return mod


def _step_embedding(steps, d):   # the references' step embedding without their hard-coded .cuda()
    half = d // 2
    e = torch.exp(torch.arange(half) * -(math.log(10000) / (half - 1)))
    e = steps * e
    return torch.cat((torch.sin(e), torch.cos(e)), 1)


def hifigan(refs, preset, rounds):
    from foleybook.audio import MelConfig, MelSpectrogram
    from foleybook.data.synth import SynthFoley
    from foleybook.vocoders.base import vocode, fast_vocoder
    from foleybook.vocoders.hifigan import HiFiGAN, HiFiGANConfig
    import contextlib, io
    sys.path.insert(0, str(refs/'hifigan'))
    mod = _import(refs/'hifigan'/'models.py', 'jik876_models')
    from env import AttrDict
    cfg = MelConfig.preset('hifigan')
    clip = torch.from_numpy(SynthFoley(1, seed=0).clip('DogBark', 0))[:4 * cfg.sample_rate]
    mel = MelSpectrogram(cfg)(clip[None])
    torch.manual_seed(0)
    model = HiFiGAN(HiFiGANConfig.preset(preset))
    ref = mod.Generator(AttrDict(json.load(open(refs/'hifigan'/f'config_{preset}.json'))))
    with contextlib.redirect_stdout(io.StringIO()): ref.remove_weight_norm()
    from foleybook.vocoders.base import inference_copy
    ref.load_state_dict(inference_copy(model).state_dict()); ref.eval().requires_grad_(False)
    fns = {'jik876 reference (fp32, weight norm removed)': lambda: ref(mel),
           "default: vocode(model, mel)": lambda: vocode(model, mel)}
    r = row(f'hifigan_{preset}', fns, rounds, flops(ref, mel), note=f'4 s mel (80 x {mel.shape[-1]}), random weights')
    r['chosen'] = fast_vocoder(model).choose(mel.to(torch.float32))
    return r


def diffwave(refs, rounds):
    from foleybook.diffusion.diffwave import DiffWave, fast_diffwave
    from foleybook.diffusion.diffwave_blocks import DiffWaveConfig
    from foleybook.diffusion.diffwave_checkpoints import reference_state_dict
    sys.path.insert(0, str(refs/'diffwave'))
    util = _import(refs/'diffwave'/'util.py', 'util'); util.calc_diffusion_step_embedding = _step_embedding
    wn = _import(refs/'diffwave'/'WaveNet.py', 'philsyn_wavenet'); wn.calc_diffusion_step_embedding = _step_embedding
    torch.manual_seed(0)
    ref = wn.WaveNet_Speech_Commands(**json.load(open(refs/'diffwave'/'config.json'))['wavenet_config']).eval()
    # a non-zero output layer, as after training
    with torch.no_grad(): nn.init.normal_(ref.final_conv[2].conv.weight, std=0.01)
    model = DiffWave(DiffWaveConfig.preset('sc09', step_in_residual=True))
    model.load_state_dict(reference_state_dict(ref.state_dict()))
    fast = fast_diffwave(model)
    x, t = torch.randn(1, 1, 16000), torch.tensor([100.])
    def reference():
        with torch.no_grad(): return ref((x.clone(), t[:, None]))   # the reference adds in place into its input
    fns = {'philsyn reference (fp32, weight norm, no_grad)': reference,
           'default: fast_diffwave(model) (generator())': lambda: fast(x, t)}
    r = row('diffwave', fns, rounds, flops(ref, (x.clone(), t[:, None])),
            note='sc09 WaveNet (256 x 36), one step of 1 s at 16 kHz, batch 1, random weights')
    r['chosen'] = fast.choose(x, t) if hasattr(fast, 'choose') else 'fp32'
    return r


def sashimi(refs, rounds):
    from foleybook.diffusion.sashimi import Sashimi, SashimiConfig, fast_sashimi
    sys.path[:0] = [str(refs/'pylib'), str(refs/'sashimi')]
    pl, plu = types.ModuleType('pytorch_lightning'), types.ModuleType('pytorch_lightning.utilities')
    plu.rank_zero_only = lambda f: f; pl.utilities = plu
    sys.modules.setdefault('pytorch_lightning', pl); sys.modules.setdefault('pytorch_lightning.utilities', plu)
    import warnings; warnings.filterwarnings('ignore')
    import models.sashimi as ms
    ms.calc_diffusion_step_embedding = _step_embedding
    torch.manual_seed(0)
    ref = ms.Sashimi(d_model=128, n_layers=6, pool=[4, 4], expand=2, ff=2, unconditional=True, L=16000).eval()
    model = Sashimi(SashimiConfig.preset('sc09')).eval()
    with torch.no_grad(): nn.init.normal_(model.out2.weight, std=0.1)
    fast = fast_sashimi(model)
    x, t = torch.randn(1, 1, 16000), torch.tensor([100.])
    def reference():
        with torch.no_grad(): return ref((x, t[:, None]))
    def training_form():
        with torch.no_grad(): return model(x, t)
    fns = {'albertfgu reference (fp32, NPLR S4, CPU fallback kernel)': reference,
           'foleybook training form (fp32, weight norm)': training_form,
           'default: fast_sashimi(model) (generator())': lambda: fast(x, t)}
    r = row('sashimi', fns, rounds, flops(model, x, t), snr_ref='foleybook training form (fp32, weight norm)',
            note='sc09 SaShiMi (d_model 128, 6 blocks a stage), one step of 1 s at 16 kHz, batch 1; the reference has '
                 'its own random weights')
    r['chosen'] = fast.choose(x, t) if hasattr(fast, 'choose') else 'fp32'
    r['snr_db']['albertfgu reference (fp32, NPLR S4, CPU fallback kernel)'] = None
    return r


def unet2d(refs, rounds):
    from diffusers import UNet2DModel
    from foleybook.diffusion.unet2d import UNet2D
    from foleybook.fastpath import fast_form
    torch.manual_seed(0)
    ref = UNet2DModel(sample_size=256, in_channels=1, out_channels=1, layers_per_block=2,
                      block_out_channels=(128, 128, 256, 256, 512, 512),
                      down_block_types=('DownBlock2D',) * 4 + ('AttnDownBlock2D', 'DownBlock2D'),
                      up_block_types=('UpBlock2D', 'AttnUpBlock2D') + ('UpBlock2D',) * 4).eval()
    with tempfile.TemporaryDirectory() as d:
        ref.save_pretrained(d); model = UNet2D.from_diffusers(d)
    fast = fast_form(model, name='UNet2D')
    x, t = torch.randn(1, 1, 256, 256), torch.tensor([10])
    fns = {'diffusers UNet2DModel (fp32)': lambda: ref(x, t).sample,
           'default: fast_form(unet) (audio-diffusion sampling)': lambda: fast(x, t)}
    r = row('unet2d', fns, rounds, flops(ref, x, t),
            note='audio_diffusion UNet (128-512 channels), one forward of 1 x 256 x 256, random weights')
    r['chosen'] = fast.choose(x, t) if hasattr(fast, 'choose') else 'fp32'
    return r


def vqvae(refs, rounds, B):
    from foleybook.codecs.vqvae import VQVAE, VQVAEConfig
    base = _import(refs/'dcase'/'vqvae.py', 'dcase_vqvae')
    torch.manual_seed(0)
    model = VQVAE(VQVAEConfig.preset('dcase2023')).eval()
    ref = base.Decoder(64, 1, 128, 2, 32, stride=4).eval()
    ref.load_state_dict({k.replace('net.', 'blocks.', 1): v for k, v in model.decoder.state_dict().items()})
    codes = torch.randint(0, 512, (B, 20, 86), generator=torch.Generator().manual_seed(B))
    z = model.quantizer.decode(codes)
    fns = {'DCASE baseline Decoder (fp32)': lambda: ref(z.clone()),
           "default: decode(codes)'s decoder": lambda: model._run_decoder(z)}
    r = row(f'vqvae_b{B}', fns, rounds, flops(ref, z.clone()),
            note=f'dcase2023 decoder, {B} x 20 x 86 codes -> 80 x 344, random weights')
    r['chosen'] = next(v['choice'] for (f, k), v in fastpath._MEMO.items() if k.startswith('VQVAE.decoder'))
    return r


def vqgan(refs, rounds):
    from foleybook.codecs.vqgan import VQGAN, VQGANConfig
    tm = _import(refs/'specvqgan'/'model.py', 'taming_model')
    torch.manual_seed(0)
    model = VQGAN(VQGANConfig.preset('vggsound')).eval()
    c = model.config
    ref = tm.Decoder(ch=c.ch, out_ch=1, ch_mult=c.ch_mult, num_res_blocks=c.n_res_blocks,
                     attn_resolutions=list(c.attn_resolutions),
                     dropout=0.0, in_channels=1, resolution=c.n_frames, z_channels=c.z_channels).eval()
    codes = torch.randint(0, c.n_codes, (1, 5, 53), generator=torch.Generator().manual_seed(0))
    z = model.post_quant_conv(model.quantizer.decode(codes)).detach()
    seen_a, seen_b = [], []
    ha = [m.register_forward_hook(lambda m, i, o: seen_a.append(m)) for m in model.decoder.modules() if isinstance(m,
        (nn.Conv2d, nn.GroupNorm))]
    hb = [m.register_forward_hook(lambda m, i, o: seen_b.append(m)) for m in ref.modules() if isinstance(m,
        (nn.Conv2d, nn.GroupNorm))]
    with torch.no_grad(): model.decoder(z); ref(z)
    for h in ha + hb: h.remove()
    assert len(seen_a) == len(seen_b)
    with torch.no_grad():
        for a, b in zip(seen_a, seen_b): b.weight.copy_(a.weight); b.bias.copy_(a.bias)
    mel = lambda y: model._mel_out(y, 848).clamp(0, 1)
    fns = {'SpecVQGAN taming Decoder (fp32)': lambda: mel(ref(z)),
           'default: decode(codes)': lambda: model.decode(codes)}
    r = row('vqgan', fns, rounds, flops(ref, z),
            note='vggsound decoder, 5 x 53 codes -> 80 x 848 mel (10 s), random weights; SNR on the [0, 1] mel')
    r['chosen'] = next(v['choice'] for (f, k), v in fastpath._MEMO.items() if k.startswith('VQGAN.decoder'))
    return r


COMPONENTS = {'hifigan_v1': lambda a: hifigan(a.refs, 'v1', a.rounds),
              'hifigan_v3': lambda a: hifigan(a.refs, 'v3', a.rounds),
              'diffwave': lambda a: diffwave(a.refs, a.rounds),
              'sashimi': lambda a: sashimi(a.refs, max(2, a.rounds - 1)),
              'unet2d': lambda a: unet2d(a.refs, a.rounds), 'vqvae_b1': lambda a: vqvae(a.refs, 3 * a.rounds, 1),
              'vqvae_b16': lambda a: vqvae(a.refs, a.rounds, 16), 'vqgan': lambda a: vqgan(a.refs, a.rounds)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--refs', type=Path, required=True,
                    help='folder holding hifigan/, diffwave/, sashimi/ (+ pylib/), dcase/, specvqgan/model.py')
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--only', default=','.join(COMPONENTS))
    ap.add_argument('--out', type=Path, default=OUT)
    a = ap.parse_args()
    torch.set_num_threads(1)
    os.environ['FOLEYBOOK_FASTPATH_CACHE'] = tempfile.mkdtemp(prefix='fastpath-bench-')   # 'auto' measures afresh here
    os.environ.pop('FOLEYBOOK_PRECISION', None)   # the default is what 'auto' measures, whatever the shell pins
    cpu = cpu_info()
    amx = any(f.startswith('amx') for f in cpu['flags'])
    machine = (f"{cpu['model']} ({'AVX-512 BF16' if 'avx512_bf16' in cpu['flags'] else 'no AVX-512 BF16'}, "
               f"{'AMX' if amx else 'no AMX'})")
    pk = peaks()
    print(f"{machine}; torch {torch.__version__}, 1 thread, oneDNN bf16 kernels: {bf16_capable()}; load "
          f"{os.getloadavg()[0]:.1f}")
    print(f"matmul peaks: fp32 {pk['fp32']:.0f} GFLOP/s, bf16 {pk['bf16']:.0f} GFLOP/s; CPU times, {a.rounds} "
          f"interleaved rounds\n")
    print(f"{'component':<12}{'path':<44}{'median s':>9}{'speed-up':>9} (range){'SNR dB':>9}{'GFLOP/s':>9}")
    res, records = {}, {}
    def cached():
        return {k: v for f in Path(os.environ['FOLEYBOOK_FASTPATH_CACHE']).glob('*.json') for k,
                v in json.loads(f.read_text())['choices'].items()}
    for name in a.only.split(','):
        # the peaks of this run (a later run of one component keeps its own)
        res[name] = dict(COMPONENTS[name](a), peaks=pk)
        for k, v in cached().items():   # the forms 'auto' timed for this component (every candidate's time and SNR)
            if k not in records:
                records[k] = dict({x: v[x] for x in ('name', 'choice', 'seconds', 'snr_db', 'rounds')}, component=name,
                                  size={w: s for w, s in v['what'].items() if w != 'config'})
        r = res[name]; d = r['default']
        print(f"{'':<12}'auto' chose {r['chosen']!r}; default at {r['gflops'][d]:.0f} GFLOP/s = "
              f"{r['gflops'][d] / pk['fp32']:.0%} of the fp32 peak,"
              f" {r['gflops'][d] / pk['bf16']:.0%} of the bf16 peak\n", flush=True)
    old = json.loads(a.out.read_text()) if a.out.is_file() else {}
    sec = old.get(machine, {})
    sec.update(cpu=cpu, torch=torch.__version__, bf16_kernels=bf16_capable(), peaks=pk, load=os.getloadavg()[0],
               when=time.strftime('%Y-%m-%d'))
    sec.setdefault('components', {}).update(res)
    sec.setdefault('auto_records', {}).update(records)
    old[machine] = sec
    a.out.write_text(json.dumps(old, indent=1, default=lambda o: None) + '\n')
    print(f"wrote {a.out.name} [{machine}]")


if __name__ == '__main__': main()
