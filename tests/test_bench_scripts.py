"The bench scripts' bookkeeping: judge_seeds' results file and bench_demo's merge of one system's new runs."
import json, sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1]/'bench'))

def test_judge_seeds_save_keeps_the_ablations_and_adds_one(tmp_path, monkeypatch):
    import judge_seeds as js
    monkeypatch.setattr(js, 'RESULTS', tmp_path); monkeypatch.setattr(js, 'machine', lambda: 'this CPU')
    f = tmp_path/'audio_diffusion_judge_seeds.json'
    f.write_text(json.dumps({'what': 'w', 'machine': 'old', 'runs': [{'seed': 0, 'accuracy': 0.1}],
                             'ablations': {'eta=0': {'what': 'e', 'runs': [{'seed': 0}]}}}))
    js.save('audio-diffusion', [{'seed': 1, 'accuracy': 0.6}, {'seed': 0, 'accuracy': 0.5}])
    res = json.loads(f.read_text())
    assert res['what'] == 'w' and res['machine'] == 'this CPU' and [r['seed'] for r in res['runs']] == [0, 1]
    assert res['ablations'] == {'eta=0': {'what': 'e', 'runs': [{'seed': 0}]}}     # a run of the preset keeps them
    js.save('audio-diffusion', [{'seed': 2, 'accuracy': 0.7}], 'top k 8', 'the prior sampled among 8 codes')
    res = json.loads(f.read_text())
    assert [r['accuracy'] for r in res['runs']] == [0.5, 0.6] and set(res['ablations']) == {'eta=0', 'top k 8'}
    assert res['ablations']['top k 8'] == {'what': 'the prior sampled among 8 codes', 'machine': 'this CPU',
                                           'runs': [{'seed': 2, 'accuracy': 0.7}]}
    js.save('mtcrnn', [{'seed': 0}])                                                 # a new file: its own `what`
    assert json.loads((tmp_path/'mtcrnn_judge_seeds.json').read_text())['what'].startswith('foleybook recipe mtcrnn')

def test_bench_demo_merge_keeps_the_other_systems_and_names_each_cpu():
    from bench_demo import merge_results
    old = dict(settings=dict(preset='demo', cpu='AMD EPYC; b, c: Intel'),
               scores={'a': {'0': 1}, 'b': {'0': 2}, 'c': {'0': 3}, 'd': {'0': 4}})
    res = merge_results(old, dict(settings=dict(preset='demo', cpu='AMD EPYC'), scores={'b': {'0': 20, '1': 21}}))
    assert res['scores'] == {'a': {'0': 1}, 'b': {'0': 20, '1': 21}, 'c': {'0': 3}, 'd': {'0': 4}}   # in their order
    assert list(res['scores']) == ['a', 'b', 'c', 'd'] and res['settings']['cpu'] == 'AMD EPYC; c: Intel'
    res = merge_results(old, dict(settings=dict(preset='demo', cpu='Intel'), scores={'a': {'0': 10}}))
    assert res['scores']['a'] == {'0': 10}
    assert res['settings']['cpu'] == 'Intel; d: AMD EPYC'                   # the CPU of most systems comes first
    new = dict(settings=dict(preset='demo', cpu='Arm'), scores={'a': {}, 'b': {}, 'c': {}, 'd': {}})
    assert merge_results(old, new) is new                                     # nothing of the old file is left

def test_contradicting_options_are_an_error_not_ignored(tmp_path, capsys):
    import argparse, pytest
    from judge_seeds import check_args
    from bench_demo import read_results
    p = argparse.ArgumentParser(prog='probe')
    ok = dict(ablation=None, what=None, merge=None, rows=None)
    check_args(p, argparse.Namespace(**ok))
    check_args(p, argparse.Namespace(**{**ok, 'merge': ['a.jsonl'], 'ablation': 'x', 'what': 'w'}))
    for bad, msg in (({'ablation': 'x'}, '--ablation needs --what'), ({'what': 'w'}, 'give --ablation NAME too'),
                     ({'merge': ['a.jsonl'], 'rows': 'r.jsonl'}, 'give one'),
                     ({'ablation': 'x', 'what': 'w', 'rows': 'r.jsonl'}, 'give it with --merge')):
        with pytest.raises(SystemExit) as e: check_args(p, argparse.Namespace(**{**ok, **bad}))
        assert e.value.code == 2 and msg in capsys.readouterr().err
    assert read_results(p, str(tmp_path/'none.json')) is None                    # a first run: nothing to keep
    good = {'settings': {'cpu': 'AMD EPYC'}, 'scores': {}}
    (tmp_path/'r.json').write_text(json.dumps(good)); assert read_results(p, str(tmp_path/'r.json')) == good
    for text in ('{bad', '[]', '{"scores": {}}'):
        (tmp_path/'r.json').write_text(text)
        with pytest.raises(SystemExit) as e: read_results(p, str(tmp_path/'r.json'))
        assert e.value.code == 2 and 'not a benchmark results file' in capsys.readouterr().err
    with pytest.raises(SystemExit): read_results(p, None)
    assert '--merge keeps the systems of the --results file' in capsys.readouterr().err
