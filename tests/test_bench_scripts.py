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

def test_bench_demo_merge_refuses_runs_of_another_judge():
    "One seed's systems scored by judges of other weights (another CPU's) are not put in one file."
    from bench_demo import merge_results
    from foleybook.core import ConfigError
    sc = lambda judge: dict(accuracy=0.5, **({'judge': judge} if judge else {}))
    old = dict(settings=dict(cpu='AMD EPYC'), scores={'a': {'0': sc('w1'), '1': sc('w2')}, 'b': {'0': sc(None)}})
    res = merge_results(old, dict(settings=dict(cpu='AMD EPYC'), scores={'c': {'0': sc('w1'), '1': sc('w2')}}))
    assert list(res['scores']) == ['a', 'b', 'c']                     # the same judges, or none kept: merged
    try: merge_results(old, dict(settings=dict(cpu='Intel'), scores={'c': {'0': sc('w1'), '1': sc('w3')}}))
    except ConfigError as e: assert 'seed 1' in str(e) and 'a judged by w2' in str(e) and 'c judged by w3' in str(e)
    else: raise AssertionError('runs of two judges were merged')

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

def test_bench_demo_recordings_are_the_set_perturbed_once(tmp_path, monkeypatch):
    import numpy as np, soundfile as sf
    import foleybook.recipes.bench as fb
    from foleybook.data.synth import synth_folder
    from bench_demo import bench_dataset, RECORDINGS_SEED
    assert bench_dataset(tmp_path, 'synth', 40) == ('synth', 'SynthFoley')
    assert bench_dataset(tmp_path, str(tmp_path/'my_set'), 40) == (str(tmp_path/'my_set'), 'my_set')
    made = []
    def small_set(out, data, n):
        made.append(n); return synth_folder(out/'data', 2, seed=0, duration=0.5, classes=['Rain', 'DogBark'])
    monkeypatch.setattr(fb, 'bench_data', small_set)
    data, name = bench_dataset(tmp_path, 'recordings', 40)
    assert data == str(tmp_path/'recordings') and f"seed {RECORDINGS_SEED}" in name and made == [40]
    clean, rec = sorted((tmp_path/'data').glob('*/*.wav')), sorted((tmp_path/'recordings').glob('*/*.wav'))
    assert [f.relative_to(tmp_path/'data') for f in clean] == [f.relative_to(tmp_path/'recordings') for f in rec]
    for c, r in zip(clean, rec):      # the same clip, moved, coloured and levelled: not a copy
        x, y = sf.read(c)[0], sf.read(r)[0]
        assert len(x) == len(y) and not np.allclose(x, y, atol=1e-3) and np.abs(y).max() < 1
    t = rec[0].stat().st_mtime_ns
    bench_dataset(tmp_path, 'recordings', 40); assert made == [40] and rec[0].stat().st_mtime_ns == t   # made once
    bench_dataset(tmp_path, 'recordings', 30); assert made == [40, 30]          # another set size: made again
    one, _ = bench_dataset(tmp_path, 'recordings_one_gain', 30)
    heard = 0
    for r in rec:                     # the same draws but the gain: every peak 0.9 x -15 dB, each clip a multiple
        x, y = sf.read(r)[0], sf.read(Path(one)/r.relative_to(tmp_path/'recordings'))[0]
        if not np.abs(x).max(): assert not np.abs(y).max(); continue    # a 0.5 s clip moved out by its offset
        heard += 1; assert abs(np.abs(y).max() - 0.9 * 10 ** (-15 / 20)) < 1e-4
        k = np.abs(y).max() / np.abs(x).max(); assert np.abs(y - k * x).max() < 2e-4
    assert heard >= 2

