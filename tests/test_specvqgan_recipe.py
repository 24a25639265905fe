"""`foleybook recipe specvqgan --preset debug` end to end: every stage runs, report.json has the Melception-style metrics
and the feature-conditioning keys, and a finished recipe is skipped."""
import json, math
import pytest
from foleybook.recipes.engine import run_recipe, get_recipe


def test_specvqgan_recipe_debug(tmp_path):
    assert get_recipe('specvqgan').name == 'specvqgan'
    r = run_recipe(tmp_path/'exp', 'specvqgan', preset='debug', quiet=True)
    rep = json.loads((tmp_path/'exp'/'report.json').read_text())
    for k in ('generated_accuracy', 'mkl_features', 'mkl_shuffled', 'feature_accuracy', 'real_accuracy'):
        assert k in rep and math.isfinite(rep[k]), k
    table = (tmp_path/'exp'/'report'/'metrics.csv').read_text()
    for m in ('fid', 'kid', 'is', 'mkl', 'accuracy'): assert f',{m},' in table, m
    assert (tmp_path/'exp'/'gen'/'DogBark').is_dir() and (tmp_path/'exp'/'data'/'features'/'Rain').is_dir()
    assert all(v is not None for v in r.status().values())
    again = run_recipe(tmp_path/'exp', 'specvqgan', preset='debug', quiet=True)    # everything is done: nothing reruns
    assert 'skipping' in (tmp_path/'exp'/'recipe.log').read_text().splitlines()[-1]
