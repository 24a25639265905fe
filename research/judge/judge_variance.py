"""How much of a benchmark verdict is the judge's own training noise: several judges of one split (the bench's judge
and judges of other seeds: same clips, same preset), each scoring the same clips (the held-out real clips, the seed's
controls, the systems' generated clips), alone and as ensembles (the mean of their class probabilities). Per judge and
ensemble: recognition per class, the classes that count, and each system's accuracy over its counted classes.

    OMP_NUM_THREADS=1 python research/judge/judge_variance.py OUT --seeds 1 2 --offsets 0 100 200 300 400 500 \
        --ensemble 3 --systems dcase2023 audio-diffusion

OUT is a `bench/bench_demo.py` folder (`--data recordings`) whose seeds have run: OUT/seedN/split, OUT/seedN/controls
and each system's converted clips (OUT/seedN/<system>/.../gen). The judge of `seed + offset` (offset 0: the bench's
own); `--ensemble K` also scores consecutive groups of K judges as one. Writes nbs/results/judge_variance.json (read
by `12g_judge`), or `--results F`.
"""
import argparse, json, os, platform, time
os.environ.setdefault('OMP_NUM_THREADS', '1')
from pathlib import Path
import numpy as np, torch
from foleybook.audio import load_audio
from foleybook.eval.report import class_files
from foleybook.eval.judge import shared_judge
from foleybook.eval.controls import counted_classes, counted_accuracy
from foleybook.fastpath import cpu_info

CONTROLS = ('white_noise', 'envelope_noise')


def set_fads(clf, folders, classes) -> dict:
    "{set: median over classes of the FAD to the held-out real clips} in the judge's embedding (`embed_files`)."
    import warnings
    from foleybook.eval.embedders import embed_files
    from foleybook.eval.metrics import fad
    emb = lambda fs: np.concatenate(embed_files(fs, clf, progress=False))
    files = {k: class_files(f, check=False) for k, f in folders.items()}
    real = {c: emb(files['real'][c]) for c in classes}
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')   # 10-20 embeddings of 32 dimensions: biased, compared only with each other
        return {k: float(np.median([fad(emb(fs[c]), real[c]) for c in classes if c in fs]))
                for k, fs in files.items() if k != 'real'}


def clip_sets(base, systems, extra=()) -> dict:
    "{set name: {class: [waves]}} and their rate: held-out real clips, the controls, each system's converted clips."
    sets = {'real': base/'split'/'test', **{n: base/'controls'/n for n in CONTROLS}}
    for item in extra:   # NAME=FOLDER (relative to OUT/seedN): clips generated in the judge's format
        name, folder = item.split('=', 1)
        if (base/folder).is_dir(): sets[name] = base/folder
    for name in systems:
        found = sorted(p for p in (base/name).rglob('gen') if p.is_dir() and any(p.iterdir()))
        if found: sets[name] = found[-1]
    folders, out, sr = sets, {}, None
    for k, folder in sets.items():
        files = class_files(folder, check=False)
        out[k] = {c: [load_audio(f)[0][0] for f in fs] for c, fs in files.items()}
        sr = sr or load_audio(next(iter(files.values()))[0])[1]
    return out, sr, folders


def probs(clf, sets, sr) -> dict:
    "{set: {class: (n, classes) probabilities}}."
    return {k: {c: np.asarray(clf.probs(ws, sr)) for c, ws in s.items()} for k, s in sets.items()}


def verdicts(p, classes, systems) -> dict:
    "Recognition per set and class from probabilities; counted classes; systems' accuracy (all and counted)."
    rec = {k: {c: float(np.mean(np.argmax(x, 1) == classes.index(c))) for c, x in s.items()} for k, s in p.items()}
    counted = counted_classes({n: rec[n] for n in CONTROLS}, classes)
    out = dict(real=rec['real'], recognised={n: rec[n] for n in CONTROLS},
               counted=[c for c, d in counted.items() if d['counts']], systems={})
    for name in systems:
        if name in rec:
            out['systems'][name] = dict(per_class=rec[name], accuracy=float(np.mean(list(rec[name].values()))),
                                        accuracy_counted=counted_accuracy(rec[name], counted))
    return out


def show(tag, v):
    print(json.dumps(dict(judge=tag, counted=v['counted'], real=round(float(np.mean(list(v['real'].values()))), 3),
                          systems={k: (round(s['accuracy'], 3), s['accuracy_counted'] and
                                       round(s['accuracy_counted'], 3)) for k, s in v['systems'].items()})), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('out'); ap.add_argument('--seeds', type=int, nargs='+', default=[1])
    ap.add_argument('--offsets', type=int, nargs='+', default=[0, 100, 200])
    ap.add_argument('--ensemble', type=int, default=0)
    ap.add_argument('--systems', nargs='*', default=[])
    ap.add_argument('--sets', nargs='*', default=[], help="more clips: NAME=FOLDER under OUT/seedN, scored as systems")
    ap.add_argument('--results', default=str(Path(__file__).resolve().parents[2]/'nbs'/'results'/'judge_variance.json'))
    a = ap.parse_args()
    rows = []
    for s in a.seeds:
        base = Path(a.out)/f'seed{s}'
        sets, sr, folders = clip_sets(base, a.systems, a.sets)
        names = [*a.systems, *(x.split('=', 1)[0] for x in a.sets)]
        ps = []
        for off in a.offsets:
            t = time.process_time()
            clf = shared_judge(base/'split'/'train', 'demo', seed=s + off, system='cpu').eval()
            classes = list(clf.classes)
            ps.append(probs(clf, sets, sr))
            v = verdicts(ps[-1], classes, names)
            if off == 0: v['fad_median'] = set_fads(clf, folders, classes)   # the bench's judge only
            rows.append(dict(seed=s, judges=[s + off], judge=clf.judge_key, weights=str(clf.fingerprint()),
                             cpu_seconds=round(time.process_time() - t, 1), **v))
            show(f'seed {s} judge {s + off}', v)
        for i in range(0, len(ps) - a.ensemble + 1 if a.ensemble else 0, a.ensemble):
            group = ps[i:i + a.ensemble]
            mean = {k: {c: np.mean([g[k][c] for g in group], 0) for c in group[0][k]} for k in group[0]}
            v = verdicts(mean, classes, names)
            js = [s + o for o in a.offsets[i:i + a.ensemble]]
            rows.append(dict(seed=s, judges=js, **v))
            show(f'seed {s} ensemble {js}', v)
    Path(a.results).write_text(json.dumps(dict(
        what='judges of one split (seed + offset) and their ensembles scoring the same real, control and generated '
             'clips', cpu=f"{cpu_info()['model']} ({platform.machine()}, {torch.backends.cpu.get_cpu_capability()})",
        rows=rows), indent=1))


if __name__ == '__main__': main()
