"""Where along the MTCRNN chain the `fill` control is kept or lost: the control correlation of `18_mtcrnn_recipe`
measured on tier 3's rms, tier 2's MFCC 0 and tier 1's audio.

1. Feature window (no model): on real pops clips, the correlation recomputed from the rms (125 Hz) and MFCC 0 (500 Hz)
   tracks computed with `control_features`' default window (~64 ms at 16 kHz) and with 256 samples (16 ms).
2. Sampling (a trained recipe run, e.g. the demo's): the ramp and the step generated through the chain with
   temperature 1 and no nucleus, and with the run's nucleus (top-p), each tier measured.

    nice -n 10 python research/mtcrnn/mtcrnn_tiers.py exp/mtcrnn-demo --json nbs/results/mtcrnn_tiers.json
"""
import argparse, json, os, time
os.environ.setdefault('OMP_NUM_THREADS', '1'); os.environ.setdefault('MKL_NUM_THREADS', '1')
from pathlib import Path
import numpy as np, torch
from foleybook.features import control_features, mu_law_decode
from foleybook.pretrained import load_pretrained
from foleybook.data.textures import texture
from foleybook.eval.system_metrics import control_correlation, track_correlation
from foleybook.systems.mtcrnn.recipe import test_curves
from foleybook.systems.mtcrnn.chain import TIER_ENVELOPES

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument('run', nargs='?', default=None,
               help='a recipe run folder with model/ (omit: the feature-window part only)')
p.add_argument('--clips', type=int, default=6, help='real clips of the feature-window part')
p.add_argument('--duration', type=float, default=4.)
p.add_argument('--json', default=None)
p.add_argument('--tracks', default=None, help='save the top-p run\'s tracks of every tier here (.npz)')
a = p.parse_args()
c0 = time.process_time()
out = dict(feature_window={})
for nfft in (None, 256):
    r3, r2 = [], []
    for seed in range(100, 100 + a.clips):  # seeds the recipe's clips do not use
        w, prm = texture('pops', a.duration, 16000, seed)
        c = np.interp(np.arange(int(a.duration * 25)) / 25, prm['fill']['times'], prm['fill']['values'])
        x = torch.from_numpy(w)
        r3.append(track_correlation(control_features(x, 16000, 125., n_fft=nfft)['rms'].numpy(), 125., c, 'rms'))
        r2.append(track_correlation(control_features(x, 16000, 500., n_fft=nfft)['mfcc'][0].numpy(), 500., c, 'mfcc0'))
    out['feature_window'][str(nfft or 'default')] = dict(tier3_rms=[round(v, 3) for v in r3],
                                                         tier2_mfcc0=[round(v, 3) for v in r2])
    print(f"n_fft {nfft or 'default (1024)'}: real clips, fill recomputed from tier 3's rms {np.round(r3, 2)}, from "
          f"tier 2's MFCC 0 {np.round(r2, 2)}")
if a.run:
    run = Path(a.run)
    g = load_pretrained(run/'model')
    rate = g.tier3.config.rate
    curves = test_curves(a.duration, rate)
    out['sampling'] = {}
    for name, kw in (('temperature 1', dict(temperature=1.)),
                     ('temperature 1, top-p 0.9', dict(temperature=1., top_p=0.9))):
        waves, tr = g.generate(np.stack(list(curves.values()))[..., None], n=len(curves), seed=0, tracks=True, **kw)
        res = {}
        for i, (k, cv) in enumerate(curves.items()):
            c = np.interp(np.arange(int(a.duration * 25)) / 25, np.arange(len(cv)) / rate, cv)
            r = {t: track_correlation(tr[t][i, :, list(getattr(g, t).config.generate).index(nm)].numpy(),
                                      getattr(g, t).config.rate, c, nm)
                 for t, nm in TIER_ENVELOPES.items()}
            r['audio'] = control_correlation(waves[i].numpy(), 16000, c)
            res[k] = {t: round(v, 3) for t, v in r.items()}
        out['sampling'][name] = res
        if a.tracks and 'top_p' in kw:
            np.savez_compressed(a.tracks, curves=np.array(list(curves)),
                                control=tr['control'].numpy().astype(np.float16),
                                tier3=tr['tier3'].numpy().astype(np.float16),
                                tier2=tr['tier2'].numpy().astype(np.float16),
                                audio=tr['audio'].numpy().astype(np.uint8),
                                **{f'{t}_generate': np.array(getattr(g, t).config.generate) for t in ('tier3',
                                                                                                      'tier2')},
                                rates=np.array([getattr(g, t).config.rate for t in ('tier3', 'tier2', 'tier1')]))
        print(f"{name}: {res}")
out['cpu_seconds'] = round(time.process_time() - c0, 1)
print(f"{out['cpu_seconds']} s CPU")
if a.json: Path(a.json).write_text(json.dumps(out, indent=1))
