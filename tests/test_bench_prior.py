"The shaped-noise probe (`bench/diffwave_prior.py`): options that contradict each other are refused before any work."
import subprocess, sys
from pathlib import Path

def test_bad_options_are_one_line_and_exit_code_2_before_any_work(tmp_path):
    script = Path(__file__).resolve().parents[1]/'bench'/'diffwave_prior.py'
    for args, msg in ((['--floor', '2'], '--floor 2.0: give a number in (0, 1]'),
                      (['--zero-denoiser'], '--zero-denoiser changes a copied model: give --sampled-from'),
                      (['--sampled-from', 'diffwave'], '--sampled-from diffwave: no trained model in'),
                      (['--set', 'nope'], "--set 'nope': give KEY=JSON")):
        r = subprocess.run([sys.executable, str(script), '--out', str(tmp_path/'out'), *args], capture_output=True,
                           text=True, timeout=300)
        assert r.returncode == 2 and msg in r.stderr and 'Traceback' not in r.stderr, r.stderr
        assert msg in r.stderr.splitlines()[-1]                                 # the last line: the error itself
        assert not (tmp_path/'out').exists()                                    # no data made, no judge trained
