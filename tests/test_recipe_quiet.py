"""A recipe's evaluate stage trains its judge without fastai's epoch tables and bars: only `verbose` shows them."""
import re
from pathlib import Path
from fastcore.xtras import modified_env
from foleybook.recipes.engine import RecipeSpec, Stage, run_recipe
from foleybook.recipes.stages import stage_data, stage_split, SPLIT_READS
from foleybook.recipes.system_recipe import recipe_judge

SPEC = RecipeSpec('quiet_judge', [
    Stage('data', 'the data description', 'data/source.json', (), stage_data),
    Stage('split', 'the split', 'data/splits.json', ('data',), stage_split, reads=SPLIT_READS)],
    presets={'tiny': dict(n_per_class=4, holdout=1/4, judge=dict(preset='debug', epochs=1, bs=4),
                          synth=dict(classes=['DogBark', 'Rain'], duration=0.5))})
TABLE = re.compile(r'epoch\s+train_loss|valid_loss|\d+\.\d+%\s*\|')   # fastai's table header, its bar


def judge_output(tmp_path:Path, verbose:bool, capfd) -> str:
    "What training the experiment's judge (a fresh cache) prints, the recipe run with `verbose`."
    with modified_env(FOLEYBOOK_JUDGE_CACHE=str(tmp_path/f'judges{verbose}')):
        r = run_recipe(tmp_path/f'x{verbose}', SPEC, preset='tiny', verbose=verbose, system='cpu')
        capfd.readouterr()
        recipe_judge(r)
    out = capfd.readouterr()
    return out.out + out.err


def test_judge_tables_only_when_verbose(tmp_path, capfd):
    quiet = judge_output(tmp_path, False, capfd)
    assert not TABLE.search(quiet), quiet
    assert TABLE.search(judge_output(tmp_path, True, capfd))   # the check can see a table
