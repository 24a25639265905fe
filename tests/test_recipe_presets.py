"""Every preset of every recipe starts as shipped: its sections check at registration, and its training stages each run
their first step (`run_recipe` with `--set SECTION.steps=1`, as `foleybook recipe NAME --preset P --set ...` would), on
a
SynthFoley set just big enough for the preset's batch sizes. The paper-sized presets are slow: they run with
FOLEYBOOK_SLOW=1 (`FOLEYBOOK_SLOW=1 pytest tests/test_recipe_presets.py`), never in CI."""
import json, math, os
from pathlib import Path
import pytest
from foleybook.pretrained import discover
from foleybook.train.trainers import get_trainer
from foleybook.recipes.engine import RECIPES, get_recipe, run_recipe
from foleybook.recipes.sections import Train

PAPER = {('dcase2023', 'dcase2023'), ('diffwave', 'sc09'), ('diffwave', 'sashimi'), ('diffwave', 'ljspeech'),
         ('specvqgan', 'vas'),
         ('specvqgan', 'vggsound'), ('audio-diffusion', 'image256'), ('audio-diffusion', 'latent'),
         ('mtcrnn', 'published')}
SMALLER = {('audio-diffusion', 'image256'): {'unet.bs': 2}, ('audio-diffusion', 'latent'): {'unet.bs': 2, 'vae.bs': 2},
           ('specvqgan', 'vggsound'): {'gpt_class.bs': 2, 'gpt_feature.bs': 2},
           ('specvqgan', 'vas'): {'gpt_class.bs': 2, 'gpt_feature.bs': 2}}
# the 100M+ parameter models of those presets in batches of 2, not 16, so that one step fits a CPU machine's memory


def training_stages(spec, p:dict) -> list:
    ("The stages of `spec` that train something with preset `p` (a training section, a trainer that trains, not "
     "skipped by it).")
    out = []
    for s in spec.stages:
        kind = spec.section_type(s.section) if s.section else None
        if (isinstance(kind, Train) and isinstance(p.get(s.section), dict)
            and get_trainer(kind.name(p[s.section])).trains):
            out.append(s)
    return out


def bounded(name:str, preset:str) -> tuple:
    ("The `--set` changes that bound `preset` of recipe `name` to one step per training stage and a small data set, "
     "and its last training stage.")
    spec = get_recipe(name); p = spec.preset(preset)
    # the evaluate stage's classifier comes after generation
    stages = [s for s in training_stages(spec, p) if s.name != 'evaluate']
    sets = {f'{s.section}.steps': 1 for s in stages}
    sets.update(SMALLER.get((name, preset), {}))
    bs = max(spec.preset(preset, sets)[s.section].get('bs', 16) for s in stages)
    if name == 'mtcrnn': sets['n_clips'] = 4
    elif p.get('task') != 'vocoder':
        hold = p.get('holdout', 0.1)
        # train clips >= the largest batch (10-15 % validation)
        n = next(n for n in range(3, 100) if 0.85 * 7 * (n - max(1, round(n * hold))) >= bs)
        if (p.get('n_per_class') or 100) > n: sets['n_per_class'] = n
    return sets, stages[-1].name, [s.name for s in stages]


discover('foleybook.systems')   # each system's recipe, in its home
CASES = [(n, p) for n in sorted(RECIPES) for p in RECIPES[n].presets]


def test_every_preset_checks():
    "Every section of every preset is typed and checked (`register_recipe` did it; here once more, explicitly)."
    assert {n for n, _ in CASES} == {'dcase2023', 'diffwave', 'specvqgan', 'audio-diffusion', 'mtcrnn'}
    for n, p in CASES: get_recipe(n).check(get_recipe(n).presets[p], p)


def _run(tmp_path, name, preset):
    from test_diffwave_ljspeech import fake_ljspeech
    sets, last, trained = bounded(name, preset)
    data = 'synth'
    if get_recipe(name).presets[preset].get('task') == 'vocoder':
        fake_ljspeech(tmp_path/'lj', n=24); data, sets = str(tmp_path/'lj'), {**sets, 'n_test': 2}
    r = run_recipe(tmp_path/'exp', name, data=data, preset=preset, stop_stage=last, system='cpu', quiet=True, sets=sets)
    for s in trained:
        h = json.loads(r.path(r.stages[s].work, 'history.json').read_text())
        assert h['trained'] and h['steps'] == 1 and math.isfinite(h['first_loss']), (s, h)
        assert r.path(r.stages[s].folder).exists(), s
    assert all(r.is_done(s) for s in r.order[:r.order.index(last) + 1])


@pytest.mark.parametrize('name,preset', [c for c in CASES if c not in PAPER])
def test_first_step_of_every_small_preset(tmp_path, name, preset): _run(tmp_path, name, preset)


@pytest.mark.skipif(not os.environ.get('FOLEYBOOK_SLOW'), reason="paper-sized models: set FOLEYBOOK_SLOW=1")
@pytest.mark.parametrize('name,preset', sorted(PAPER))
def test_first_step_of_every_paper_preset(tmp_path, name, preset): _run(tmp_path, name, preset)
