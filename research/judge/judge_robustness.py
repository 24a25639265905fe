"""What each part of the judge buys (nbs/12g_judge): every setting of `CONFIGS` trained, over seeds, on

- a small folder of recordings: SynthFoley (seed 1) cut to 20 clips a class and perturbed as recordings are
  (`foleybook.data.augment.perturbed_folder`), a quarter of each class held out; scored on those held-out clips and on
  30 more perturbed clips a class (clips 20-49: a larger sample of the same recordings);
- the demo benchmark's clean set: SynthFoley (seed 0), 40 clips a class, a quarter held out (`bench_split`);
  scored on the held-out clips as they are, and on the same clips perturbed (trained clean, asked about recordings).

    python research/judge/judge_robustness.py OUT [--configs old,level,...] [--seeds 0,1,2] [--results RESULTS.json]

(the committed results: nbs/results/judge_robustness.json).

Resumable: each finished (config, set, seed) is kept in OUT/runs.json (a judge trained is kept in OUT/cache). One
thread; the CPU seconds are those of training the judge (`time.process_time`)."""
import argparse, json, os, time
from pathlib import Path

SEEDS = (0, 1, 2)
HOLDOUT = 0.25

def configs() -> dict:
    "name -> (classifier section, what it changes): a chain from the former judge to the demo judge, and side steps."
    from foleybook.eval.judge import JUDGE_PRESETS
    from foleybook.data.augment import Augment
    demo = JUDGE_PRESETS['demo']
    return {
        'old': (dict(preset='debug', epochs=12, bs=16),
                "the former judge: debug widths, 12 epochs, a fifth held out for validation"),
        'level': (dict(preset='debug', model=dict(level_norm=True), epochs=12, bs=16), "+ level-normalised input"),
        'steps': (dict(preset='judge', steps=360, bs=16, valid_pct=0.05),
                  "+ 360 steps (not epochs: as many on a small folder), a twentieth held out for validation"),
        'demo': (demo, "+ augmentation (shifts, noise, tilt, gain): the demo judge"),
        'demo_no_level': ({**demo, 'model': dict(level_norm=False)}, "the demo judge without level normalisation"),
        'demo_specaug': ({**demo, 'augment': dict(Augment.presets['judge'], freq_masks=2, time_masks=2)},
                         "the demo judge + SpecAugment (2 band and 2 time masks)"),
    }

def data(out:Path) -> dict:
    "The folders: clean bench set, its perturbed copy, the perturbed SynthFoley seed 1 (50 a class) and its first 20."
    from foleybook.data.synth import synth_folder
    from foleybook.data.augment import perturbed_folder
    d = dict(bench=synth_folder(out/'bench40', 40, seed=0), rec50=out/'rec50', small=out/'small20',
             bench_rec=out/'bench40_rec')
    if not (out/'bench40_rec.done').is_file():
        perturbed_folder(d['bench'], d['bench_rec'], seed=5); (out/'bench40_rec.done').touch()
    if not (out/'rec50.done').is_file():
        perturbed_folder(synth_folder(out/'synth1', 50, seed=1), d['rec50'], seed=0); (out/'rec50.done').touch()
    for c in sorted(p for p in d['rec50'].iterdir() if p.is_dir()):
        for f in sorted(c.glob('*.wav'))[:20]:
            (d['small']/c.name).mkdir(parents=True, exist_ok=True)
            if not (d['small']/c.name/f.name).exists(): os.symlink(f.resolve(), d['small']/c.name/f.name)
    return d

def accuracy(judge, files:dict) -> float:
    "The share of clips the judge files under their class ({class: [files]})."
    from foleybook.audio import load_audio
    hits = []
    for c, fs in files.items():
        pred = judge.predict([load_audio(f, sr=judge.sample_rate)[0][0] for f in fs], judge.sample_rate)
        hits += [int(p == judge.classes.index(c)) for p in pred]
    return sum(hits) / len(hits)

def run_one(out:Path, d:dict, section:dict, kind:str, seed:int) -> dict:
    "Train one judge (or take it from OUT/cache) and score it."
    from foleybook.recipes.bench import bench_split
    from foleybook.recipes.stages import class_folders
    from foleybook.eval.judge import shared_judge
    split = bench_split(d['small' if kind == 'small' else 'bench'], out/f"split_{kind}{seed}", HOLDOUT, seed)
    t0 = time.process_time()
    judge = shared_judge(split/'train', section, seed=seed, system='cpu', cache=out/'cache')
    cpu = time.process_time() - t0
    test = class_folders(split/'test')
    if kind == 'small':
        extra = {c: sorted((d['rec50']/c).glob('*.wav'))[20:] for c in test}
        return dict(seed=seed, held_out=accuracy(judge, test), extra=accuracy(judge, extra),
                    train_cpu_seconds=round(cpu, 1))
    rec = {c: [d['bench_rec']/c/f.name for f in fs] for c, fs in test.items()}
    return dict(seed=seed, clean=accuracy(judge, test), perturbed=accuracy(judge, rec), train_cpu_seconds=round(cpu, 1))

def main():
    p = argparse.ArgumentParser()
    p.add_argument('out'); p.add_argument('--configs', default=None)
    p.add_argument('--seeds', default=','.join(map(str, SEEDS)))
    p.add_argument('--results', default=None); p.add_argument('--kinds', default='small,bench')
    a = p.parse_args()
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    runs_file = out/'runs.json'
    runs = json.loads(runs_file.read_text()) if runs_file.is_file() else {}
    cfgs = configs()
    names = a.configs.split(',') if a.configs else list(cfgs)
    d = data(out)
    for seed in map(int, a.seeds.split(',')):
        for name in names:
            for kind in a.kinds.split(','):
                key = f"{name}/{kind}/{seed}"
                if key in runs: continue
                runs[key] = run_one(out, d, cfgs[name][0], kind, seed)
                runs_file.write_text(json.dumps(runs, indent=1))
                print(key, runs[key], flush=True)
    if a.results:
        from foleybook.fastpath import cpu_info
        of = lambda n, kind: [runs[k] for k in sorted(runs) if k.startswith(f"{n}/{kind}/")]
        settings = dict(holdout=HOLDOUT, small='SynthFoley seed 1, 20 clips a class, perturbed (seed 0)',
                        extra='clips 20-49 of each class, perturbed alike', bench='SynthFoley seed 0, 40 clips a class',
                        bench_perturbed='the held-out bench clips perturbed (seed 5)', cpu=cpu_info()['model'])
        res = dict(settings=settings, configs={n: dict(section=cfgs[n][0], what=cfgs[n][1], small=of(n, 'small'),
                                                       bench=of(n, 'bench')) for n in cfgs if of(n, 'small')})
        Path(a.results).write_text(json.dumps(res, indent=1) + '\n')
        print(f"results -> {a.results}")

if __name__ == '__main__': main()
