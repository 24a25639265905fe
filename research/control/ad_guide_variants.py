"""audio-diffusion's loudness guidance: where in a mel column the pull goes, against recognition (probe).

`LoudnessGuide.project` moves every band of a predicted column by the same dB toward the curve, so a quiet column
pulled up gains a broadband floor and a loud one pulled down is clamped flat. Variant `peak<R>` moves only the bands
within R dB of the column's peak (full shift at the peak, none R dB below it): the column's energy, which its loudest
bands make, moves nearly as far, and its spectral shape and silence stay. `late<f>` guides only at noise levels
t < f T (the last steps), `early<f>` only at t >= f T. Same protocol as ad_curve_strength.py
(`bench/timing_control.run_seed` on the recordings-like controls, `--n` a class and seed, best of `--k`).

    OMP_NUM_THREADS=1 python research/control/ad_guide_variants.py [--n 2] [--seeds 0,1,2,3,4,5]
        [--variants uniform:0.25,peak30:0.25,peak30:0.5] [--out F]

Writes research/control/ad_guide_variants.json: one row a variant and strength.
"""
import argparse, json, sys, time
from pathlib import Path
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT/'bench'))
import timing_control as tc  # noqa: E402
from ad_curve_strength import setup, summarise  # noqa: E402  (this folder: the same protocol's parts)
from foleybook.control import FLOOR_DB  # noqa: E402
from foleybook.fastpath import cpu_info  # noqa: E402
from foleybook.diffusion.audio_diffusion import LoudnessGuide  # noqa: E402

UNIFORM, FORWARD = LoudnessGuide.project, LoudnessGuide.forward


def span_forward(f, late=True):
    ("A `forward` that guides only the last `f` of the noise range (late: t < f T), or only the rest (early: t >= f T);"
     " the other steps run the model as it is.")
    def forward(self, x, t, cond=None):
        if (float(t.reshape(-1)[0]) < f * self.model.diffusion.T) != late: return self.model(x, t, cond)
        return FORWARD(self, x, t, cond)
    return forward


def peak_project(R):
    "A `project` that shifts each band by the column's dB times its closeness to the column's peak (0 at R dB below)."
    def project(self, x0):
        top = self.model.config.images.top_db
        L, tg = self.levels(x0), self.target.to(x0)
        on = (tg > FLOOR_DB).float()
        shift = ((L - tg) * on).sum(-1, keepdim=True) / on.sum().clamp_min(1)
        delta = self.strength * (tg + shift - L)
        y = (x0 + 1) / 2 * top
        w = ((y - (y.amax(-2, keepdim=True) - R)) / R).clamp(0, 1)
        return (x0 + delta[..., None, :] * w * 2 / top).clamp(-1, 1)
    return project


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument('--n', type=int, default=2)
    p.add_argument('--k', type=int, default=4)
    p.add_argument('--seeds', default='0,1,2,3,4,5')
    p.add_argument('--variants', default='uniform:0.25,peak30:0.25,peak30:0.5')
    p.add_argument('--out', default=str(Path(__file__).with_suffix('.json')))
    a = p.parse_args(argv)
    judge, data, vocal, clean, g, opts, commit = setup()
    path = Path(a.out)
    doc = json.loads(path.read_text()) if path.is_file() else dict(about=__doc__.split('\n\n')[0], rows={})
    for v in a.variants.split(','):
        name, s = v.split(':')
        LoudnessGuide.project = peak_project(float(name[4:])) if name.startswith('peak') else UNIFORM
        span = next((name[len(w):] for w in ('late', 'early') if name.startswith(w)), None)
        LoudnessGuide.forward = FORWARD if span is None else span_forward(float(span), name.startswith('late'))
        t0 = time.process_time()
        per = {sd: tc.run_seed(g, dict(opts, curve_strength=float(s)), judge, a.n, a.k, data, vocal, clean, sd)
               for sd in [int(x) for x in a.seeds.split(',')]}
        row = summarise(per)
        row['judge_per_seed'] = {str(sd): r['judge'] for sd, r in per.items()}
        row.update(n=a.n, k=a.k, seeds=a.seeds, cpu=cpu_info()['model'], commit=commit,
                   cpu_seconds=round(time.process_time() - t0, 1))
        doc['rows'][v] = row
        j = row['judge']
        print(f"{v}: E-L1 free {row['free']['mean']:.2f} follow {row['follow']['mean']:.2f} guided "
              f"{row['guided']['mean']:.2f}; judge free {j['free']['mean']:.3f} guided {j['guided']['mean']:.3f} "
              f"follow {j['follow']['mean']:.3f}", flush=True)
        path.write_text(json.dumps(doc, indent=1, default=float) + '\n')


if __name__ == '__main__':
    main()