def test_bench_demo_ablations_are_filed_beside_the_scores(tmp_path):
    import subprocess
    from bench_demo import with_ablation
    f = tmp_path/'r.json'
    f.write_text(json.dumps({'settings': {}, 'scores': {'a': 1}, 'ablations': {'x': {'what': 'w'}}}))
    res = with_ablation(f, 'y', 'the y change', {'settings': {'s': 1}, 'scores': {'a': 2}, 'sets': {'a.k': True}})
    assert res == {'settings': {}, 'scores': {'a': 1}, 'ablations': {'x': {'what': 'w'}, 'y': {
        'what': 'the y change', 'settings': {'s': 1}, 'scores': {'a': 2}, 'sets': {'a.k': True}}}}
    script = Path(__file__).resolve().parents[1]/'bench'/'bench_demo.py'
    for args, msg in ((['--ablation', 'y'], 'go together'), (['--what', 'w'], 'go together'),
                      (['--ablation', 'y', '--what', 'w'], 'in a --results file'),
                      (['--ablation', 'y', '--what', 'w', '--results', str(f), '--merge'], 'without --merge')):
        p = subprocess.run([sys.executable, str(script), str(tmp_path/'out'), *args], capture_output=True, text=True)
        assert p.returncode == 2 and msg in p.stderr, p.stderr
    assert not (tmp_path/'out').exists()                                        # refused before anything ran

def test_bench_demo_train_levels_are_the_training_clips_mean_rms(tmp_path):
    import numpy as np, soundfile as sf
    from bench_demo import train_levels
    for c, amps in (('Rain', (0.1, 0.01)), ('DogBark', (0.5,))):
        for i, a in enumerate(amps):        # a square wave of amplitude a: rms a, 20 log10(a) dBFS
            f = tmp_path/'seed0'/'split'/'train'/c/f"{i}.wav"; f.parent.mkdir(parents=True, exist_ok=True)
            sf.write(f, a * np.sign(np.sin(np.arange(8000) * 0.3 + 0.1)), 16000, subtype='FLOAT')
    lv = train_levels(tmp_path, {'a': {'0': {}}, 'b': {'0': {}, '1': {}}})    # seed 1 has no split here: left out
    assert list(lv) == ['0'] and set(lv['0']) == {'Rain', 'DogBark'}
    assert abs(lv['0']['Rain'] - (-30.)) < 0.05 and abs(lv['0']['DogBark'] - 20 * np.log10(0.5)) < 0.05

def test_bench_demo_bad_input_is_one_line_and_exit_code_2(tmp_path):
    import subprocess
    script = Path(__file__).resolve().parents[1]/'bench'/'bench_demo.py'
    for args, msg in ((['--data', str(tmp_path/'none')], f"--data {tmp_path/'none'}: "),
                      (['--set', 'diffwave.nope=1'], "DiffWaveCommon has no field(s) ['nope']"),
                      (['--set', 'diffwave.level_train=loud'], 'level_train')):
        r = subprocess.run([sys.executable, str(script), str(tmp_path/'out'), '--seeds', '0', '--systems', 'diffwave',
                            *args], capture_output=True, text=True, timeout=300)
        assert r.returncode == 2 and r.stderr.startswith('bench_demo: error: ') and msg in r.stderr, r.stderr
        assert 'Traceback' not in r.stderr and not list((tmp_path/'out').glob('seed*'))   # nothing run, no split

