"""`foleybook generate --control / --breakpoints`: a bad curve exits 2 before any work; a good one is followed."""
from pathlib import Path
import numpy as np, pytest, soundfile as sf
from cli_helpers import run
from foleybook.control import breakpoints, e_l1, save_control
from foleybook.audio import load_audio

MODEL = Path(__file__).resolve().parents[1]/'nbs'/'results'/'models'/'diffwave'
ASK = "0:-60,0.5:-15,1:-40,2:-20,3:-50"


@pytest.mark.parametrize('args, msg', [
    (['--breakpoints', '0:-40,x'], '--breakpoints'), (['--breakpoints', '1:-10,0.5:-20'], 'increase'),
    (['--control', 'missing.csv'], 'not found'), (['--control', '[-10,nan]'], 'NaN'),
    (['--control', '[-10]', '--breakpoints', '0:-10'], 'not both'),
    (['--breakpoints', '0:-10', '--candidates', '0'], '--candidates'),
    (['--control', '[-10,-20]', '--tracker', 'pyin'], "--tracker must be one of ['yin', 'crepe']")])
def test_bad_control_exits_2_before_work(tmp_path, capsys, args, msg):
    code, _, err = run(['generate', '--model', MODEL, '--class', 'Rain', '--out', tmp_path/'out', *args], capsys)
    assert code == 2 and msg in err and 'Traceback' not in err
    assert not (tmp_path/'out').exists()


def test_bad_control_files(tmp_path, capsys):
    (tmp_path/'empty.csv').write_text('time,loudness_db\n')
    np.save(tmp_path/'nan.npy', np.array([-10., np.nan]))
    (tmp_path/'broken.wav').write_bytes(b'RIFF1234WAVEjunk')
    for f, msg in [('empty.csv', 'no frames'), ('nan.npy', 'NaN'), ('broken.wav', 'broken.wav')]:
        code, _, err = run(['generate', '--model', MODEL, '--control', tmp_path/f, '--out', tmp_path/'o'], capsys)
        assert code == 2 and msg in err, err


def test_generate_follows_breakpoints(tmp_path, capsys):
    ask = breakpoints(ASK, duration=4)
    save_control(ask, tmp_path/'ask.csv')
    for name, extra in [('free', []), ('bp', ['--breakpoints', ASK]), ('csv', ['--control', tmp_path/'ask.csv'])]:
        code, out, err = run(['generate', '--model', MODEL, '--class', 'Rain', '--native', '--candidates', '1',
                              '--out', tmp_path/name, *extra], capsys)
        assert code == 0, err
    e = {k: e_l1(ask, *load_audio(tmp_path/k/'Rain'/'0001.wav')[0][:1], 8000) for k in ('free', 'bp', 'csv')}
    assert e['bp'] < e['free'] / 2, e
    assert abs(e['bp'] - e['csv']) < 0.2, e


def test_generate_follows_a_reference_clip(tmp_path, capsys):
    "A wav as --control: its loudness measured, followed, recorded in generate.json."
    t = np.arange(4 * 8000) / 8000
    ref = (0.2 * np.sin(2 * np.pi * 300 * t) * ((t > 1) & (t < 2))).astype(np.float32)
    sf.write(tmp_path/'ref.wav', ref, 8000)
    code, out, err = run(['generate', '--model', MODEL, '--class', 'DogBark', '--native', '--candidates', '2',
                          '--control', tmp_path/'ref.wav', '--out', tmp_path/'o'], capsys)
    assert code == 0 and 'following ref.wav (the best of 2 per clip)' in out, err
    assert '"control": ' in (tmp_path/'o'/'generate.json').read_text()
    from foleybook.control import from_audio
    assert e_l1(from_audio(tmp_path/'ref.wav'), load_audio(tmp_path/'o'/'DogBark'/'0001.wav')[0][0], 8000) < 6

def test_tracker_chooses_the_reference_pitch(tmp_path, capsys):
    ("`--tracker crepe` measures a voice's pitch by CREPE: DiffWave's shaped-noise prior takes that pitch, so the "
     "clips differ from YIN's; the same tracker gives the same clips.")
    from scipy.signal import lfilter
    sr, t = 16000, np.arange(2 * 16000) / 16000
    f0 = 120 + 130 * (0.5 + 0.5 * np.sin(2 * np.pi * 0.5 * t))
    y = np.diff(np.floor(np.cumsum(f0) / sr), prepend=0.)   # a hum: a pulse train through two formants
    for fc, bw in ((500., 80.), (1500., 120.)):
        r, th = np.exp(-np.pi * bw / sr), 2 * np.pi * fc / sr
        y = lfilter([1 - r], [1, -2 * r * np.cos(th), r * r], y)
    sf.write(tmp_path/'hum.wav', (0.1 * y / np.sqrt((y ** 2).mean())).astype(np.float32), sr)
    from foleybook.control import from_audio
    p = {k: from_audio(tmp_path/'hum.wav', tracker=k).pitch for k in ('yin', 'crepe')}
    assert np.abs(p['yin'] - p['crepe']).max() > 50, "the trackers agree here: the test would not tell them apart"
    clips = {}
    for name, tr in (('yin', 'yin'), ('crepe', 'crepe'), ('crepe2', 'crepe')):
        code, out, err = run(['generate', '--model', MODEL, '--class', 'DogBark', '--native', '--candidates', '1',
                              '--control', tmp_path/'hum.wav', '--tracker', tr, '--out', tmp_path/name], capsys)
        assert code == 0, err
        clips[name] = load_audio(tmp_path/name/'DogBark'/'0001.wav')[0]
    assert np.array_equal(clips['crepe'], clips['crepe2']) and not np.array_equal(clips['yin'], clips['crepe'])


def test_audio_diffusion_system_generator_follows_a_control():
    "The audio-diffusion system's generator (denoiser part) follows a control as its denoiser does: `follow`, guided."
    import torch
    from foleybook.generators import get_system
    from foleybook.control import breakpoints, follow
    g = get_system('audio-diffusion').assemble('nbs/results/models/audio-diffusion')
    c = breakpoints('0:-60,1:-20,2:-50,4:-60')
    assert g.control_options(c) == g.denoiser.control_options(c) and 'curve' in g.control_options(c)
    a = g.generate('Footstep', 1, seed=3, control=c, candidates=2, steps=4)
    assert torch.equal(a, follow(g, 'Footstep', c, 1, 3, 2, steps=4))
    assert not torch.equal(a, g.generate('Footstep', 1, seed=3, steps=4))
