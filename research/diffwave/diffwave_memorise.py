"""Whether the DiffWave demo's denoiser can learn one bark: the `demo` preset's SaShiMi (or `demo_wavenet`'s WaveNet)
trained on a single 1 s excerpt of one SynthFoley bark, the excerpt fixed or shifted at random. The row goes to
`memorise_probes` of nbs/results/diffwave_probes.json.

The clip is SynthFoley's DogBark clip `--clip` (dataset seed 0, 22,050 Hz, 4 s) resampled to the model's 8 kHz; the
excerpt is the second that starts a quarter second before its loudest 50 ms (or at the clip's start). With `--shift S`
every training example starts at a random offset in [0, S) samples from the excerpt's start (the whole 4 s clip for
S = 24000), as the recipe's random crops do. With `--clips N` the examples come from N clips (`--clip` on), each from
its own excerpt (aligned on its loudest 50 ms for S = 0); the probes below stay on the first clip's excerpt. The model
is class-conditional with one class and trains with Adam and torch's one-cycle schedule to the preset's peak learning
rate, batch 4 (`--bs`). Every 250 steps the row records the one-step clean estimate's SNR (dB) of the excerpt noised to
steps 5-40 (`snr`: input SNR, output SNR); at the end four clips sampled with DDPM's 50 steps are compared with the
excerpt: `harmonicity` (research/diffwave/diffwave_harmonics.py's measure; the excerpt's in `harmonicity_clean`),
`xcorr` (the
peak of their normalised cross-correlation with it over every lag: 1 for the excerpt itself, shifted), `xcorr_any`
and `nearest_clip` (the same peak against the training clip's excerpt it is nearest: near 1 for a memorised clip) and
`level_db` (their rms against the excerpt's). `--device cuda --bs 64 --set d_model=64` trains larger batches or
models on a GPU; `--rows F` appends the row to F as a JSON line instead, and `--merge F` adds such rows to the results
file.

Run: OMP_NUM_THREADS=1 python research/diffwave/diffwave_memorise.py --backbone sashimi --shift 0
     OMP_NUM_THREADS=1 python research/diffwave/diffwave_memorise.py --backbone sashimi --shift 24000
     OMP_NUM_THREADS=1 python research/diffwave/diffwave_memorise.py --backbone sashimi --clips 30
     python research/diffwave/diffwave_memorise.py --clips 30 --device cuda --bs 64 --steps 2000 --rows rows.jsonl
     python research/diffwave/diffwave_memorise.py --merge rows.jsonl
"""
import argparse, fcntl, json, os, sys, time
os.environ.setdefault('OMP_NUM_THREADS', '1')
from pathlib import Path
import numpy as np, torch
sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[2]/'bench')]
from foleybook.audio import resample   # noqa: E402
from foleybook.core import ConfigError   # noqa: E402
from foleybook.data.synth import SynthFoley   # noqa: E402
from foleybook.diffusion.diffwave import DiffWave, DiffWaveConfig   # noqa: E402
from foleybook.diffusion.sashimi import Sashimi, SashimiConfig   # noqa: E402
from foleybook.systems.diffwave.recipe import RECIPE_PRESETS   # noqa: E402
from diffwave_harmonics import harmonicity   # noqa: E402
from judge_seeds import machine, parse_sets, read_rows, RESULTS   # noqa: E402
from diffwave_budget import device_name   # noqa: E402

# backbone -> (recipe preset, config class, model class)
BACKBONES = {'sashimi': ('demo', SashimiConfig, Sashimi), 'wavenet': ('demo_wavenet', DiffWaveConfig, DiffWave)}
PROBE_STEPS = (5, 10, 20, 30, 40)


def xcorr_peak(x, y) -> float:
    "Peak over every lag of the normalised cross-correlation of `x` and `y` (equal lengths)."
    n = 2 * len(x)
    c = torch.fft.irfft(torch.fft.rfft(x, n) * torch.fft.rfft(y, n).conj(), n)
    return float(c.abs().max() / (x.norm() * y.norm()))


