"""The three-seed demo benchmark, resumable, two jobs at a time (one (seed, system) each, OMP_NUM_THREADS=1).

    python bench/bench_demo.py OUT [--seeds 0,1,2] [--systems a,b] [--jobs 2] [--results nbs/results/bench_demo.json]
    [--report-only | --rescore] [--merge] [--data synth | recordings | recordings_one_gain | FOLDER]
    [--set SYSTEM.KEY=VALUE ...] [--ablation NAME --what TEXT] [--judges DIR]

Step 1 makes the data, every seed's split and judge (serially); step 2 runs the (seed, system) jobs, seed 0 first,
`--jobs` at a time, each a `bench_job` in its own process (finished stages are skipped: rerun the
same command to resume; a job whose score exists and whose run ended well is not started again); step 3 writes
OUT/report.* and the results JSON (no paths) from every score found so far.
Each job's wall seconds are kept in OUT/jobs.json; its CPU seconds are in the scores (the recipes' stage markers).
`--rescore` runs no recipe: it scores every finished experiment again with the seed's judge (after a change to what
a score holds, `SCORES_LAYOUT`), then writes the report and results as step 3 does. `--merge` keeps the systems of
the results file that OUT has no scores for: `--systems dcase2023 --report-only --merge` puts one system's new runs
(e.g. from bench/judge_seeds.py, whose OUT has this layout) beside the others'; it refuses a kept system that
one seed's new runs do not share a judge with (its weights, kept in each score: a judge trained on another CPU has
other weights).
`--judges DIR` is a store of judges (`foleybook.eval.judge.keep_judge`): a seed's judge is taken from it when it is
there, and every seed's judge is kept there, named in its index.json (the committed benchmark's: nbs/results/judges),
so that scores made on any machine come from the same judge weights.
`--data recordings` runs the benchmark on its SynthFoley set perturbed as recordings are (`perturbed_folder`, seed 5:
levels over 30 dB, background noise, offsets, EQ, a room; the set `bench/judge_robustness.py` calls bench40_rec), in
OUT/recordings (`recordings_one_gain`: the same draws but one gain for every clip, so the clips keep only the spread
of their crest factors). MTCRNN, which takes no class, trains on SynthFoley's textures whatever the data. `--set`
changes a system's preset as `foleybook bench --set` does; `--ablation NAME --what TEXT` files the scores under the
results file's `ablations` (its `scores` kept). The committed `nbs/results/bench_recordings.json` (every system on
seeds 0-2; the four class-conditional systems, whose demo presets level recordings, both ways, the DCASE baseline on
seeds 0-4; MTCRNN's three seeds from their own OUT, its scores put in place of the file's MTCRNN entry):

    python bench/bench_demo.py exp/bench-recordings --data recordings --seeds 0 --set dcase2023.level_train=null \
        --set diffwave.level_train=null --set specvqgan.level_train=null --set audio-diffusion.level_train=null
    python bench/bench_demo.py exp/bench-recordings --data recordings --seeds 1,2 \
        --systems diffwave,specvqgan,audio-diffusion \
        --set diffwave.level_train=null --set specvqgan.level_train=null --set audio-diffusion.level_train=null
    python bench/bench_demo.py exp/bench-recordings --data recordings --seeds 1,2,3,4 --systems dcase2023 \
        --set dcase2023.level_train=null
    python bench/bench_demo.py exp/bench-recordings-level --data recordings --seeds 1,2,3,4 --systems dcase2023 \
        --set dcase2023.level_train=class
    python bench/bench_demo.py exp/bench-recordings-peak --data recordings --seeds 0 --systems dcase2023 \
        --set dcase2023.level_train=peak
    python bench/bench_demo.py exp/bench-recordings-peak --data recordings --seeds 0,1,2 --systems diffwave
    python bench/bench_demo.py exp/bench-recordings-level --data recordings --seeds 0 --systems dcase2023,diffwave \
        --set dcase2023.level_train=class --set diffwave.level_train=class
    python bench/bench_demo.py exp/bench-recordings-level --data recordings --seeds 0,1,2 \
        --systems specvqgan,audio-diffusion
    python bench/bench_demo.py exp/bench-recordings-one-gain --data recordings_one_gain --seeds 0 \
        --systems dcase2023,diffwave
    python bench/bench_demo.py exp/bench-recordings-mtcrnn --data recordings --seeds 0,1,2 --systems mtcrnn \
        --results exp/bench-recordings-mtcrnn/results.json
    R=nbs/results/bench_recordings.json
    python bench/bench_demo.py exp/bench-recordings --data recordings --report-only --results $R
    python bench/bench_demo.py exp/bench-recordings-peak --data recordings --systems diffwave --report-only --merge \
        --results $R
    python bench/bench_demo.py exp/bench-recordings-level --data recordings \
        --systems dcase2023,specvqgan,audio-diffusion --report-only --merge --results $R
    python bench/bench_demo.py exp/bench-recordings --data recordings \
        --systems dcase2023,diffwave,specvqgan,audio-diffusion --report-only --results $R \
        --set dcase2023.level_train=null --set diffwave.level_train=null --set specvqgan.level_train=null \
        --set audio-diffusion.level_train=null --ablation 'train as is' \
        --what 'the recordings, each system trained on its train split as it is (level_train None), which ...'
    python bench/bench_demo.py exp/bench-recordings-one-gain --data recordings_one_gain --systems dcase2023,diffwave \
        --report-only --results $R --ablation 'one gain' --what 'the recordings with one gain for every clip ...'
    python bench/bench_demo.py exp/bench-recordings-level --data recordings --systems diffwave \
        --report-only --results $R --set diffwave.level_train=class \
        --ablation 'level_train class' --what 'the recordings, each system trained on its train split with every ...'
    python bench/bench_demo.py exp/bench-recordings-peak --data recordings --systems dcase2023 --report-only \
        --results $R --set dcase2023.level_train=peak --ablation 'level_train peak' --what 'the recordings, ...'
"""
import argparse, json, os, shutil, subprocess, sys, time
from pathlib import Path

