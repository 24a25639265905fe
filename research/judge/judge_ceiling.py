"""Where a codec + prior + vocoder demo (`specvqgan`, `dcase2023`) loses the benchmark's judge: its accuracy on the
held-out real clips, on the same clips cut to the mel's band (their own phase, nothing outside f_min-f_max: 'band'),
on their re-syntheses by the demo's vocoder from the mel, on their codec's code reconstructions
(then the vocoder), and on clips generated with other sampling settings, for experiments `bench/judge_seeds.py RECIPE`
left in OUT/seedN/RECIPE.

    OMP_NUM_THREADS=1 python bench/judge_seeds.py specvqgan --seeds 0 1 2 --out exp/judge_seeds
    OMP_NUM_THREADS=1 python research/judge/judge_ceiling.py --recipe specvqgan --out exp/judge_seeds --seeds 0 1 2 \
        [--sampling '{"guidance": 4.0}' ...]

Writes nbs/results/<recipe>_judge_ceiling.json (the rows of other seeds and experiments already there are kept): per
seed, experiment and kind of clip, the accuracy, per class, and which classes the judge heard instead. An experiment
run only up to its codec (`run_recipe(..., stop_stage='vqgan')`), or `--no-generated`, gets the re-synthesis rows.
"""
import argparse, json, os, tempfile, time
os.environ.setdefault('OMP_NUM_THREADS', '1'); os.environ.setdefault('MKL_NUM_THREADS', '1')
from pathlib import Path
import numpy as np, torch
from foleybook.recipes.bench import bench_data, bench_format, bench_split, bench_judge, judge_format, BENCH_PRESETS
from foleybook.recipes.engine import Recipe
from foleybook.recipes.stages import data_profile
from foleybook.generators import write_clips, classes_of
from foleybook.eval.report import class_files
from foleybook.audio import load_audio, MelSpectrogram
from foleybook.data.loaders import crop_frames
from foleybook.vocoders.base import vocode, GriffinLimVocoder
import sys
sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[2]/'bench')]
from judge_seeds import machine   # noqa: E402

RESULTS = Path(__file__).resolve().parents[2]/'nbs'/'results'


def judged(clf, fmt, clips:dict, sr:int) -> dict:
    "The judge's accuracy on {class: [waves at sr]}: overall, per class, and the classes it heard instead (counts)."
    acc, instead = {}, {}
    for c, ws in clips.items():
        names = [clf.classes[i] for i in clf.predict([judge_format(w, sr, fmt) for w in ws], fmt['sample_rate'])]
        acc[c] = float(np.mean([n == c for n in names]))
        instead[c] = {n: names.count(n) for n in sorted(set(names)) if n != c}
    return dict(accuracy=float(np.mean(list(acc.values()))), per_class=acc, heard_instead=instead)


def codec_vocoder(r) -> tuple:
    "An experiment's codec and vocoder (Griffin-Lim on the codec's mel, as the system builds it): a codec-only run too."
    sysm = r.spec.system
    codec, voc = (sysm.parts[n].open(r.path(sysm.parts[n].where)) for n in ('codec', 'vocoder'))
    return codec, GriffinLimVocoder(codec.mel_config, n_iter=voc.n_iter) if isinstance(voc, GriffinLimVocoder) else voc


def band_limited(wave, sr:int, f_min:float, f_max:float) -> torch.Tensor:
    "`wave` (T,) with every frequency outside [f_min, f_max] removed (one FFT of the whole clip: its own phase)."
    X = torch.fft.rfft(torch.as_tensor(wave).float())
    f = torch.fft.rfftfreq(len(wave), 1 / sr)
    return torch.fft.irfft(X * ((f >= f_min) & (f <= f_max)), n=len(wave))


@torch.no_grad()
def resynthesised(codec, vocoder, test, classes) -> dict:
    ("{kind: {class: [waves]}} of the held-out clips: 'real', 'band' (the mel's band only), 'mel' (the vocoder on "
     "their mel), 'codes' (on the "
     "codec's reconstruction): the mels cropped to the frames the codec trains on (a VQGAN's), else whole.")
    cfg = codec.mel_config; ms = MelSpectrogram(cfg)
    out = {'real': {}, 'band': {}, 'mel': {}, 'codes': {}}
    for c, fs in class_files(test, classes).items():
        ws = [load_audio(f, sr=cfg.sample_rate)[0][0] for f in fs]
        mels = [ms(torch.as_tensor(w).float()[None]) for w in ws]
        n = getattr(codec.config, 'n_frames', None) or max(m.shape[-1] for m in mels)
        mel = torch.cat([crop_frames(m, n) for m in mels])
        out['real'][c] = ws
        out['band'][c] = [band_limited(w, cfg.sample_rate, cfg.f_min, cfg.fmax) for w in ws]
        for k, m in (('mel', mel), ('codes', codec.decode(codec.encode(mel), n_frames=n))):
            out[k][c] = list(vocode(vocoder, m, precision='fp32').reshape(len(ws), -1).float())
    return out


