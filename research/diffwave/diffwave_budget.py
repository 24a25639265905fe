"""DiffWave's `demo` preset (FiLM) given more training than the demo's 20 CPU minutes allow, on a GPU: what a larger
batch and budget buy the barks. On the benchmark's split and judge of a seed (bench/judge_seeds.py's `one_seed`), the
preset's model (or one changed by `--set`, e.g. a batch of 64) trained for as many optimiser steps as `--seconds` of
training allow on the machine it runs on: two short pilot runs (`--pilot` steps and three times as many, training
only) time a step there, the difference of their times over the difference of their steps, so that the fixed costs
(data, model, saving) drop out; the run then trains that many steps under the preset's one-cycle schedule, samples the
preset's 70 clips and is scored. Each process writes its row (the device, the step time, the steps, the examples seen
against the preset's 40 epochs of 189 excerpts, the loss over the last tenth of the run) as one JSON line to `--rows`;
`--merge` adds the rows of such files to `budget_probes` of nbs/results/diffwave_probes.json.

Measured on an NVIDIA H200 (seed 2, two runs and the notebooks' `cuda` cells sharing it, 140 s each): a batch of 64
took 93 ms a step (1509 steps, 12.8 times the preset's examples), with `d_model` 64 186 ms (751 steps, 6.4 times).
On another H200 whose host showed two CPU cores (270 s each, two runs, a probe and the `cuda` cells sharing it): a
batch of 128 233 ms (1158 steps, 19.6 times), `d_model` 64 at a batch of 64 324 ms (833 steps, 7.1 times).

    python research/diffwave/diffwave_budget.py --seed 2 --out exp/judge_seeds --system cuda --seconds 240 --set \
        train.bs=64 \
        --rows rows.jsonl
    python research/diffwave/diffwave_budget.py --merge rows.jsonl
"""
import argparse, json, os, sys, time
os.environ.setdefault('OMP_NUM_THREADS', '1')
from pathlib import Path
sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[2]/'bench')]
from judge_seeds import one_seed, seed_setup, parse_sets, read_rows, RESULTS   # noqa: E402

PRESET_SAMPLES = 40 * 189   # the demo preset: 40 epochs of the 189 training excerpts (210 clips less 10 % validation)


def train_seconds(seed, out, name, sets, steps, system):
    "Wall seconds of training `steps` optimiser steps of the preset with `sets` (the train stage alone, a fresh run)."
    from foleybook.recipes.engine import run_recipe, get_recipe
    dev, fmt, base, split, clf = seed_setup(seed, out)
    t0 = time.time()
    run_recipe(base/name, get_recipe('diffwave'), data=str(dev), preset='demo', system=system, quiet=True,
               sets={'seed': seed, **sets, 'train.epochs': None, 'train.steps': steps}, split=split,
               stop_stage='train', overwrite=True)
    return time.time() - t0


def device_name(system):
    "The device a system trains on, in words."
    import torch
    from foleybook.fastpath import cpu_info
    if system.startswith('cuda') and torch.cuda.is_available(): return torch.cuda.get_device_name()
    return cpu_info()['model']


def loss_end(exp) -> float:
    "The mean training loss over the last tenth of a run's recorded losses (its `model/history.json`)."
    losses = json.loads((Path(exp)/'model'/'history.json').read_text())['losses']
    k = max(1, len(losses) // 10)
    return round(sum(losses[-k:]) / k, 4)


def budget_run(a):
    "Time a step with two pilots, train for `a.seconds`, sample, score: the row."
    sets = {'train.model.film': True, **a.sets}
    label = '_'.join(['budget', f'{a.seconds:g}s', *(f"{k.split('.')[-1]}={v}" for k, v in a.sets.items())])
    t1 = train_seconds(a.seed, a.out, label + '_pilot', sets, a.pilot, a.system)
    t3 = train_seconds(a.seed, a.out, label + '_pilot', sets, 3 * a.pilot, a.system)
    step = max(t3 - t1, 1e-3) / (2 * a.pilot)
    steps = max(a.pilot, int(a.seconds / step))
    t0 = time.time()
    row = one_seed('diffwave', a.seed, a.out, 'demo', {**sets, 'train.epochs': None, 'train.steps': steps}, label,
                   system=a.system)
    bs = sets.get('train.bs', 4)
    return dict(variant=label.replace('_', ' '), device=device_name(a.system), system=a.system,
                pilot_seconds=[round(t1, 1), round(t3, 1)], step_ms=round(1e3 * step, 2), steps=steps, bs=bs,
                samples_x_preset=round(steps * bs / PRESET_SAMPLES, 1), run_wall_min=round((time.time() - t0) / 60, 2),
                loss_end=loss_end(Path(a.out)/f'seed{a.seed}'/label), **row)


def merge(rows):
    "Add `rows` (read from JSON-lines files) to `budget_probes` of diffwave_probes.json (a row replaces its namesake)."
    f = RESULTS/'diffwave_probes.json'
    res = json.loads(f.read_text())
    bp = res.setdefault('budget_probes', dict(what=__doc__.split('\n\n')[0].replace('\n', ' '), runs=[]))
    new = {(r['variant'], r['seed']) for r in rows}
    bp['runs'] = [r for r in bp['runs'] if (r['variant'], r['seed']) not in new] + rows
    f.write_text(json.dumps(res, indent=1) + '\n')
    return f


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--seed', type=int, default=2)
    p.add_argument('--out', default='exp/judge_seeds', help="bench/judge_seeds.py's folder")
    p.add_argument('--system', default='cuda', help='a key of foleybook.core.SYSTEMS')
    p.add_argument('--seconds', type=float, default=240., help='training seconds (sized by the pilots)')
    p.add_argument('--pilot', type=int, default=100, help="the first pilot's steps (the second trains three times as "
                   "many)")
    p.add_argument('--set', action='append', default=[], help="KEY=JSON, a change to the preset (e.g. train.bs=64)")
    p.add_argument('--rows', default=None, help='append the row as a JSON line to this file')
    p.add_argument('--merge', nargs='+', default=None, help='add the rows of these files to diffwave_probes.json')
    a = p.parse_args()
    if a.merge: print('wrote', merge(read_rows(p, a.merge))); sys.exit(0)
    a.sets = parse_sets(p, a.set)
    row = budget_run(a)
    print(json.dumps({k: v for k, v in row.items() if not isinstance(v, dict)}), row['per_class'], flush=True)
    if a.rows:
        with open(a.rows, 'a') as f: f.write(json.dumps(row) + '\n')
