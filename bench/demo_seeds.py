"""A recipe's `demo` preset (or `--preset`) over seeds (`make demo` is dcase2023's): its seed set to 0, 1, 2 (one
process each).

Writes nbs/results/<recipe>_demo_seeds.json (<recipe>_<preset>_seeds.json for another preset) (the previous file's runs
move to `earlier`), which the recipe's
notebook (13c for dcase2023, 13d for diffwave) summarises and README quotes. Each run's report.json numbers, its wall
time and the CPU time
of its process (the machine may be shared: CPU time is the comparable cost), the commit and the CPU.

    OMP_NUM_THREADS=1 .venv/bin/python bench/demo_seeds.py [--recipe dcase2023] [--preset demo] [--seeds 0 1 2] [--out
    exp/demo_seeds] [--jobs 2]
"""
import argparse, json, os, subprocess, sys, time
from pathlib import Path

RESULTS = Path(__file__).resolve().parents[1]/'nbs'/'results'
RUN = ("import sys, foleybook.recipes; from foleybook.recipes.engine import run_recipe, get_recipe; "
       "run_recipe(sys.argv[1], sys.argv[3], 'synth', get_recipe(sys.argv[3]).preset(sys.argv[4], "
       "seed=int(sys.argv[2])), quiet=True)")
KEYS = ('generated_accuracy', 'real_accuracy', 'class_accuracy', 'real_class_accuracy', 'fad_same', 'fad_other',
        'stage_seconds', 'confusion', 'envelope', 'model_sample_rate')


def start(recipe, preset, seed, out):
    "Start one recipe run in its own process."
    return subprocess.Popen([sys.executable, '-c', RUN, str(out), str(seed), recipe, preset]), time.time()


def finish(proc, t, seed, out):
    "Wait for a recipe process: its report's numbers, wall seconds and CPU seconds (its own rusage, from wait4)."
    _, status, use = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"seed {seed}: the recipe failed (exit {os.waitstatus_to_exitcode(status)})")
    proc.returncode = 0
    rep = json.loads((Path(out)/'report.json').read_text())
    return dict(seed=seed, **{k: rep[k] for k in KEYS if k in rep},
                **{k: v for k, v in rep.items() if isinstance(v, float) and k not in KEYS},
                wall_seconds=round(time.time() - t), cpu_seconds=round(use.ru_utime + use.ru_stime))


def main(recipe='dcase2023', seeds=(0, 1, 2), out='exp/demo_seeds', jobs=1, preset='demo'):
    import torch
    commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True).stdout.strip()
    results = RESULTS/f"{recipe.replace('-', '_')}_{preset.replace('-', '_')}_seeds.json"
    old = json.loads(results.read_text()) if results.is_file() else None
    runs, todo, running = [], list(seeds), []
    while todo or running:
        while todo and len(running) < jobs:
            s = todo.pop(0); running.append((s, *start(recipe, preset, s, Path(out)/f'seed{s}')))
        s, proc, t = running.pop(0)
        runs.append(finish(proc, t, s, Path(out)/f'seed{s}'))
        print(json.dumps({k: v for k, v in runs[-1].items() if not isinstance(v, dict)}), flush=True)
    runs.sort(key=lambda r: r['seed'])
    res = dict(what=f"foleybook recipe {recipe} --preset {preset} with the preset's seed set to " + ', '.join(map(str,
        seeds)),
               commit=commit,
               machine=f"2-core CPU ({torch.backends.cpu.get_cpu_capability()}), OMP_NUM_THREADS=1, possibly "
               "shared with other jobs (wall and stage times then are not representative); cpu_seconds is the recipe "
               "process's CPU time",
               jobs=jobs,
               runs=runs)
    if old: res['earlier'] = {k: old[k] for k in ('commit', 'machine', 'runs') if k in old}
    tmp = results.with_suffix('.tmp'); tmp.write_text(json.dumps(res, indent=1) + '\n'); tmp.replace(results)
    return res


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--recipe', default='dcase2023', help="a recipe name (foleybook.recipes.engine.RECIPES)")
    p.add_argument('--preset', default='demo')
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--out', default='exp/demo_seeds')
    p.add_argument('--jobs', type=int, default=1, help="recipes at a time (2 on the 2-core machine: one thread each)")
    a = p.parse_args()
    main(a.recipe, a.seeds, a.out, a.jobs, a.preset)