def generated(r, pipe, settings:dict) -> tuple:
    "({class: [waves]}, rate) written by the generate stage's `write_clips` with `settings` over the preset's."
    s = dict(r.P['generate']); n = s.pop('n_per_class'); bs = s.pop('bs', 8); s.update(settings)
    prof = data_profile(r)
    with tempfile.TemporaryDirectory() as d:
        write_clips(pipe, d, n, seed=r.seed, classes=classes_of(r), duration=prof.duration,
                    sample_rate=prof.sample_rate, batch_size=bs, levels=prof, **s)
        return {c: [load_audio(f, sr=prof.sample_rate)[0][0] for f in fs]
                for c, fs in class_files(d, classes_of(r)).items()}, prof.sample_rate


def one_seed(seed, out, name='specvqgan', sampling=(), generate=True) -> list:
    "The rows of one seed's experiment: its real, re-synthesised and code-reconstructed held-out clips, its samplings."
    P = BENCH_PRESETS['demo']
    dev = bench_data(out, 'synth', P['n_per_class']); fmt = bench_format(dev)
    split = bench_split(dev, Path(out)/f'seed{seed}'/'split', P['holdout'], seed)
    clf = bench_judge(split, P['judge'], seed=seed, system='cpu')
    r = Recipe(Path(out)/f'seed{seed}'/name, None, quiet=True)
    codec, voc = codec_vocoder(r)
    parts = r.spec.system.parts; done = r.status()
    settings = {parts['codec'].stage: r.P[parts['codec'].stage],
                'stage_cpu_s': {n: v.get('cpu_seconds') for n, v in done.items() if v}}
    rows = [dict(seed=seed, name=name, clips=k, **judged(clf, fmt, v, codec.mel_config.sample_rate), **settings)
            for k, v in resynthesised(codec, voc, split/'test', classes_of(r)).items()]
    pipe = r.spec.system.assemble(r, 'cpu') if generate and done.get(parts['prior'].stage) else None   # None: no prior
    for s in [{}, *sampling] if pipe else []:
        t0 = time.process_time(); clips, sr = generated(r, pipe, s)
        rows.append(dict(seed=seed, name=name, clips='generated', sampling={**r.P['generate'], **s},
                         **judged(clf, fmt, clips, sr), cpu_s=round(time.process_time() - t0, 1)))
    for q in rows: print(json.dumps({k: v for k, v in q.items() if k != 'heard_instead'}), flush=True)
    return rows


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--recipe', default='specvqgan', help='the recipe (a codec + prior + vocoder system)')
    p.add_argument('--out', default='exp/judge_seeds'); p.add_argument('--seeds', type=int, nargs='+', default=[0])
    p.add_argument('--name', default=None, help="each seed's experiment folder under OUT/seedN/ (default: the recipe)")
    p.add_argument('--sampling', action='append', default=[], help='JSON: generate settings to try (seeds listed)')
    p.add_argument('--sampling-seeds', type=int, nargs='*', default=[0], help='the seeds the --sampling runs are for')
    p.add_argument('--no-generated', action='store_true',
                   help="only the held-out clips' rows (the preset's generated clips are judge_seeds.py's)")
    a = p.parse_args()
    tries = [json.loads(x) for x in a.sampling]
    rows = [q for s in a.seeds
            for q in one_seed(s, a.out, a.name or a.recipe, tries if s in a.sampling_seeds else [], not a.no_generated)]
    res = dict(what=f"{a.recipe} demo: the benchmark's judge on held-out real clips, the same clips cut to the mel's "
                    "band ('band'), their re-syntheses by the demo's vocoder from the mel ('mel'), their codec's "
                    "code reconstructions ('codes') and generated clips "
                    "(research/judge/judge_ceiling.py)",
               machine=machine(), rows=rows)
    f = RESULTS/f"{a.recipe.replace('-', '_')}_judge_ceiling.json"
    key = lambda q: (q['seed'], q['name'], q['clips'], json.dumps(q.get('sampling'), sort_keys=True))
    done = {key(q) for q in rows}   # the other rows (seeds, experiments, kinds of clip, samplings) are kept
    res['rows'] = [q for q in json.loads(f.read_text())['rows'] if key(q) not in done] + rows \
        if f.is_file() else rows
    f.write_text(json.dumps(res, indent=1) + '\n'); print('wrote', f)
