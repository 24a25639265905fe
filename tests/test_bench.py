("`foleybook bench --preset debug`: all five systems on one SynthFoley set and one split, judged alike; resumable; bad "
 "input exits 2.")
import json, time
from pathlib import Path
import pytest
from foleybook.core import ConfigError
from foleybook.cli import main
from foleybook.recipes.bench import BENCH_SYSTEMS

def test_bench_bad_input(tmp_path, capsys):
    for args, msg in ((['--systems', 'wavenet'], "unknown system(s) ['wavenet']"),
                      (['--set', 'diffwave.train.epochs=1', '--systems', 'dcase2023'],
                       "name a system of this run first"),
                      (['--dcase'], "needs VGGish's weights"), (['--seeds', 'a'], "comma-separated integers"),
                      (['--preset', 'huge'], "unknown benchmark preset 'huge'")):
        assert main(['bench', '--out', str(tmp_path/'b'), *args]) == 2
        assert msg in capsys.readouterr().err

def test_bench_debug(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv('FOLEYBOOK_JUDGE_CACHE', str(tmp_path/'judges'))   # the judges: a fresh cache
    out = tmp_path/'bench'
    t0 = time.process_time()
    assert main(['bench', '--preset', 'debug', '--out', str(out), '--system', 'cpu', '--set',
                 'audio_diffusion.generate.n_per_class=3']) == 0
    first = time.process_time() - t0
    # without --verbose the console says where the benchmark is: each system and stage with its seed, and the time left
    lines = capsys.readouterr().out.splitlines()
    assert any(l.endswith('seed 0, the judge: a classifier of the data\'s classes') for l in lines), lines[:5]
    for k, name in enumerate(BENCH_SYSTEMS, 1):
        assert any(l.endswith(f"seed 0, {name} ({k}/5)") or f"seed 0, {name} ({k}/5), about " in l for l in lines), name
        assert any(l.startswith(f"  seed 0, {name} ({k}/5): stage generate (") for l in lines), name
        assert any(l.startswith(f"  seed 0, {name} ({k}/5): stage generate done in ") for l in lines), name
    # no tables
    assert 'left in the benchmark' in '\n'.join(lines) and not any('epoch  train_loss' in l for l in lines)
    rep = json.loads((out/'report.json').read_text())
    assert list(rep['summary']) == list(BENCH_SYSTEMS)
    for name, d in rep['summary'].items():
        assert (d['seeds'] == [0] and d['train_cpu_seconds']['mean'] > 0 and d['params']['mean'] > 0
                and d['rtf_cpu']['mean'] > 0), name
        if name == 'mtcrnn': assert d['kind'] == 'free' and 'control_correlation' in d and 'fad_all' in d
        else:
            assert d['kind'] == 'classes' and 0 <= d['accuracy']['mean'] <= 1 and len(d['per_class']) == 7, name
            assert ({'fad_classifier', 'fad_other_classifier', 'kad_classifier', 'mis', 'diversity', 'envelope',
                     'rms_dbfs_real'}
                    <= set(d)), name
    scores = rep['scores']
    # --set reached the system's recipe
    assert len(next(iter(scores['audio-diffusion'].values()))['per_class']['Rain']) and \
        sum(1 for _ in (out/'seed0'/'scores'/'audio-diffusion'/'gen'/'Rain').glob('*.wav')) == 3
    # one split: every class-conditional system trained on the same clips and was judged on the same held-out ones
    train = {n: sorted(p.resolve() for p in (out/'seed0'/n/'data'/'train').rglob('*.wav')) for n in BENCH_SYSTEMS
             if n != 'mtcrnn'}
    test = {n: sorted(p.resolve() for p in (out/'seed0'/n/'data'/'test').rglob('*.wav')) for n in train}
    assert all(v == train['dcase2023'] for v in train.values()) and all(v == test['dcase2023'] for v in test.values())
    assert not set(train['dcase2023']) & set(test['dcase2023'])
    # one judge: each recipe's report names the bench's judge, and where the bench judged the recipe's own files (its
    # conversion: 'as they are'), the report's accuracy is the bench's
    from foleybook.eval.judge import judge_fingerprint
    key = judge_fingerprint(out/'seed0'/'split'/'train', 'debug', 0)
    same = [n for n in train if ': as they are' in rep['scores'][n]['0']['conversion']]
    assert 'dcase2023' in same, {n: rep['scores'][n]['0']['conversion'] for n in train}
    for n in train:
        own = json.loads((out/'seed0'/n/'report.json').read_text())
        assert own['judge'] == key and abs(own['real_accuracy'] - rep['scores'][n]['0']['accuracy_real']) < 1e-9, n
        if n in same: assert abs(own['generated_accuracy'] - rep['scores'][n]['0']['accuracy']) < 1e-9, n
    # every clip in the judge's format, the conversion said
    assert ('resampled from 16,000 Hz' in rep['summary']['diffwave']['conversion']
            and '22,050 Hz, 4.00 s' in rep['summary']['diffwave']['conversion'])
    # the controls of the seed: every class judged on white noise and envelope noise of its held-out clips; each
    # class-conditional system's counted accuracy is its mean over the classes that count
    ctl = rep['settings']['controls']['0']
    assert set(ctl['recognised']) == {'white_noise', 'envelope_noise'} and len(ctl['counted']) == 7
    for n in train:
        s = rep['scores'][n]['0']
        counted = [c for c, d in ctl['counted'].items() if d['counts']]
        assert s['counted_classes'] == counted, n
        want = (sum(s['per_class'][c]['accuracy'] for c in counted) / len(counted)) if counted else None
        assert s['accuracy_counted'] == pytest.approx(want) if want is not None else s['accuracy_counted'] is None, n
        assert all(v['fad_ratio'] is None or v['fad_ratio'] > 0 for v in s['per_class'].values()), n
    md = (out/'report.md').read_text()
    assert '## Which classes count' in md and '| GunShot |' in md
    assert (all(f"| {n} |" in md for n in BENCH_SYSTEMS)
            and all((out/f"{p}.png").stat().st_size > 1000 for p in ('accuracy', 'quality', 'levels')))
    # resumable: a rerun trains nothing and scores nothing again
    t0 = time.process_time()
    assert main(['bench', '--preset', 'debug', '--out', str(out), '--system', 'cpu', '--set',
                 'audio_diffusion.generate.n_per_class=3']) == 0
    again = time.process_time() - t0
    assert again < first / 5, (again, first)
    print(f"debug bench: {first:.1f} s CPU, rerun {again:.1f} s CPU")
    # one (seed, system) job (bench/bench_demo.py runs them in parallel) holds its experiment folder, not the
    # benchmark's: it runs while another run holds OUT, finds its stages done and returns the bench's score
    from foleybook.outputs import folder_lock
    from foleybook.recipes.bench import bench_job, run_bench
    marks = {p: p.stat().st_mtime_ns for p in (out/'seed0'/'audio-diffusion'/'stages').iterdir()}
    with folder_lock(out):
        with pytest.raises(ConfigError, match='another foleybook run'): run_bench(out, preset='debug', system='cpu')
        sc = bench_job(out, 'audio-diffusion', 0, preset='debug', sets={'generate.n_per_class': 3}, system='cpu')
    assert sc == json.loads((out/'seed0'/'scores'/'audio-diffusion'/'score.json').read_text())
    assert sc['accuracy'] == rep['scores']['audio-diffusion']['0']['accuracy']
    assert {p: p.stat().st_mtime_ns for p in (out/'seed0'/'audio-diffusion'/'stages').iterdir()} == marks
    # the DCASE evaluation mode on the same folder: the split, judge and DiffWave run are reused, only the scores are
    # redone with VGGish
    from foleybook.eval.embedders import VGGish, VGGishConfig
    rep = run_bench(out, systems=['diffwave', 'mtcrnn'], preset='debug', system='cpu',
                    embedders=[VGGish(VGGishConfig.preset('debug'))], dcase=True,
                    sets={'diffwave.generate.n_per_class': 2})   # 100 clips per class unless set
    # MTCRNN takes no class: left out
    assert list(rep['summary']) == ['diffwave'] and len(rep['summary']['diffwave']['per_class']) == 7
    md = (out/'report.md').read_text()
    assert ('## DCASE 2023 Task 7 evaluation mode' in md and 'baseline average 9.7, best system 4.765' in md
            and '| diffwave | ' in md.split('DCASE 2023')[-1])
    assert all(v.get('fad_vggish') is not None for v in rep['scores']['diffwave']['0']['per_class'].values())

def test_bench_recordings_data(tmp_path):
    "`--data recordings`: the SynthFoley set perturbed as recordings, made once in the bench folder, same names."
    import numpy as np, soundfile as sf
    from foleybook.recipes.bench import bench_data, BENCH_DATA
    rec = bench_data(tmp_path, 'recordings', 2)
    clean = tmp_path/'data'
    names = lambda d: sorted(str(p.relative_to(d)) for p in d.rglob('*.wav'))
    assert rec == tmp_path/'recordings' and names(rec) == names(clean) and len(names(rec)) == 14
    f = next(p.name for p in (rec/'Rain').glob('*.wav'))
    a, b = sf.read(str(rec/'Rain'/f)), sf.read(str(clean/'Rain'/f))
    assert a[1] == b[1] and not np.allclose(a[0], b[0])                 # same rate, other samples
    t = (rec/'made.json').stat().st_mtime_ns
    assert bench_data(tmp_path, 'recordings', 2) == rec and (rec/'made.json').stat().st_mtime_ns == t   # made once
    assert 'perturbed as recordings' in BENCH_DATA['recordings'][0]