def collect(out:Path, systems=None) -> dict:
    "{system: {seed: score}} of every finished score under OUT (of `systems` only, when given)."
    scores = {}
    for f in sorted(out.glob('seed*/scores/*/score.json')):
        if systems is not None and f.parent.name not in systems: continue
        s = json.loads(f.read_text())
        s['judge'] = s.pop('stamp', {}).get('judge')   # its judge's weights (a judge of another CPU has others)
        scores.setdefault(f.parent.name, {})[int(f.parent.parent.parent.name[4:])] = s
    return scores

def rescore(out:Path, seeds, systems, preset:str='demo', dev=None):
    ("Score every finished (seed, system) experiment under OUT again with its seed's judge and controls; no recipe "
     "runs (`dev`: the data's folder, default OUT/data).")
    from foleybook.recipes.engine import Recipe
    from foleybook.recipes.bench import score_system, bench_format, bench_judge, system_controls, BENCH_PRESETS
    fmt = bench_format(dev or out/'data')
    for s in seeds:
        base = out/f"seed{s}"
        if not (base/'split'/'train').is_dir(): continue
        clf = bench_judge(base/'split', BENCH_PRESETS[preset]['judge'], s, 'cpu')   # the seed's judge: from the cache
        for n in systems:
            if not (base/n/'recipe.json').is_file(): continue
            st = Recipe(base/n, None, quiet=True).status()
            if not all(v is not None for v in st.values()):
                print(f"seed {s} {n}: not finished, not scored", flush=True); continue
            t0 = time.process_time()   # against the controls, as `bench_job` scores
            score_system(n, base/n, base/'split'/'test', clf, fmt, base/'scores'/n,
                         controls=system_controls(base/n, base/'split', clf, fmt, s))
            print(f"seed {s} {n}: scored in {time.process_time() - t0:.0f} s CPU", flush=True)

def keep_judges(out:Path, seeds, store, preset:str='demo', data:str='synth'):
    ("Keep the judge of every seed under OUT that has a split in the judge store `store` (`keep_judge`), and name "
     "them in its index.json: {data: {seed: the judges' fingerprints}}.")
    from foleybook.recipes.bench import bench_judge, BENCH_PRESETS
    from foleybook.eval.judge import keep_judge
    index = Path(store)/'index.json'
    known = json.loads(index.read_text()) if index.is_file() else {}
    for s in seeds:
        if not (out/f"seed{s}"/'split'/'train').is_dir(): continue
        keys = keep_judge(bench_judge(out/f"seed{s}"/'split', BENCH_PRESETS[preset]['judge'], s, 'cpu'), store)
        known.setdefault(data, {})[str(s)] = keys
        print(f"seed {s}: judges {', '.join(keys)} kept in {store}", flush=True)
    index.write_text(json.dumps(known, indent=1, sort_keys=True) + '\n')

