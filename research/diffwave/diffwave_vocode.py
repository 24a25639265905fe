"""Whether DiffWave renders a bark when it is handed the bark's own mel: a mel-conditioned DiffWave (the published
vocoder's layout, narrowed to the demo's budget) trained on the benchmark's split of `--seed` at 8 kHz, then asked to
vocode every held-out clip from that clip's mel. The seed's judge hears the vocoded clips, the same mels inverted by
Griffin-Lim (what the mel holds) and the clips themselves at 8 kHz. The row goes to `vocoder_probes` of
nbs/results/diffwave_probes.json.

This is the second half of the route the lab notes left open for the pitched classes (a magnitude-domain first stage
whose mels a DiffWave vocoder renders): if the vocoder cannot render a real bark's mel, no first stage's mel will do.

The model is `DiffWaveConfig`'s `ljspeech` preset (its upsampler, its 50-step process to beta 0.05 and 6-level fast
sampler) with 16 residual and skip channels, 10 layers, dilations 1-16 twice, at 8 kHz on a mel of 64 bands to 4 kHz
(512-sample window, hop 128), waves x4. It trains with Adam and a one-cycle schedule to 2e-3, batch 4 of 8192-sample
crops of the split's training clips (every class), half of them the loudest of 8 random crops so that the bursts are
seen. `--steps` defaults to 1800, about the DiffWave demo's 1880 optimiser steps. Per class: the judge's accuracy on
the vocoded clips (`vocoded`), on the Griffin-Lim clips (64 iterations, `griffin_lim`) and on the real clips at 8 kHz
(`real_8k`); the vocoded clips' level against the real ones (`level_db`); for the barks the harmonicity of each
(`research/diffwave/diffwave_harmonics.py`) and what the judge filed the vocoded barks as.

Run: OMP_NUM_THREADS=1 python research/diffwave/diffwave_vocode.py --seed 0
     OMP_NUM_THREADS=1 python research/diffwave/diffwave_vocode.py --seed 0 --steps 5400 --rows rows.jsonl
     python research/diffwave/diffwave_vocode.py --seed 2 --device cuda --bs 32 --steps 50000 --rows rows.jsonl
     python research/diffwave/diffwave_vocode.py --merge rows.jsonl
"""
import argparse, json, os, sys, time
os.environ.setdefault('OMP_NUM_THREADS', '1')
from pathlib import Path
import numpy as np, torch
sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[2]/'bench')]
from foleybook.audio import load_audio, resample, pad_or_trim, MelConfig, MelSpectrogram   # noqa: E402
from foleybook.core import ConfigError   # noqa: E402
from foleybook.diffusion.core import SAMPLERS   # noqa: E402
from foleybook.diffusion.diffwave import DiffWave, DiffWaveConfig   # noqa: E402
from diffwave_harmonics import harmonicity   # noqa: E402
from diffwave_memorise import add_rows   # noqa: E402
from judge_seeds import seed_setup, parse_sets, read_rows, machine   # noqa: E402
from diffwave_budget import device_name   # noqa: E402

SR, LENGTH = 8000, 32000   # the probe's rate; 4 s clips
MEL = MelConfig(sample_rate=SR, n_fft=512, win_length=512, hop_length=128, n_mels=64, f_max=4000.)
MODEL = dict(res_channels=16, skip_channels=16, n_layers=10, dilation_cycle=5, embed_mid=128, embed_out=128, mel=MEL,
             upsample=(8, 16), sample_rate=SR, length=8192, scale=4.)


def clips(folder) -> dict:
    "Class -> the class folder's clips at 8 kHz, padded or cut to 4 s, (n, 32000)."
    return {d.name: torch.stack([pad_or_trim(load_audio(f, sr=SR)[0][0], LENGTH)   # at the file's rate, resampled
                                 for f in sorted(d.glob('*.wav'))])
            for d in sorted(Path(folder).iterdir()) if d.is_dir()}


def crops(waves, n:int, length:int, g) -> torch.Tensor:
    "`n` crops of `length` samples from random clips of `waves`, every other one the loudest of 8 random crops."
    out = []
    for i in range(n):
        w = waves[int(torch.randint(len(waves), (1,), generator=g))]
        st = torch.randint(0, w.shape[-1] - length, (8,), generator=g)
        e = torch.stack([w[s:s + length].pow(2).sum() for s in st])
        s = int(st[e.argmax()] if i % 2 else st[0])
        out.append(w[s:s + length])
    return torch.stack(out)


