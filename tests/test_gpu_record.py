"""`make gpu-record DRY=1` (tests/gpu/record.py --dry): every system's debug preset through the CLI on the CPU, resumed
step for step, its clips written; the record has every field, and what needs a GPU says so."""
import json, os, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'tests'/'gpu'))
import record as R   # noqa: E402


@pytest.fixture(scope='module')
def dry(tmp_path_factory):
    "One dry record of the five systems and an unknown one (which must fail alone), in a temporary folder."
    d = tmp_path_factory.mktemp('gpu_record')
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'MKL_NUM_THREADS': '1', 'PYTHONPATH': str(ROOT)}
    p = subprocess.run([sys.executable, str(ROOT/'tests'/'gpu'/'record.py'), '--dry', '--work', str(d/'work'),
                        '--out', str(d/'record.json'), '--systems', ','.join([*R.SYSTEMS, 'nosuch'])],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    return d, json.loads((d/'record.json').read_text())


def test_every_system_trains_resumes_and_generates(dry):
    d, rec = dry
    assert rec['dry'] and rec['device'] == 'cpu' and rec['torch'] and rec['wall_s'] > 0
    assert rec['ddp'] == R.NO_GPU and rec['notebooks'] == {'all': R.NO_GPU}
    for name, (preset, stage, _) in R.SYSTEMS.items():
        r = rec['systems'][name]
        assert set(R.FIELDS) <= set(r), (name, set(R.FIELDS) - set(r))
        assert r['ok'] and r['errors'] == {} and r['preset'] == 'debug' and r['system'] == 'cpu', (name, r['errors'])
        parts = [s.section for s in R.trained_sections(name, 'debug')]
        assert sorted(r['parts']) == sorted(parts) and r['steps'] == rec['steps'] == 4, (name, r['parts'])
        assert all(p['steps'] == 4 and p['steps_per_s'] > 0 and p['bs'] >= 1 for p in r['parts'].values()), name
        assert r['resume_stage'] == stage and r['resume_from'] == 2 and r['resume_exact'] is True, name
        assert r['resume_max_diff'] == 0.0, name   # the CPU: every resumed step equal
        wavs = list((d/'work'/name/'gen').rglob('*.wav'))
        assert r['gen_clips'] == len(wavs) > 0 and r['gen_audio_s'] > 0 and r['gen_rtf'] > 0, name
        for k in ('peak_gpu_mem_gb', 'cpu_cuda_max_diff', 'cpu_cuda_codes_equal'): assert r[k] == R.NO_GPU, (name, k)
    bad = rec['systems']['nosuch']   # a failing system is recorded with its error; the others ran
    assert bad['ok'] is False and 'nosuch' in bad['errors']['process']


def test_record_paths_hold_no_machine_paths(dry):
    d, rec = dry
    text = json.dumps(rec)
    assert str(ROOT) not in text and str(d) not in text
    assert R.default_out(True, 'cpu').relative_to(ROOT).parts[0] == 'exp'   # a dry record never in nbs/results
    assert R.default_out(False, 'NVIDIA H100 80GB HBM3') == ROOT/'nbs'/'results'/'gpu_nvidia_h100_80gb_hbm3.json'


def test_cpu_and_device_clip_compare(dry):
    "The comparison of one seed's clip on two devices (CPU and CPU here): code pipelines compare their codes too."
    d, _ = dry
    r = R._compare(d/'work'/'dcase2023', 'dcase2023', devices=('cpu', 'cpu'))
    assert r['cpu_cuda_max_diff'] == 0 and r['cpu_cuda_codes_equal'] is True and r['cpu_cuda_peak'] > 0
    r = R._compare(d/'work'/'diffwave', 'diffwave', devices=('cpu', 'cpu'))
    assert r['cpu_cuda_max_diff'] == 0 and r['cpu_cuda_codes_equal'] is None and r['cpu_cuda_peak'] > 0
