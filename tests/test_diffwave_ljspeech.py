("The `ljspeech` preset of `foleybook recipe diffwave` (a DiffWave vocoder) on a tiny fake LJSpeech folder the test "
 "writes.")
import json, math
from pathlib import Path
import numpy as np, pytest, torch
from foleybook.audio import save_audio, load_audio
from foleybook.core import ConfigError, DataError
from foleybook.pretrained import load_pretrained
from foleybook.recipes.engine import run_recipe
from foleybook.systems.diffwave.recipe import RECIPE_PRESETS
from foleybook.diffusion.diffwave_train import is_ljspeech, train_diffwave

SR = 8000   # the `debug_mel` model's rate (the loader resamples anything else)

def fake_ljspeech(root:Path, n:int=5, sr:int=22050) -> Path:
    ("LJSpeech layout: LJSpeech-1.1/metadata.csv (id|text|normalized) and LJSpeech-1.1/wavs/<id>.wav, utterances of "
     "0.3-0.5 s.")
    lj = root/'LJSpeech-1.1'; (lj/'wavs').mkdir(parents=True)
    rows = []
    for i in range(n):
        t = torch.arange(int(sr * (0.3 + 0.05 * i))) / sr
        save_audio(lj/'wavs'/f"LJ001-{i:04d}.wav", (0.3 * torch.sin(2 * math.pi * (200 + 50 * i) * t))[None], sr)
        rows.append(f"LJ001-{i:04d}|Text number {i}.|Text number {i}.")
    (lj/'metadata.csv').write_text("\n".join(rows) + "\n", encoding='utf-8')
    return lj

def tiny(**kw):
    p = {**RECIPE_PRESETS['ljspeech'], 'name': 'tiny_ljspeech', 'n_test': 2, 'n_vocode': 2,
         'train': dict(backbone='wavenet', preset='debug_mel', epochs=2, bs=2, lr=1e-3)}
    return {**p, **kw}

def test_ljspeech_recipe(tmp_path):
    fake_ljspeech(tmp_path/'data', sr=22050)          # at LJSpeech's own rate: loaded at the model's 8 kHz
    r = run_recipe(tmp_path/'exp', 'diffwave', data=tmp_path/'data', preset=tiny(), quiet=True)
    splits = json.loads(r.path('data', 'splits.json').read_text())
    assert splits == dict(train=3, test=2)
    assert is_ljspeech(r.path('data', 'train')) and is_ljspeech(r.path('data', 'test'))
    test_ids = sorted(p.stem for p in r.path('data', 'test', 'wavs').glob('*.wav'))
    assert test_ids == ['LJ001-0003', 'LJ001-0004']    # the last n_test utterances are held out
    model = load_pretrained(r.path('model', 'final'))
    assert model.config.mel is not None and model.config.n_classes == 0
    gen = sorted(r.path('gen').glob('*.wav'))
    assert [g.stem for g in gen] == test_ids
    for g in gen:
        w, sr = load_audio(g)
        ref = load_audio(r.path('data', 'test', 'wavs', g.name), sr=SR)[0]
        assert sr == SR and abs(w.shape[-1] - ref.shape[-1]) <= model.config.mel.hop_length
        assert w.abs().max() > 0
    rep = json.loads(r.path('report.json').read_text())
    assert rep['task'] == 'vocoder' and rep['n'] == 2 and np.isfinite(rep['mel_l1']) and rep['mel_l1'] > 0
    assert set(rep['stage_seconds']) == set(rep['stage_cpu_seconds']) == {'data', 'split', 'train', 'distill',
                                                                          'generate', 'evaluate'}
    assert r.skipped('distill')   # the vocoder task distils nothing (no `distill` section)
    # through the limiter
    assert rep['level']['all']['generated']['n'] == 2 and rep['level']['all']['generated']['full_scale'] == 0
    md = r.path('report.md').read_text()
    assert 'log-mel L1 distance to the originals' in md and ('## Level of the generated and the real '
                                                             'clips') in md and '## Stage times' in md

def test_ljspeech_bad_input(tmp_path):
    with pytest.raises(ConfigError, match='LJSpeech'):
        run_recipe(tmp_path/'a', 'diffwave', data='synth', preset=tiny(), quiet=True)
    (tmp_path/'empty').mkdir()
    with pytest.raises(DataError, match='no LJSpeech folder'):
        run_recipe(tmp_path/'b', 'diffwave', data=tmp_path/'empty', preset=tiny(), quiet=True)
    lj = fake_ljspeech(tmp_path/'data', n=3, sr=SR)
    (lj/'wavs'/'LJ001-0001.wav').unlink()
    with pytest.raises(DataError, match='LJ001-0001'):
        run_recipe(tmp_path/'c', 'diffwave', data=tmp_path/'data', preset=tiny(), quiet=True)
    with pytest.raises(ConfigError, match='vocoder preset'):   # an LJSpeech folder with a class-conditional model
        train_diffwave(lj, preset='debug', out=tmp_path/'m', epochs=1)