def vocode(seed:int=0, steps:int=1800, bs:int=4, lr:float=2e-3, sampler:str='fast', model_sets:dict=None,
           out='exp/judge_seeds', # the benchmark's folder (its data, splits and judges)
           device:str='cpu') -> dict: # where the vocoder trains and samples (the judge hears on the CPU)
    "Train the vocoder on the split's training clips, vocode its held-out clips' mels; the row."
    cfg = DiffWaveConfig.preset('ljspeech', **{**MODEL, **(model_sets or {})})   # a bad change: refused before any work
    dev, fmt, base, split, clf = seed_setup(seed, out)
    train, test = clips(split/'train'), clips(split/'test')
    torch.manual_seed(seed)
    m = DiffWave(cfg).to(device)
    c, g = m.config, torch.Generator().manual_seed(seed)
    waves = [w.to(device) for ws in train.values() for w in ws]
    opt = torch.optim.Adam(m.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=steps)
    losses, t0, w0 = [], time.process_time(), time.time()
    for s in range(steps):
        loss = m.loss(crops(waves, bs, c.length, g))
        opt.zero_grad(); loss.backward(); opt.step(); sched.step(); losses.append(loss.item())
        if (s + 1) % 200 == 0: print(s + 1, round(float(np.mean(losses[-200:])), 4), flush=True)
    cpu_min, wall_min = round((time.process_time() - t0) / 60, 2), round((time.time() - w0) / 60, 2)
    m.eval()
    ms, per_class = MelSpectrogram(MEL), {}
    acc = lambda y, k: float((clf.probs(resample(y, SR, 22050), 22050).argmax(1) == clf.classes.index(k)).mean())
    for k, x in test.items():
        with torch.no_grad():
            mel = m.mel(x.to(device))
            y = m.diffusion.sample(m, (len(x), 1, LENGTH), mel, sampler=sampler, seed=1)[:, 0].cpu() / c.scale
            gl = ms.inverse(mel.cpu(), n_iter=64, length=LENGTH)
        rms = lambda v: v.pow(2).mean().sqrt()
        row = dict(vocoded=acc(y, k), griffin_lim=acc(gl, k), real_8k=acc(x, k),
                   level_db=round(float(20 * torch.log10(rms(y) / rms(x))), 1))
        if k == 'DogBark':
            row.update(harmonicity={n: [round(harmonicity(v, SR), 3) for v in w]
                                    for n, w in (('vocoded', y), ('griffin_lim', gl), ('real', x))},
                       filed=[clf.classes[j] for j in clf.probs(resample(y, SR, 22050), 22050).argmax(1)])
        per_class[k] = row
        print(k, {n: v for n, v in row.items() if n not in ('harmonicity', 'filed')}, flush=True)
    return dict(seed=seed, steps=steps, bs=bs, lr=lr, sampler=sampler, model_sets=model_sets or {},
                params=sum(p.numel() for p in m.parameters()), train_cpu_min=cpu_min, train_wall_min=wall_min,
                device=device_name(device), machine=machine(),
                loss=round(float(np.mean(losses[-max(1, steps // 10):])), 4), per_class=per_class,
                **{n: round(float(np.mean([r[n] for r in per_class.values()])), 3)
                   for n in ('vocoded', 'griffin_lim', 'real_8k')})


def save(rows):
    "Add `rows` to `vocoder_probes` of diffwave_probes.json (a row replaces its namesake)."
    key = lambda r: (r['seed'], r['steps'], r['bs'], r['sampler'], json.dumps(r['model_sets'], sort_keys=True))
    add_rows('vocoder_probes', rows, key, ' '.join(__doc__.split('\n\n')[0].split()))


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--seed', type=int, default=0, help="the benchmark's split and judge")
    p.add_argument('--steps', type=int, default=1800)
    p.add_argument('--bs', type=int, default=4, help='crops a step')
    p.add_argument('--sampler', default='fast', help="how the mels are vocoded ('fast', 'ddpm', ...)")
    p.add_argument('--device', default='cpu', help="where the vocoder trains and samples ('cpu', 'cuda')")
    p.add_argument('--out', default='exp/judge_seeds', help="the benchmark's folder (data, splits, judges)")
    p.add_argument('--set', action='append', default=[], help='KEY=JSON, a change to the model (res_channels=32)')
    p.add_argument('--rows', default=None, help='append the row to this file (JSON lines) instead of the results')
    p.add_argument('--merge', nargs='+', default=None, help='add the rows of these files to diffwave_probes.json')
    a = p.parse_args()
    if a.merge:
        save(read_rows(p, a.merge)); sys.exit(0)
    if a.steps < 1 or a.bs < 1 or a.seed < 0: p.error('--steps and --bs must be >= 1, --seed >= 0')
    if a.sampler not in SAMPLERS: p.error(f"--sampler {a.sampler!r}: give one of {list(SAMPLERS)}")   # before training
    sets = parse_sets(p, a.set, 'res_channels=32')
    try: row = vocode(a.seed, a.steps, a.bs, sampler=a.sampler, model_sets=sets, out=a.out, device=a.device)
    except ConfigError as e: p.error(str(e))   # a --set the model config has no field for
    if a.rows:
        with open(a.rows, 'a') as f: f.write(json.dumps(row) + '\n')
    else: save([row])
    print(json.dumps({k: v for k, v in row.items() if k != 'per_class'}))