def excerpt(clip:int, sr:int, length:int):
    "SynthFoley's DogBark clip `clip` at `sr` and the start of its `length` samples around the loudest 50 ms."
    w = resample(torch.from_numpy(SynthFoley(40, seed=0).clip('DogBark', clip))[None], 22050, sr)[0].float()
    hop = sr // 20
    e = w[:len(w) // hop * hop].pow(2).reshape(-1, hop).sum(1)
    return w, int(min(max(0, int(e.argmax()) * hop - length // 4), len(w) - length))


def memorise(backbone:str, shift:int, steps:int, clip:int=0, every:int=250, seed:int=0,
             clips:int=1, # > 1: examples from clips `clip` .. `clip + clips - 1`, each from its excerpt
             bs:int=4, # examples a step
             device:str='cpu', # where the model trains and samples
             model_sets:dict=None) -> dict: # changes to the preset's model config (e.g. {'d_model': 64})
    "Train the backbone's demo model on the excerpt (fixed, or shifted by up to `shift`); the row."
    preset, cfg_cls, model_cls = BACKBONES[backbone]
    tr = RECIPE_PRESETS[preset]['train']
    torch.manual_seed(seed)
    m = model_cls(cfg_cls.preset(tr['preset'], **{**tr['model'], **(model_sets or {}), 'n_classes': 1,
                                                  'class_names': ('DogBark',)})).to(device)
    c, D = m.config, m.diffusion
    ws, starts = zip(*[excerpt(j, c.sample_rate, c.length) for j in range(clip, clip + clips)])
    ws = [w.to(device) for w in ws]
    shift = min(shift, len(ws[0]) - c.length)
    starts = [min(i, len(w) - c.length - shift) for w, i in zip(ws, starts)]
    clean = ws[0][starts[0]:starts[0] + c.length]   # the probes' excerpt: the first clip's
    cls = torch.zeros(bs, dtype=torch.long, device=device)
    opt = torch.optim.Adam(m.parameters(), lr=tr['lr'])
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, tr['lr'], total_steps=steps)
    db = lambda x, y: round(float(10 * torch.log10(y.pow(2).sum() / (x - y).pow(2).sum())), 1)

    @torch.no_grad()
    def probe():
        m.eval(); x, out = clean[None, None] * c.scale, {}
        for t in PROBE_STEPS:
            tt = torch.tensor([float(t)], device=device); ab = D.abar(tt)
            xt = D.q_sample(x, tt, torch.randn(x.shape, generator=torch.Generator().manual_seed(t)).to(device))
            x0 = D.to_eps_x0(m(xt, tt, cls[:1]).float(), xt, ab)[1]
            out[t] = [db(xt / ab.sqrt(), x), db(x0, x)]
        m.train(); return out

    curve, losses, t0, w0 = [], [], time.process_time(), time.time()
    for s in range(steps + 1):
        if s % every == 0 or s == steps:
            curve.append(dict(step=s, cpu_min=round((time.process_time() - t0) / 60, 2),
                              wall_min=round((time.time() - w0) / 60, 2),
                              loss=round(float(np.mean(losses[-100:])), 4) if losses else None, snr=probe()))
            print(curve[-1], flush=True)
        if s == steps: break
        k = torch.randint(0, shift, (bs,)) if shift else torch.zeros(bs, dtype=torch.long)
        js = torch.randint(0, clips, (bs,)).tolist() if clips > 1 else [0] * bs
        cut = lambda j, o: ws[j][starts[j] + int(o):starts[j] + int(o) + c.length]
        loss = m.loss(torch.stack([cut(j, o) for j, o in zip(js, k)]), cls)
        opt.zero_grad(); loss.backward(); opt.step(); sched.step(); losses.append(loss.item())
    m.eval()
    with torch.no_grad():
        g = D.sample(m, (4, 1, c.length), cls.new_zeros(4), sampler='ddpm', seed=1)[:, 0].cpu() / c.scale
    clean = clean.cpu()
    exc = [w[i:i + c.length].cpu() for w, i in zip(ws, starts)]   # every clip's excerpt: memorised, or new?
    near = [max(range(clips), key=lambda j: xcorr_peak(x, exc[j])) for x in g]
    return dict(backbone=backbone, preset=preset, shift=shift, clip=clip, clips=clips, steps=steps, seed=seed, bs=bs,
                model_sets=model_sets or {}, params=sum(p.numel() for p in m.parameters()),
                device=device_name(device), train_cpu_min=curve[-1]['cpu_min'],
                train_wall_min=curve[-1]['wall_min'], curve=curve, harmonicity_clean=round(harmonicity(clean, 8000), 3),
                harmonicity=[round(harmonicity(x, c.sample_rate), 3) for x in g],
                xcorr=[round(xcorr_peak(x, clean), 3) for x in g],
                xcorr_any=[round(xcorr_peak(x, exc[j]), 3) for x, j in zip(g, near)], nearest_clip=near,
                level_db=[round(float(20 * torch.log10(x.pow(2).mean().sqrt() / clean.pow(2).mean().sqrt())), 1)
                          for x in g])


def add_rows(section:str, rows, key, what:str):
    ("Add `rows` to `section` of diffwave_probes.json (a row replaces the one with its `key(row)`), one writer at a "
     "time; a new section is described by `what`.")
    with open(RESULTS/'diffwave_probes.json', 'r+') as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        res = json.load(f)
        mp = res.setdefault(section, dict(what=what, machine=machine(), runs=[]))
        new = {key(r) for r in rows}
        mp['runs'] = [r for r in mp['runs'] if key(r) not in new] + rows
        f.seek(0); f.truncate(); f.write(json.dumps(res, indent=1) + '\n')


def save(rows):
    "Add `rows` to `memorise_probes` of diffwave_probes.json (a row replaces its namesake)."
    key = lambda r: (r['backbone'], r['shift'], r['clip'], r.get('clips', 1), r['steps'], r.get('bs', 4),
                     json.dumps(r.get('model_sets', {}), sort_keys=True))
    add_rows('memorise_probes', rows, key, ' '.join(__doc__.split('\n\n')[0].split()))


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--backbone', default='sashimi', choices=list(BACKBONES))
    p.add_argument('--shift', type=int, default=0, help='excerpts start at a random offset in [0, shift) samples')
    p.add_argument('--steps', type=int, default=1500)
    p.add_argument('--clip', type=int, default=0, help="SynthFoley's DogBark clip")
    p.add_argument('--clips', type=int, default=1, help='> 1: that many clips from --clip on, each from its excerpt')
    p.add_argument('--bs', type=int, default=4, help='examples a step')
    p.add_argument('--device', default='cpu', help="where the model trains ('cpu', 'cuda')")
    p.add_argument('--set', action='append', default=[], help='KEY=JSON, a change to the model config (d_model=64)')
    p.add_argument('--rows', default=None, help='append the row to this file (JSON lines) instead of the results')
    p.add_argument('--merge', nargs='+', default=None, help='add the rows of these files to diffwave_probes.json')
    a = p.parse_args()
    if a.merge:
        save(read_rows(p, a.merge)); sys.exit(0)
    if a.clips < 1 or a.shift < 0 or a.steps < 1 or a.clip < 0 or a.bs < 1:
        p.error('--clips, --steps and --bs must be >= 1, --shift and --clip >= 0')
    sets = parse_sets(p, a.set, 'd_model=64')
    try: row = memorise(a.backbone, a.shift, a.steps, a.clip, clips=a.clips, bs=a.bs, device=a.device, model_sets=sets)
    except ConfigError as e: p.error(str(e))   # a --set the model config has no field for
    if a.rows:
        with open(a.rows, 'a') as f: f.write(json.dumps(row) + '\n')
    else: save([row])
    print(json.dumps({k: v for k, v in row.items() if k != 'curve'}))
