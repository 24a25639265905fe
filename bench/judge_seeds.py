"""A recipe's preset over seeds, scored as `foleybook bench` scores it: the benchmark's SynthFoley set, each seed's
split and judge (`foleybook.recipes.bench`), the recipe run on that split, its generated clips recognised by the judge.
Quicker than a whole benchmark when one system changed; the numbers are the bench's (accuracy, per class, level against
the real clips, diversity, FAD / KAD in the judge's embedding, the training stages' CPU minutes).

    OMP_NUM_THREADS=1 python bench/judge_seeds.py audio-diffusion --seeds 0 1 2 --out exp/judge_seeds [--set KEY=JSON]

`--score-only` scores experiments that are already there (`--name` under OUT/seedN/) without running the recipe.
`--rows F` appends the rows to F (JSON lines; seeds may run in separate processes), `--merge F...` writes such rows;
`--ablation NAME --what TEXT` keeps them under `ablations` instead of as the preset's runs.

Writes nbs/results/<recipe>_judge_seeds.json, one row per seed.
"""
import argparse, json, os, platform, time
os.environ.setdefault('OMP_NUM_THREADS', '1'); os.environ.setdefault('MKL_NUM_THREADS', '1')
from pathlib import Path
import torch
from foleybook.recipes.bench import bench_data, bench_format, bench_split, bench_judge, score_system, BENCH_PRESETS
from foleybook.recipes.engine import run_recipe, get_recipe
from foleybook.fastpath import cpu_info

RESULTS = Path(__file__).resolve().parents[1]/'nbs'/'results'


def machine() -> str:
    "The CPU the numbers were measured on (its model name, architecture and kernel capability), one thread."
    return (f"{cpu_info()['model']} ({platform.machine()}, {torch.backends.cpu.get_cpu_capability()}), "
            "OMP_NUM_THREADS=1")


def seed_setup(seed, out):
    "The benchmark's data, its format, the folder of `seed` under `out`, that seed's split and its judge."
    P = BENCH_PRESETS['demo']
    dev = bench_data(out, 'synth', P['n_per_class'])
    base = Path(out)/f'seed{seed}'
    split = bench_split(dev, base/'split', P['holdout'], seed)
    return dev, bench_format(dev), base, split, bench_judge(split, P['judge'], seed=seed, system='cpu')


def parse_sets(parser, items, example='train.bs=64') -> dict:
    "`--set KEY=JSON` items as a dict; the parser's error (exit 2) naming an item that is not one."
    out = {}
    for x in items:
        k, eq, v = x.partition('=')
        try:
            if not (k and eq): raise ValueError
            out[k] = json.loads(v)
        except ValueError: parser.error(f"--set {x!r}: give KEY=JSON, e.g. {example}")
    return out


def read_rows(parser, files) -> list:
    "The rows (JSON lines) of `files`; the parser's error (exit 2) naming a file that is missing or not JSON lines."
    rows = []
    for f in files:
        try: rows += [json.loads(x) for x in Path(f).read_text().splitlines() if x.strip()]
        except (OSError, ValueError) as e: parser.error(f"--merge {f}: {type(e).__name__}: {e}")
    return rows


def one_seed(recipe, seed, out, preset='demo', sets=None, name=None, score_only=False, system='cpu'):
    ("Run `recipe` on the benchmark's split of `seed` in `out/seedN/name` (on `system`) and score it with that seed's "
     "judge: one row.")
    dev, fmt, base, split, clf = seed_setup(seed, out)
    t0, exp = time.time(), base/(name or recipe)
    if not score_only:
        run_recipe(exp, get_recipe(recipe), data=str(dev), preset=preset, system=system, quiet=True,
                   sets={'seed': seed, **(sets or {})}, split=split)
    sc = score_system(recipe, exp, split/'test', clf, fmt, base/'scores'/(name or recipe))
    pc = sc['per_class']
    return dict(seed=seed, preset=preset, sets=sets or {}, accuracy=sc['accuracy'],
                per_class={c: v['accuracy'] for c, v in pc.items()},
                level_db={c: round(v['rms_dbfs'] - v['rms_dbfs_real'], 1) for c, v in pc.items()},
                diversity=sc['diversity'], diversity_real=sc['diversity_real'], conversion=sc['conversion'],
                fad=sc.get('fad_classifier'), kad=sc.get('kad_classifier'), fad_all=sc.get('fad_all'),
                train_cpu_min=round(sc['train_cpu_seconds'] / 60, 2), stage_cpu_s=sc['stage_cpu_seconds'],
                wall_min=round((time.time() - t0) / 60, 1))


def save(recipe, rows, ablation=None, what=None):
    ("Write the rows (sorted by seed) with the machine they ran on: as the preset's `runs`, or under `ablations` as "
     "`ablation` (described by `what`); whatever else the file holds stays.")
    f = RESULTS/f"{recipe.replace('-', '_')}_judge_seeds.json"
    res = json.loads(f.read_text()) if f.is_file() else {}
    part = dict(machine=machine(), runs=sorted(rows, key=lambda r: r['seed']))
    if ablation is None:
        res = {'what': f"foleybook recipe {recipe} under the benchmark's judge (bench/judge_seeds.py)", **res, **part}
    else: res.setdefault('ablations', {})[ablation] = dict(what=what, **part)
    f.write_text(json.dumps(res, indent=1) + '\n')
    return f


def check_args(parser, a):
    "The parser's error (exit 2) for options that contradict each other instead of one being ignored."
    if a.ablation and not a.what: parser.error('--ablation needs --what: one line saying what the runs changed')
    if a.what and not a.ablation: parser.error('--what describes an ablation: give --ablation NAME too')
    if a.merge and a.rows: parser.error('--merge writes the results file; --rows appends to a rows file: give one')
    if a.ablation and a.rows: parser.error('--ablation names rows in the results file: give it with --merge, '
                                           'once the --rows files are complete')


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('recipe'); p.add_argument('--preset', default='demo')
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--out', default='exp/judge_seeds')
    p.add_argument('--set', action='append', default=[], help='KEY=JSON, a change to the preset')
    p.add_argument('--name', default=None, help="each seed's experiment folder under OUT/seedN/ (default: the recipe)")
    p.add_argument('--score-only', action='store_true', help='score the experiments there, do not run the recipe')
    p.add_argument('--rows', default=None, help='append the rows as JSON lines to this file instead of the results')
    p.add_argument('--merge', nargs='+', default=None, help='write the rows of these JSON-lines files, run nothing')
    p.add_argument('--ablation', default=None, help="save the rows under this name in `ablations`, not as the preset's")
    p.add_argument('--what', default=None, help='what the ablation changed (with --ablation)')
    a = p.parse_args()
    check_args(p, a)
    sets = parse_sets(p, a.set)
    if a.merge: rows = read_rows(p, a.merge)
    else: rows = [one_seed(a.recipe, s, a.out, a.preset, sets, a.name, a.score_only) for s in a.seeds]
    for r in rows: print(json.dumps({k: v for k, v in r.items() if not isinstance(v, dict)}))
    if a.rows and not a.merge:
        with open(a.rows, 'a') as f: f.writelines(json.dumps(r) + '\n' for r in rows)
        print('appended to', a.rows)
    else: print('wrote', save(a.recipe, rows, a.ablation, a.what))
