"""`make demo` over seeds: the `dcase2023` recipe's `demo` preset with its seed set to 0, 1, 2 (one process each).

Writes nbs/results/dcase2023_demo_seeds.json (the previous file's runs move to `earlier`), which the DCASE 2023
recipe notebook (13c) summarises and README quotes. Each run's report.json numbers, its wall time and the CPU time
of its process (the machine may be shared: CPU time is the comparable cost), the commit and the CPU.

    OMP_NUM_THREADS=1 .venv/bin/python bench/demo_seeds.py [--seeds 0 1 2] [--out exp/demo_seeds]
"""
import argparse, json, os, resource, subprocess, sys, time
from pathlib import Path

RESULTS = Path(__file__).resolve().parents[1]/'nbs'/'results'/'dcase2023_demo_seeds.json'
RUN = ("import sys; from foleybook.recipes.engine import run_recipe; from foleybook.recipes.dcase2023 import DCASE2023; "
       "run_recipe(sys.argv[1], 'dcase2023', 'synth', DCASE2023.preset('demo', seed=int(sys.argv[2])), quiet=True)")
KEYS = ('generated_accuracy', 'real_accuracy', 'class_accuracy', 'fad_same', 'fad_other', 'stage_seconds')


def run(seed, out):
    "One demo recipe in its own process: its report's numbers, wall and CPU seconds."
    before, t = resource.getrusage(resource.RUSAGE_CHILDREN), time.time()
    subprocess.run([sys.executable, '-c', RUN, str(out), str(seed)], check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    rep = json.loads((Path(out)/'report.json').read_text())
    return dict(seed=seed, **{k: rep[k] for k in KEYS}, wall_seconds=round(time.time() - t),
                cpu_seconds=round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime))


def main(seeds=(0, 1, 2), out='exp/demo_seeds'):
    import torch
    commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True).stdout.strip()
    old = json.loads(RESULTS.read_text()) if RESULTS.is_file() else None
    runs = []
    for s in seeds:
        runs.append(run(s, Path(out)/f'seed{s}'))
        print(json.dumps({k: v for k, v in runs[-1].items() if k not in ('class_accuracy', 'stage_seconds')}), flush=True)
    res = dict(what="make demo (foleybook recipe dcase2023 --preset demo) with the preset's seed set to " + ', '.join(map(str, seeds)),
               commit=commit, machine=f"2-core CPU ({torch.backends.cpu.get_cpu_capability()}), OMP_NUM_THREADS=1, possibly "
               "shared with other jobs (wall and stage times then are not representative); cpu_seconds is the recipe process's CPU time",
               runs=runs)
    if old: res['earlier'] = {k: old[k] for k in ('commit', 'machine', 'runs') if k in old}
    tmp = RESULTS.with_suffix('.tmp'); tmp.write_text(json.dumps(res, indent=1) + '\n'); tmp.replace(RESULTS)
    return res


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--out', default='exp/demo_seeds')
    a = p.parse_args()
    main(a.seeds, a.out)