def merge_results(old:dict, new:dict) -> dict:
    ("The results `new` with the systems that only `old` holds kept, and the CPU of each part named: "
     "`settings.cpu` reads 'CPU; systems: other CPU' where the parts ran on different CPUs.")
    kept = {n: v for n, v in old['scores'].items() if n not in new['scores']}
    if not kept: return new
    check_judges(kept, new['scores'])
    parts = {}
    for i, part in enumerate(old['settings']['cpu'].split('; ')):      # 'AMD EPYC; a, b: Intel' -> {a: Intel, ..}
        names, _, cpu = part.rpartition(': ') if i else ('', '', part)
        for n in (names.split(', ') if names else old['scores']): parts[n] = cpu
    parts.update({n: new['settings']['cpu'] for n in new['scores']})
    scores = {**kept, **new['scores']}
    order = [n for n in old['scores'] if n in scores] + [n for n in scores if n not in old['scores']]
    main_cpu = max(set(parts.values()), key=lambda c: sum(v == c for v in parts.values()))
    by = {}
    for n in order:
        if parts.get(n, main_cpu) != main_cpu: by.setdefault(parts[n], []).append(n)
    cpu = '; '.join([main_cpu, *(f"{', '.join(ns)}: {c}" for c, ns in by.items())])
    return dict(settings={**new['settings'], 'cpu': cpu}, scores={n: scores[n] for n in order})

def check_judges(kept:dict, scores:dict):
    ("A `ConfigError` when a kept system and a new one were scored on one seed by judges of other weights (the same "
     "split's judge trained on another CPU, or another judge): their numbers and counted classes would not compare. "
     "Scores without the judge's fingerprint (files written before it was kept) are not checked.")
    from foleybook.core import ConfigError
    judges = {}
    for part in (kept, scores):
        for n, by_seed in part.items():
            for k, sc in by_seed.items():
                j = sc.get('judge') if isinstance(sc, dict) else None
                if j: judges.setdefault(str(k), {}).setdefault(j, []).append(n)
    for k, by in judges.items():
        if len(by) > 1:
            raise ConfigError(f"seed {k}: " + '; '.join(f"{', '.join(ns)} judged by {j}" for j, ns in by.items())
                              + ". A split's judge trained on another CPU has other weights: score every system of "
                              "a results file with one judge (rescore them in one OUT)")

def train_levels(out:Path, scores:dict) -> dict:
    ("{seed: {class: mean rms (dBFS)}} of each scored seed's training clips: what a system's clips are levelled to, "
     "beside the held-out clips' level in the scores (`rms_dbfs_real`).")
    from foleybook.data.profile import class_levels
    seeds = sorted({int(k) for sc in scores.values() for k in sc})
    return {str(s): {c: round(v['mean'], 2) for c, v in class_levels(out/f"seed{s}"/'split'/'train').items()
                     if c != '*'} for s in seeds if (out/f"seed{s}"/'split'/'train').is_dir()}

def with_ablation(f:Path, name:str, what:str, run:dict) -> dict:
    ("The results file `f` (its scores and other ablations kept) with `run` (settings, scores, sets) filed under "
     "`ablations[name]`, said to change `what`.")
    res = json.loads(f.read_text()) if f.is_file() else {}
    res.setdefault('ablations', {})[name] = dict(what=what, **run)
    return res

def read_results(parser, results) -> dict:
    "The results file `--merge` keeps systems of (None if there is none yet); the parser's error if it cannot."
    if not results: parser.error('--merge keeps the systems of the --results file: give --results FILE')
    f = Path(results)
    if not f.is_file(): return None
    try:
        old = json.loads(f.read_text())
        if not (isinstance(old.get('scores'), dict) and isinstance(old.get('settings', {}).get('cpu'), str)):
            raise ValueError('no scores or settings.cpu')
    except (OSError, ValueError, AttributeError) as e:
        parser.error(f"--results {f}: not a benchmark results file ({e})")
    return old