def test_bench_controls_refresh_takes_the_new_runs_and_their_own_prior(tmp_path, monkeypatch):
    "`--systems-only`: each row's systems over its counted classes, and a prior a recordings score counted itself."
    import bench_controls as bc
    per = lambda a, b: {'A': {'accuracy': a}, 'B': {'accuracy': b}}
    counted = {'A': {'counts': True, 'why': ''}, 'B': {'counts': False, 'why': 'white_noise recognised 100%'}}
    own = {'A': {'counts': False, 'why': 'prior_noise recognised 90%', 'controls': {'prior_noise': 0.9}},
           'B': {'counts': False, 'why': 'x', 'controls': {'prior_noise': 0.0, 'white_noise': 1.0}}}
    runs = {'synth': {'s': {'0': dict(kind='classes', accuracy=0.5, accuracy_real=1.0, per_class=per(0.8, 0.2))}},
            'recordings': {'s': {'0': dict(kind='classes', accuracy=0.4, accuracy_real=0.9, per_class=per(0.6, 0.2),
                                          counted=own, accuracy_counted=None)},
                           'm': {'0': dict(kind='free', accuracy_real=0.9)}}}
    files = {}
    for data, scores in runs.items():
        files[data] = tmp_path/f'{data}.json'; files[data].write_text(json.dumps(dict(scores=scores)))
    monkeypatch.setattr(bc, 'COMMITTED', {k: str(v) for k, v in files.items()})
    res = tmp_path/'controls.json'
    row = lambda data, real: dict(data=data, seed=0, counted=counted, accuracy_real={'all': real}, systems={})
    res.write_text(json.dumps(dict(rows=[row('synth', 1.0), row('recordings', 0.9)])))
    bc.refresh_systems(str(res))
    synth, rec = json.loads(res.read_text())['rows']
    assert synth['systems'] == {'s': dict(accuracy=0.5, accuracy_counted=0.8, committed_accuracy_real=1.0)}
    assert rec['systems']['s']['accuracy_counted'] == 0.6 and 'm' not in rec['systems']   # a free system: no classes
    assert 'prior_noise' not in synth and rec['prior_noise'] == dict(system='s', recognised={'A': 0.9, 'B': 0.0},
                                                                    counted=own, accuracy_counted=None)
    res.write_text(json.dumps(dict(rows=[dict(row('synth', 1.0), judge_weights='w0')])))
    files['synth'].write_text(json.dumps(dict(scores={'s': {'0': dict(runs['synth']['s']['0'], judge='w1')}})))
    try: bc.refresh_systems(str(res))   # the same real accuracy, other weights (another CPU's judge): refused
    except AssertionError as e: assert 'another judge (its weights)' in str(e)
    else: raise AssertionError('a run of another judge was taken')
    res.write_text(json.dumps(dict(rows=[row('synth', 0.5)])))   # a committed run judged by another judge: refused
    try: bc.refresh_systems(str(res))
    except AssertionError as e: assert 'another judge' in str(e)
    else: raise AssertionError('a run of another judge was taken')

def test_bench_demo_keeps_each_seeds_judge_in_the_store(tmp_path, monkeypatch):
    from foleybook.data.synth import synth_folder
    from foleybook.eval.judge import judge_fingerprint, shared_judge
    from bench_demo import keep_judges
    monkeypatch.setenv('FOLEYBOOK_CACHE', str(tmp_path/'cache')); monkeypatch.delenv('FOLEYBOOK_JUDGE_CACHE', False)
    monkeypatch.delenv('FOLEYBOOK_JUDGE_STORE', False)
    train = synth_folder(tmp_path/'out'/'seed0'/'split'/'train', 4, seed=0, duration=0.5, classes=['Rain', 'GunShot'])
    keep_judges(tmp_path/'out', [0, 1], tmp_path/'store', 'debug', 'my_set')   # seed 1 has no split: nothing to keep
    key = judge_fingerprint(train, 'debug', 0)
    assert sorted(p.name for p in (tmp_path/'store').iterdir()) == [key, 'index.json']
    assert json.loads((tmp_path/'store'/'index.json').read_text()) == {'my_set': {'0': [key]}}
    rec = json.loads((tmp_path/'store'/key/'judge.json').read_text())
    assert rec['key'] == key and rec['seed'] == 0 and 'trained_on' not in rec     # no machine path in the store
    monkeypatch.setenv('FOLEYBOOK_CACHE', str(tmp_path/'empty')); monkeypatch.setenv('FOLEYBOOK_JUDGE_STORE',
                                                                                    str(tmp_path/'store'))
    lines = []
    assert shared_judge(train, 'debug', 0, log=lines.append).judge_folder == tmp_path/'store'/key and not lines
