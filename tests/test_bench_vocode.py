"The vocoder probe's parts (`bench/diffwave_vocode.py`): its clips, its crops, its model and its rows."
import json, sys
from pathlib import Path
import numpy as np, soundfile as sf, torch
sys.path.insert(0, str(Path(__file__).resolve().parents[1]/'bench'))
import diffwave_vocode as dv

def test_clips_are_each_class_at_8khz_and_4s(tmp_path):
    t = np.arange(22050 * 3) / 22050
    for k, f0 in (('A', 440.), ('B', 1000.)):
        (tmp_path/k).mkdir()
        sf.write(tmp_path/k/'0.wav', 0.5 * np.sin(2 * np.pi * f0 * t), 22050)        # 3 s: padded to 4 s
        sf.write(tmp_path/k/'1.wav', 0.5 * np.sin(2 * np.pi * f0 * np.arange(16000 * 5) / 16000), 16000)  # 5 s: cut
    c = dv.clips(tmp_path)
    assert list(c) == ['A', 'B'] and all(v.shape == (2, 32000) for v in c.values())
    assert c['A'][0, 24000:].abs().max() == 0                                      # the padding is silence
    spec = torch.fft.rfft(c['B'][1]).abs()
    assert abs(int(spec.argmax()) * 8000 / 32000 - 1000) < 1                       # 16 kHz read at its own rate

def test_every_other_crop_is_the_loudest_of_eight():
    w = torch.zeros(32000); w[20000:21000] = 1.                                    # one burst in a silent clip
    g = torch.Generator().manual_seed(0)
    x = dv.crops([w], 400, 8192, g)
    assert x.shape == (400, 8192)
    e = x.pow(2).sum(1)
    assert e[1::2].mean() > 2 * e[0::2].mean()                                    # the loudest of 8 hold the burst
    assert (e[1::2] > 0).float().mean() > 0.9 and 0.1 < (e[0::2] > 0).float().mean() < 0.6
    # each crop is the clip's samples from some start: its burst is where the clip's would be
    for c in x[:20]:
        if c.abs().sum():
            s = 20000 - int(c.nonzero()[0])
            assert torch.equal(c, w[s:s + 8192]) or int(c.nonzero()[0]) == 0

def test_the_vocoder_reads_4s_mels_and_trains():
    from foleybook.diffusion.diffwave import DiffWave, DiffWaveConfig
    m = DiffWave(DiffWaveConfig.preset('ljspeech', **dv.MODEL))
    c = m.config
    assert c.mel.hop_length == 128 and c.diffusion.T == 50 and c.diffusion.beta_end == 0.05   # the published process
    x = 0.1 * torch.randn(2, dv.LENGTH)
    assert m.mel(x).shape == (2, 64, dv.LENGTH // 128)                            # 250 frames cover the 4 s
    opt, losses = torch.optim.Adam(m.parameters(), 2e-3), []
    torch.manual_seed(0)
    w = torch.sin(torch.arange(8192) * 2 * torch.pi * 440 / 8000)[None].repeat(4, 1) * 0.3
    for _ in range(30):
        loss = m.loss(w); opt.zero_grad(); loss.backward(); opt.step(); losses.append(loss.item())
    assert np.mean(losses[-5:]) < 0.8 * np.mean(losses[:5])                        # it learns a tone from its mel

def test_save_replaces_a_row_of_the_same_run_only(tmp_path, monkeypatch):
    import diffwave_memorise as dm
    monkeypatch.setattr(dm, 'RESULTS', tmp_path)
    (tmp_path/'diffwave_probes.json').write_text('{"memorise_probes": {"runs": [1]}}')
    base = dict(seed=0, steps=1800, bs=4, sampler='fast', model_sets={}, tag='a')
    dv.save([base, {**base, 'steps': 5400, 'tag': 'long'}, {**base, 'model_sets': {'res_channels': 32}, 'tag': 'wide'}])
    dv.save([{**base, 'tag': 'again'}])
    res = json.loads((tmp_path/'diffwave_probes.json').read_text())
    assert res['memorise_probes'] == {'runs': [1]}
    assert sorted(r['tag'] for r in res['vocoder_probes']['runs']) == ['again', 'long', 'wide']
    assert res['vocoder_probes']['what'].startswith('Whether DiffWave renders a bark')

def test_bad_options_are_one_line_and_exit_code_2_before_any_work(tmp_path):
    import subprocess
    script = Path(__file__).resolve().parents[1]/'bench'/'diffwave_vocode.py'
    for args, msg in ((['--sampler', 'nope'], "--sampler 'nope': give one of"), (['--steps', '0'], '--steps and --bs'),
                      (['--set', 'nope=1'], "DiffWaveConfig has no field(s) ['nope']")):
        r = subprocess.run([sys.executable, str(script), '--out', str(tmp_path/'out'), *args], capture_output=True,
                           text=True, timeout=300)
        assert r.returncode == 2 and msg in r.stderr and 'Traceback' not in r.stderr, r.stderr
        assert not (tmp_path/'out').exists()                                    # no data made, no judge trained
