"""Why SpecVQGAN's steered prior follows a loudness control least, and what fixes it (probe).

Run from the repository root: OMP_NUM_THREADS=1 python research/timing/specvqgan_timing.py [--variants a,b] [--n 1]
Writes research/timing/specvqgan_timing.json. Uses bench/timing_control.py's protocol (`run_seed`: per seed 0, 1, 2
the curve of one held-out SynthFoley clip per class; free, reranked, guided (k=1), guided + reranked (k=4), real;
the judge's recognition of each set) on the committed demo model, one variant of the control at a time.
"""
import argparse, json, os, sys, time
os.environ.setdefault('OMP_NUM_THREADS', '1')
from pathlib import Path
import numpy as np, torch
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT/'bench'))
import timing_control as tc
from foleybook.core import model_device
from foleybook.pretrained import load_pretrained
from foleybook.audio import MelSpectrogram, pad_or_trim
from foleybook.vocoders.base import vocode
from foleybook.control import from_audio, breakpoints, e_l1, level_gain, FLOOR_DB
from foleybook.data.synth import SynthFoley
from foleybook.data.loaders import crop_frames


def mel_gain(pipe, mel, control, within=True, max_db=40.):
    """The decoded mels (n, n_mels, F) with each frame's level moved toward `control` (dB, both ways at most
    `max_db`); `within`: only the shape inside each code column (its mean level stays the codes')."""
    ms = MelSpectrogram(pipe.codec.mel_config)
    F_ = mel.shape[-1]
    lv = 10 * torch.log10((ms.unscale(mel.float().cpu()) ** 2).sum(-2).clamp_min(1e-20))   # (n, F) dB, mel scale
    T = torch.as_tensor(control.at(pipe.sample_rate / pipe.codec.mel_config.hop_length, F_).loudness,
                        dtype=torch.float32)
    T = T.clamp_min(FLOOR_DB)
    on = T > FLOOR_DB
    off = (T[on][None] - lv[:, on]).mean(-1, keepdim=True) if on.any() else torch.zeros(len(lv), 1)
    L = lv + off                            # the mel's frame levels on the control's scale (its sounding frames)
    g = torch.where(on[None], T[None] - L, (FLOOR_DB - L).clamp(max=0))
    if within:
        w = F_ // pipe.prior.config.code_shape[1]
        gc = g[:, :w * (F_ // w)].reshape(len(g), -1, w)
        g = torch.cat([(gc - gc.mean(-1, keepdim=True)).reshape(len(g), -1),
                       torch.zeros(len(g), F_ - gc.shape[1] * w)], 1)
    g = g.clamp(-max_db, max_db)
    x = ms.unscale(mel.float().cpu()) * 10 ** (g[:, None] / 20)
    return ms.scale(x)


class Variant:
    "The demo pipeline with a control followed as `how` says: steer the codes and / or a gain on the decoded mels."
    seeds_per_clip = True
    def __init__(self, pipe, steer=1., gain=None, max_db=40., nucleus=None):
        self.p, self.steer, self.gain, self.max_db, self.nucleus = pipe, steer, gain, max_db, nucleus
        self.sample_rate, self.classes = pipe.sample_rate, pipe.classes
    def control_options(self, c): return {'_ctl': c}
    def generate(self, cond, n=1, seed=0, _ctl=None, **kw):
        p = self.p
        curve = _ctl if (_ctl is not None and self.steer) else None
        if curve is not None:   # the GPT samples column by column: position i is row i % rows of column i // rows
            from foleybook.priors.sampling import curve_steer, filter_logits
            rows, cols = p.prior.config.code_shape
            st = curve_steer(p.codec, curve, (rows, cols), n, p.n_samples / p.sample_rate, self.steer)
            def on_step(i, logits):   # with `nucleus`: steered only among the prior's own nucleus of codes
                keep = torch.isfinite(filter_logits(logits.float(), top_p=self.nucleus)) if self.nucleus else None
                st(i % rows, i // rows, logits)
                if keep is not None: logits.masked_fill_(~keep, float('-inf'))
            codes = p.prior.sample(p.condition(cond), n, seed=seed, on_step=on_step)
        else: codes = p.sample_codes(cond, n, seed=seed, **kw)
        mel = p.codec.decode(codes.to(model_device(p.codec)))
        if _ctl is not None and self.gain: mel = mel_gain(p, mel, _ctl, self.gain == 'within', self.max_db)
        w = vocode(p.vocoder, mel.float(), precision='fp32')
        return pad_or_trim(torch.as_tensor(w).reshape(n, -1).float(), p.n_samples)


VARIANTS = {'steer': dict(steer=1.), 'steer3': dict(steer=3.), 'steer0.3': dict(steer=.3),
            'within': dict(steer=0., gain='within'), 'steer+within': dict(steer=1., gain='within'),
            'steer.5+within': dict(steer=.5, gain='within'),
            'full': dict(steer=0., gain='full'), 'steer+full': dict(steer=1., gain='full'),
            'nuc.9+within': dict(steer=1., gain='within', nucleus=.9),
            'nuc.9+full12': dict(steer=1., gain='full', max_db=12., nucleus=.9),
            'nuc.95+within': dict(steer=1., gain='within', nucleus=.95),
            'full12': dict(steer=0., gain='full', max_db=12.), 'steer+full12': dict(steer=1., gain='full', max_db=12.)}


def codebook_floor(pipe, data, seeds, classes):
    "E-L1 of each control's own clip through the VQGAN (encode, decode, vocode), level-matched: what codes can reach."
    ms, out = MelSpectrogram(pipe.codec.mel_config), []
    for s in seeds:
        for c in classes:
            w = torch.as_tensor(data.clip(c, tc.HELD_OUT + s * 2)).float()
            ctl = from_audio(w, data.sr)
            mel = crop_frames(ms(w.reshape(1, -1)), pipe.n_frames)
            for key, m in (('vocoder', mel), ('codebook', pipe.codec.decode(pipe.codec.encode(mel)))):
                y = pad_or_trim(torch.as_tensor(vocode(pipe.vocoder, m, precision='fp32')).reshape(-1), pipe.n_samples)
                out.append((key, c, s, tc.err(ctl, y * level_gain(ctl, y, pipe.sample_rate), pipe.sample_rate)))
    return {key: dict(mean=float(np.mean([e for k, *_, e in out if k == key])),
                      per_class={c: float(np.mean([e for k, cc, _, e in out if k == key and cc == c]))
                                 for c in classes})
            for key in ('vocoder', 'codebook')}


def level_agreement(pipe, n=16):
    "How well the context-free code level table predicts the level each code decodes to in a sampled map (columns)."
    from foleybook.priors.sampling import code_levels
    rows, cols = pipe.prior.config.code_shape
    ms = MelSpectrogram(pipe.codec.mel_config)
    table = code_levels(lambda c: pipe.codec.decode(c), pipe.codec.n_codes, (rows, cols), ms.unscale)
    xs, ys = [], []
    for c in pipe.classes:
        codes = pipe.sample_codes(c, n, seed=list(range(n)))
        mel = pipe.codec.decode(codes)
        lv = 10 * torch.log10((ms.unscale(mel) ** 2).sum(1).clamp_min(1e-12))   # (n, F)
        w = mel.shape[-1] // cols
        col = 10 * torch.log10((10 ** (lv[:, :w * cols] / 10)).reshape(n, cols, w).mean(-1))
        xs.append(table[codes].mean(1).reshape(-1)); ys.append(col.reshape(-1))
    x, y = torch.cat(xs).numpy(), torch.cat(ys).numpy()
    return dict(corr=float(np.corrcoef(x, y)[0, 1]), table_span_db=float(table.max() - table.min()),
                decoded_span_db=float(np.percentile(y, 95) - np.percentile(y, 5)),
                table_span_p5_p95=float(np.percentile(x, 95) - np.percentile(x, 5)))


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument('--variants', default=','.join(VARIANTS)); ap.add_argument('--n', type=int, default=1)
    ap.add_argument('--k', type=int, default=4); ap.add_argument('--seeds', default='0,1,2')
    ap.add_argument('--out', default=str(Path(__file__).with_suffix('.json')))
    ap.add_argument('--analysis', action='store_true')
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    pipe = tc.demo('specvqgan')[0]
    judge, data = load_pretrained(tc.MODELS/'judge'), SynthFoley(seed=0)
    out = json.loads(Path(a.out).read_text()) if Path(a.out).is_file() else {}
    seeds = [int(s) for s in a.seeds.split(',')]
    vocal = from_audio(*tc.voice('/tmp')[:2], name='vocal').at(100., 400)
    clean = breakpoints(tc.clean_points(vocal), duration=4.)
    if a.analysis:
        t0 = time.process_time()
        out['codebook_floor'] = codebook_floor(pipe, data, seeds, list(pipe.classes))
        out['level_agreement'] = level_agreement(pipe)
        print(json.dumps({k: out[k] for k in ('codebook_floor', 'level_agreement')}, indent=1),
              f"{time.process_time() - t0:.0f} CPU s", flush=True)
    out.setdefault('variants', {})
    for v in a.variants.split(','):
        if not v: continue
        t0 = time.process_time()
        g = Variant(pipe, **VARIANTS[v])
        per = {s: tc.run_seed(g, {}, judge, a.n, a.k, data, vocal, clean, s) for s in seeds}
        r = {m: tc.spread([p[m] for p in per.values()]) for m in ('free', 'rerank', 'guided', 'follow', 'real')}
        r['judge'] = {m: tc.spread([p['judge'][m] for p in per.values()]) for m in ('free', 'guided', 'follow')}
        r['vocal'] = {m: tc.spread([p['vocal'][m] for p in per.values()]) for m in ('clean', 'vocal', 'gap')}
        r['per_class_follow'] = {c: float(np.mean([p['classes'][c]['follow'] for p in per.values()]))
                                 for c in pipe.classes}
        r.update(settings=VARIANTS[v], n=a.n, k=a.k, seeds=seeds, cpu_s=round(time.process_time() - t0, 1))
        out['variants'][v] = r
        print(v, {m: round(r[m]['mean'], 2) for m in ('free', 'rerank', 'guided', 'follow')},
              {m: round(x['mean'], 3) for m, x in r['judge'].items()}, r['cpu_s'], 's', flush=True)
        Path(a.out).write_text(json.dumps(out, indent=1) + '\n')


if __name__ == '__main__':
    main()
