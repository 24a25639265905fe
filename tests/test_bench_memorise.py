"The memorising probe's measures (`bench/diffwave_memorise.py`): the correlation peak and the excerpt's place."
import sys
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).resolve().parents[1]/'bench'))
from diffwave_memorise import excerpt, xcorr_peak

def test_xcorr_peak_finds_a_shifted_copy_and_not_noise():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4000, generator=g)
    y = torch.zeros(4000); y[700:] = 0.3 * x[:3300]         # x delayed by 700 samples, scaled, its tail cut
    expect = float(x[:3300].norm() / x.norm())             # what the overlap leaves of a perfect match
    assert abs(xcorr_peak(y, x) - expect) < 1e-4 and abs(xcorr_peak(-y, x) - expect) < 1e-4
    assert xcorr_peak(torch.randn(4000, generator=g), x) < 0.1   # two noises: about 4 / sqrt(4000)
    assert abs(xcorr_peak(x, x) - 1) < 1e-5

def test_excerpt_holds_the_clips_loudest_50ms():
    for clip in (0, 1, 2):
        w, i0 = excerpt(clip, 8000, 8000)
        assert w.shape == (32000,) and 0 <= i0 <= 24000
        e = w[:32000].pow(2).reshape(-1, 400).sum(1)          # 50 ms frames
        loud = int(e.argmax()) * 400
        assert i0 <= loud and loud + 400 <= i0 + 8000       # the loudest 50 ms lies inside the second
        assert i0 == max(0, loud - 2000) or i0 == 24000      # a quarter second before it, or the clip's edge

def test_save_keeps_rows_of_another_batch_or_width(tmp_path, monkeypatch):
    import json, diffwave_memorise as dm
    monkeypatch.setattr(dm, 'RESULTS', tmp_path)
    (tmp_path/'diffwave_probes.json').write_text('{"other": 1}')
    base = dict(backbone='sashimi', shift=0, clip=0, clips=30, steps=2000, tag='cpu')   # a CPU row: batch 4
    rows = [base, {**base, 'bs': 64, 'tag': 'gpu'}, {**base, 'bs': 64, 'model_sets': {'d_model': 64}, 'tag': 'wide'}]
    dm.save(rows)
    dm.save([{**base, 'bs': 64, 'tag': 'gpu again'}])          # replaces its namesake alone
    res = json.loads((tmp_path/'diffwave_probes.json').read_text())
    assert res['other'] == 1
    assert sorted(r['tag'] for r in res['memorise_probes']['runs']) == ['cpu', 'gpu again', 'wide']

def test_memorise_trains_a_batch_and_a_width():
    from diffwave_memorise import memorise
    row = memorise('sashimi', 0, 2, clips=2, bs=3, model_sets={'d_model': 8}, every=2)
    assert row['bs'] == 3 and row['model_sets'] == {'d_model': 8} and len(row['harmonicity']) == 4
    assert all(j in (0, 1) for j in row['nearest_clip'])
    assert all(a >= b for a, b in zip(row['xcorr_any'], row['xcorr']))   # the nearest of two: at least the first's
    assert [c['step'] for c in row['curve']] == [0, 2] and row['curve'][-1]['loss'] > 0
    wider = memorise('sashimi', 0, 1, clips=1, bs=1, model_sets={'d_model': 12}, every=1)
    assert wider['params'] > row['params']                     # the width reached the model

def test_parse_sets_reads_key_json_and_refuses_the_rest(capsys):
    import argparse, pytest
    from judge_seeds import parse_sets
    p = argparse.ArgumentParser(prog='probe')
    assert parse_sets(p, ['d_model=64', 'train.model.film=true', 's="x=y"']) == \
        {'d_model': 64, 'train.model.film': True, 's': 'x=y'}
    for bad in ('d_model', 'd_model=six', '=3'):
        with pytest.raises(SystemExit) as e: parse_sets(p, [bad], 'd_model=64')
        assert e.value.code == 2 and f"--set {bad!r}: give KEY=JSON, e.g. d_model=64" in capsys.readouterr().err

def test_read_rows_reads_json_lines_and_names_a_bad_file(tmp_path, capsys):
    import argparse, pytest
    from judge_seeds import read_rows
    p = argparse.ArgumentParser(prog='probe')
    (tmp_path/'a.jsonl').write_text('{"x": 1}\n\n{"x": 2}\n'); (tmp_path/'b.jsonl').write_text('{bad\n')
    assert read_rows(p, [tmp_path/'a.jsonl']) == [{'x': 1}, {'x': 2}]
    for bad, why in (('b.jsonl', 'JSONDecodeError'), ('none.jsonl', 'FileNotFoundError')):
        with pytest.raises(SystemExit) as e: read_rows(p, [tmp_path/bad])
        err = capsys.readouterr().err
        assert e.value.code == 2 and f"--merge {tmp_path/bad}: {why}" in err
