"""Levers tried for the inference defaults and not kept: torch.compile (inductor) and ONNX Runtime (fp32, int8 dynamic).

On HiFi-GAN V3 (a 4 s mel, random weights), one thread, process CPU time, least of 5 interleaved rounds
after a warm-up, against the fp32 eager inference copy; the default `vocode(model, mel)` (precision
'auto') beside them; SNR of every output against the fp32 eager one. torch.compile's compile time is
wall time with a cold inductor cache (it compiles in worker processes the CPU clock of this one does not see). ONNX
Runtime
is optional and not a dependency: pass `--ortlib DIR` where `pip install --target DIR onnxruntime onnx`
put it (appended to sys.path), or skip it. `--diffwave` adds torch.compile of the bf16 `FastDiffWave` on
one `sc09` step (1 s at 16 kHz), compiled with one time chunk per layer (the chunked loop would unroll
into a graph of ~40k operations).
Writes nbs/results/fastpath_tried.json (one section per machine), quoted by nbs/00f_fastpath.ipynb.

    OMP_NUM_THREADS=1 nice python research/fastpath/fastpath_tried.py [--ortlib DIR] [--diffwave]
"""
import argparse, json, os, sys, tempfile, time
from pathlib import Path
os.environ.setdefault('OMP_NUM_THREADS', '1'); os.environ.setdefault('MKL_NUM_THREADS', '1')
# a cold cache: the compile times a new machine pays
os.environ.setdefault('TORCHINDUCTOR_CACHE_DIR', tempfile.mkdtemp(prefix='inductor-'))
import torch
from foleybook.fastpath import snr_db, cpu_info

OUT = Path(__file__).resolve().parents[2]/'nbs'/'results'/'fastpath_tried.json'


def least(fns, rounds=5):
    "Least CPU seconds of each function over interleaved rounds (after one warm-up call each)."
    for f in fns.values(): f()
    ts = {k: [] for k in fns}
    for r in range(rounds):
        for k in (list(fns) if r % 2 == 0 else list(fns)[::-1]):
            t = time.process_time(); fns[k](); ts[k].append(time.process_time() - t)
    return {k: min(v) for k, v in ts.items()}


def compiled(m, *args):
    "torch.compile(m) after its first call, and that call's wall time (the compile)."
    cm = torch.compile(m)
    t = time.perf_counter(); cm(*args)
    return cm, time.perf_counter() - t


def hifigan(ortlib):
    from foleybook.vocoders.base import inference_copy, vocode
    from foleybook.vocoders.hifigan import HiFiGAN, HiFiGANConfig
    torch.manual_seed(0)
    g = HiFiGAN(HiFiGANConfig.preset('v3'))
    base, bf = inference_copy(g), inference_copy(g, 'bf16')
    mel = torch.randn(1, 80, 344) - 5
    rec = dict(model='HiFi-GAN V3, 4 s mel (80 x 344)', compile_wall_s={})
    with torch.inference_mode():
        fns = {'fp32 eager (inference copy)': lambda: base(mel), "default: vocode(model, mel)": lambda: vocode(g, mel)}
        c32, rec['compile_wall_s']['torch.compile fp32'] = compiled(base, mel)
        c16, rec['compile_wall_s']['torch.compile bf16'] = compiled(bf, mel)
        fns['torch.compile fp32'], fns['torch.compile bf16'] = (lambda: c32(mel)), (lambda: c16(mel))
        if ortlib:
            sys.path.append(str(ortlib))
            import onnxruntime as ort
            from onnxruntime.quantization import quantize_dynamic, QuantType
            d = Path(tempfile.mkdtemp())
            torch.onnx.export(base, (mel,), d/'m.onnx', dynamo=False, input_names=['mel'], output_names=['wave'],
                              opset_version=17)
            quantize_dynamic(d/'m.onnx', d/'q.onnx', weight_type=QuantType.QInt8)
            so = ort.SessionOptions(); so.intra_op_num_threads = so.inter_op_num_threads = 1
            s32, s8 = (ort.InferenceSession(str(d/f), so, providers=['CPUExecutionProvider']) for f in ('m.onnx',
                                                                                                        'q.onnx'))
            x = mel.numpy()
            fns['ONNX Runtime fp32'] = lambda: torch.from_numpy(s32.run(None, {'mel': x})[0])
            fns['ONNX Runtime int8 (dynamic)'] = lambda: torch.from_numpy(s8.run(None, {'mel': x})[0])
            rec['onnxruntime'] = ort.__version__
        ref = base(mel)
        rec['snr_db'] = {k: snr_db(f(), ref) for k, f in fns.items()}
        rec['seconds'] = least(fns)
    return rec


def diffwave():
    from foleybook.diffusion.diffwave import DiffWave, FastDiffWave
    from foleybook.diffusion.diffwave_blocks import DiffWaveConfig
    torch.manual_seed(0)
    m = DiffWave(DiffWaveConfig.preset('sc09'))
    with torch.no_grad():
        for p in m.out2.parameters(): p.normal_(0, 0.01)
    x, t = torch.randn(1, 1, 16000), torch.tensor([100.])
    f32, b16 = FastDiffWave(m, torch.float32), FastDiffWave(m, torch.bfloat16)
    # one chunk a layer: a graph inductor can trace (36 layers, not 36 x 32 chunks)
    whole = FastDiffWave(m, torch.bfloat16, rows=x.shape[-1])
    rec = dict(model='DiffWave sc09, one step of 1 s at 16 kHz', compile_wall_s={})
    with torch.inference_mode():
        cb, rec['compile_wall_s']['torch.compile bf16'] = compiled(whole, x, t)
        fns = {'FastDiffWave fp32': lambda: f32(x, t), 'FastDiffWave bf16': lambda: b16(x, t),
               'torch.compile bf16': lambda: cb(x, t)}
        ref = f32(x, t)
        rec['snr_db'] = {k: snr_db(f(), ref) for k, f in fns.items()}
        rec['seconds'] = least(fns, 3)
    return rec


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--ortlib', type=Path, default=None,
                    help='a folder holding onnxruntime and onnx (pip install --target)')
    ap.add_argument('--diffwave', action='store_true')
    ap.add_argument('--out', type=Path, default=OUT)
    a = ap.parse_args()
    torch.set_num_threads(1)
    cpu = cpu_info()
    machine = (f"{cpu['model']} ({'AVX-512 BF16' if 'avx512_bf16' in cpu['flags'] else 'no AVX-512 BF16'}, "
               f"{'AMX' if any(f.startswith('amx') for f in cpu['flags']) else 'no AMX'})")
    res = dict(cpu=cpu, torch=torch.__version__, when=time.strftime('%Y-%m-%d'), hifigan_v3=hifigan(a.ortlib))
    if a.diffwave: res['diffwave'] = diffwave()
    for k in ('hifigan_v3', 'diffwave'):
        if k not in res: continue
        r = res[k]; base = next(iter(r['seconds'].values()))
        print(r['model'])
        for n, s in r['seconds'].items():
            print(
                f"  {n:<32}{s:8.3f} s {base / s:6.2f}x  SNR {r['snr_db'][n]:.1f} dB"
                + (f"  (compile {r['compile_wall_s'][n]:.0f} s wall)" if n in r['compile_wall_s'] else '')
            )
    old = json.loads(a.out.read_text()) if a.out.is_file() else {}
    old[machine] = {**old.get(machine, {}), **res}
    a.out.write_text(json.dumps(old, indent=1) + '\n')


if __name__ == '__main__': main()