RECORDINGS_SEED = 5   # the draws of the perturbed copies (`--data recordings`, ...)
RECORDINGS = {   # --data NAME -> (the `perturb_clip` ranges that differ from a recording's, the name in the results)
    'recordings': ({}, 'SynthFoley perturbed as recordings'),
    'recordings_one_gain': (dict(gain_db=(-15., -15.)), 'SynthFoley perturbed as recordings, one gain for every clip'),
}

def bench_dataset(out:Path, data:str, n_per_class:int) -> tuple:
    ("The benchmark's data argument for `--data` and its name in the results: 'synth', the SynthFoley set perturbed "
     "as recordings are (in OUT/recordings, made once), or a folder of class folders (named by its folder's name).")
    if data == 'synth': return 'synth', 'SynthFoley'
    if data not in RECORDINGS: return data, Path(data).name
    from foleybook.recipes.bench import bench_data
    from foleybook.data.augment import perturbed_folder
    ranges, name = RECORDINGS[data]
    rec, stamp = out/data, out/f"{data}.json"
    want = dict(n_per_class=n_per_class, seed=RECORDINGS_SEED, **{k: list(v) for k, v in ranges.items()})
    if not (stamp.is_file() and json.loads(stamp.read_text()) == want):
        stamp.unlink(missing_ok=True); shutil.rmtree(rec, ignore_errors=True)
        perturbed_folder(bench_data(out, 'synth', n_per_class), rec, seed=RECORDINGS_SEED, **ranges)
        stamp.write_text(json.dumps(want))
    return str(rec), f"{name} (perturbed_folder, seed {RECORDINGS_SEED})"

