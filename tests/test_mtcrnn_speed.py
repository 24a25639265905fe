"""The MTCRNN debug recipe's generate stage takes seconds, torch left free to use every core (as a user runs it)."""
import os, re, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_debug_generate_stage_takes_seconds(tmp_path):
    # more threads than cores: a per-step loop whose threads wait on each other at every step takes minutes
    env = {k: v for k, v in os.environ.items() if k != 'MKL_NUM_THREADS'}
    env.update(OMP_NUM_THREADS=str(2 * (os.cpu_count() or 1)), PYTHONPATH=str(ROOT), MPLBACKEND='Agg')
    cmd = [sys.executable, '-c', 'import sys; from foleybook.cli import main; sys.exit(main())', 'recipe', 'mtcrnn',
           '--preset', 'debug', '--out', str(tmp_path/'x'), '--system', 'cpu']
    tiers = subprocess.run([*cmd, '--stop-stage', 'tier1'], env={**env, 'OMP_NUM_THREADS': '1'}, capture_output=True,
                           text=True, timeout=600)
    assert tiers.returncode == 0, tiers.stdout + tiers.stderr
    t0 = time.time()
    gen = subprocess.run([*cmd, '--stage', 'generate', '--stop-stage', 'generate'], env=env, capture_output=True,
                         text=True, timeout=600)
    wall = time.time() - t0
    assert gen.returncode == 0, gen.stdout + gen.stderr
    took = float(re.search(r"stage generate: done in ([\d.]+) s", gen.stdout).group(1))
    # 2 x 2 one-second curve clips and 2 random ones: about 10 s on a loaded 2-core machine (70 s on 4 threads)
    assert took < 60 and wall < 90, (took, wall, gen.stdout)
    clips = sorted(p.name for p in (tmp_path/'x'/'gen').rglob('*.wav'))
    assert clips == ['0000.wav', '0001.wav', 'ramp_01.wav', 'ramp_02.wav', 'step_01.wav', 'step_02.wav'], clips
