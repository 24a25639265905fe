"""The judges kept with the committed benchmark (nbs/results/judges, `keep_judge`): each loads on this machine with
the very weights it was kept with, under its fingerprint, and the store's index names each split's ensemble."""
import json
from pathlib import Path
import pytest
from foleybook.pretrained import load_pretrained
from foleybook.data.synth import DCASE_CLASSES
from foleybook.eval.judge import JUDGE_PRESETS, MEMBER_SEEDS

STORE = Path(__file__).resolve().parents[1]/'nbs'/'results'/'judges'
FOLDERS = sorted(p for p in STORE.iterdir() if p.is_dir())


@pytest.mark.parametrize('folder', FOLDERS, ids=lambda p: p.name)
def test_a_kept_judge_loads_with_its_weights(folder):
    rec = json.loads((folder/'judge.json').read_text())
    assert rec['key'] == folder.name and 'trained_on' not in rec
    assert rec['section'] == JUDGE_PRESETS['demo']   # a demo judge: one of a split's ensemble
    clf = load_pretrained(folder/'final')
    assert clf.fingerprint() == rec['weights']                                  # bit for bit the kept weights
    assert clf.classes == sorted(DCASE_CLASSES) and clf.config.level_norm and clf.sample_rate == 22050


def test_the_index_names_every_kept_judge_once_as_ensembles():
    index = json.loads((STORE/'index.json').read_text())
    keys = [k for by_seed in index.values() for ks in by_seed.values() for k in ks]
    assert sorted(keys) == [p.name for p in FOLDERS]
    for by_seed in index.values():
        for seed, ks in by_seed.items():
            seeds = [json.loads((STORE/k/'judge.json').read_text())['seed'] for k in ks]
            assert len(ks) == JUDGE_PRESETS['demo-ensemble']['members']
            assert seeds == [int(seed) + MEMBER_SEEDS * i for i in range(len(ks))]