def main():
    p = argparse.ArgumentParser()
    p.add_argument('out'); p.add_argument('--seeds', default='0,1,2'); p.add_argument('--systems', default=None)
    p.add_argument('--jobs', type=int, default=2)
    p.add_argument('--preset', default='demo'); p.add_argument('--results', default=None)
    p.add_argument('--data', default='synth',
                   help="synth (the SynthFoley set), recordings (that set perturbed as recordings are), "
                        "recordings_one_gain, or a folder of class folders")
    p.add_argument('--set', action='append', metavar='SYSTEM.KEY=VALUE', help="change a system's preset (repeatable)")
    p.add_argument('--ablation', default=None, help="file the scores under the results' ablations, with this name")
    p.add_argument('--what', default=None, help="what the ablation changes (with --ablation)")
    p.add_argument('--report-only', action='store_true',
                   help="only write the report and the results of the scores found so far")
    p.add_argument('--rescore', action='store_true',
                   help="score the finished experiments again (no recipe runs), then report")
    p.add_argument('--merge', action='store_true',
                   help="keep the systems of --results that OUT has no scores for (OUT may hold a few systems only)")
    p.add_argument('--judges', default=None, metavar='DIR',
                   help="a store of judges: each seed's judge is taken from it when there, and kept there")
    a = p.parse_args()
    if (a.ablation is None) != (a.what is None): p.error('--ablation NAME and --what TEXT go together')
    if a.ablation and (a.merge or not a.results):
        p.error('--ablation files the scores in a --results file (without --merge)')
    old = read_results(p, a.results) if a.merge else None
    from foleybook.recipes.bench import (run_bench, write_bench_report, BENCH_SYSTEMS, BENCH_PRESETS, bench_data,
                                         bench_format, bench_sets, SCORES_LAYOUT)
    from foleybook.commands import pairs
    out, seeds = Path(a.out), [int(s) for s in a.seeds.split(',')]
    if a.judges:   # looked up before the cache, here and in every job
        os.environ['FOLEYBOOK_JUDGE_STORE'] = os.pathsep.join([a.judges, os.environ.get('FOLEYBOOK_JUDGE_STORE', '')])
    systems = a.systems.split(',') if a.systems else list(BENCH_SYSTEMS)
    wanted, sets = list(systems), bench_sets(pairs(a.set, '--set'), systems, a.preset)   # checked first
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'MKL_NUM_THREADS': '1', 'MPLBACKEND': 'Agg'}
    t0 = time.process_time()
    out.mkdir(parents=True, exist_ok=True)
    data, data_name = bench_dataset(out, a.data, BENCH_PRESETS[a.preset]['n_per_class'])
    data_key = a.data if a.data == 'synth' or a.data in RECORDINGS else Path(a.data).name   # (no machine path)
    if a.rescore: rescore(out, seeds, systems, a.preset, bench_data(out, data, BENCH_PRESETS[a.preset]['n_per_class']))
    if a.judges and a.rescore: keep_judges(out, seeds, Path(a.judges), a.preset, data_key)
    if a.report_only or a.rescore: seeds = systems = []
    if seeds:   # data, splits, judges (none to make for --rescore / --report-only)
        run_bench(out, systems=[], data=data, preset=a.preset, seeds=seeds, system='cpu', report=False)
        if a.judges: keep_judges(out, seeds, Path(a.judges), a.preset, data_key)
    if not a.report_only: print(f"prepared in {time.process_time() - t0:.0f} s CPU", flush=True)
    jobs_file = out/'jobs.json'
    done = json.loads(jobs_file.read_text()) if jobs_file.is_file() else {}
    queue = [(s, n) for s in seeds for n in systems]
    running = {}
    while queue or running:
        while queue and len(running) < a.jobs:
            s, n = queue.pop(0)
            score = out/f"seed{s}"/'scores'/n/'score.json'
            if done.get(f"seed{s}/{n}",
                        {}).get('rc') == 0 and score.is_file() and json.loads(score.read_text()).get('stamp',
                            {}).get('layout') == SCORES_LAYOUT:
                # its wall time stays the one of the run that made it
                print(f"seed {s} {n}: done already", flush=True); continue
            # one (seed, system) job: it holds its experiment folder, not OUT (step 1 made the data, split and judge)
            code = (f"from foleybook.recipes.bench import bench_job; bench_job({str(out)!r}, {n!r}, {s}, "
                    f"data={data!r}, preset={a.preset!r}, system='cpu', sets={sets[n]!r})")
            log = open(out/f"job-seed{s}-{n}.log", 'a')
            running[(s, n)] = (subprocess.Popen([sys.executable, '-c', code], env=env, stdout=log,
                                                stderr=subprocess.STDOUT), time.time())
            print(f"started seed {s} {n}", flush=True)
        time.sleep(5)
        for key, (proc, w0) in list(running.items()):
            if proc.poll() is None: continue
            del running[key]
            done[f"seed{key[0]}/{key[1]}"] = dict(rc=proc.returncode, wall_seconds=round(time.time() - w0, 1))
            jobs_file.write_text(json.dumps(done, indent=1))
            print(f"finished seed {key[0]} {key[1]}: rc {proc.returncode}, {time.time() - w0:.0f} s wall", flush=True)
    scores = collect(out, wanted)
    if scores:
        from foleybook.fastpath import cpu_info
        dev = bench_data(out, data, BENCH_PRESETS[a.preset]['n_per_class'])
        settings = dict(preset=a.preset, data=data_name, fmt=bench_format(dev), dcase=False,
                        n_per_class=BENCH_PRESETS[a.preset]['n_per_class'],
                        holdout=BENCH_PRESETS[a.preset]['holdout'], judge=BENCH_PRESETS[a.preset]['judge'],
                        cpu=cpu_info()['model'], train_levels=train_levels(out, scores))
        rep = write_bench_report(out, scores, settings)
        if a.results:
            res, f = dict(settings=settings, scores=rep['scores']), Path(a.results)
            if old: res = merge_results(old, res)
            if a.ablation: res = with_ablation(f, a.ablation, a.what, {**res, 'sets': pairs(a.set, '--set')})
            elif f.is_file(): res = {**res, **{k: v for k, v in json.loads(f.read_text()).items() if k == 'ablations'}}
            f.write_text(json.dumps(res, indent=1) + '\n')
            print(f"results -> {a.results}")

if __name__ == '__main__':
    from foleybook.core import FoleyError
    try: main()
    except FoleyError as e:   # a bad --data folder or --set: one line, exit code 2, as the CLI
        print(f"bench_demo: error: {e}", file=sys.stderr); sys.exit(2)
