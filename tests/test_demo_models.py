"""The committed demo models make the clips they made before each system moved to its home (`foleybook/systems/NAME/`):
fp32, the same seed, compared with fingerprints (48 samples and the rms of each clip) saved then; and the two diffusion
demos as their recipes sample them (the preset's sampler options), against values recorded from these folders: a config
or loader change that alters the weights' layout, the noise prior or the sampler shows up here."""
import json
from pathlib import Path
import numpy as np, pytest, torch
from foleybook.pretrained import load_pretrained
from foleybook.generators import as_generator
from clip_helpers import assert_same_clips

ROOT = Path(__file__).resolve().parent.parent
SAVED = json.loads((ROOT/'tests'/'data'/'demo_clips.json').read_text())['models']


@pytest.mark.parametrize('name', sorted(SAVED))
def test_same_clips(name, monkeypatch):
    monkeypatch.setenv('FOLEYBOOK_PRECISION', 'fp32')   # the exact form, whatever 'auto' would choose here
    g = as_generator(load_pretrained(ROOT/'nbs'/'results'/'models'/name))
    if g.classes: w = g.generate(g.classes[0], 2, seed=3)
    else: w = g.generate(np.linspace(0, 1, 50)[None, :, None].repeat(2, 0), n=2, seed=3)
    w = torch.as_tensor(w[0] if isinstance(w, tuple) else w).double().reshape(2, -1).numpy()
    ref = SAVED[name]
    assert list(w.shape) == ref['shape']
    assert_same_clips(w[:, ref['index']], ref['samples'], ref['rms'], np.sqrt((w ** 2).mean(1)), name)


MODELS = Path(__file__).resolve().parents[1]/'nbs'/'results'/'models'
# (class, seed 3, two clips): mean |x| of each clip, then x at 12 evenly spaced samples (first and last included)
DIFFWAVE = {
    'DogBark': ([0.0234584, 0.0100733],
                [[0.0051875, 0.0018482, 0.0010216, -0.1116377, 0.1131864, 0.0023364, 0.0020898, -2.06e-05, 0.0007118,
                  -0.0003094, -7.07e-05, 0.000497],
                 [0.0022838, -0.001552, -0.0280663, 0.0011838, 0.0018538, 0.0010668, 0.0005604, 0.0013685, 0.0008423,
                  -0.0008657, -0.000678, 0.0013541]]),
    'Rain': ([0.1203655, 0.1158377],
             [[-0.0601962, 0.2240581, 0.0682317, 0.1024565, 0.1811652, 0.1602206, -0.0520876, -0.0594593, -0.2322064,
               0.0630654, 0.0412515, 0.1451295],
              [0.2667246, 0.0644357, -0.0484739, -0.2223534, 0.0414743, 0.1238555, 0.0079519, -0.0467934, -0.0890001,
               -0.0047367, 0.0885818, -0.1899136]]),
}
AUDIO_DIFFUSION = ([0.0071362], [[-0.0001867, 0.0041669, -0.000297, -0.0015197, 0.001019, -3.07e-05, -0.0016072,
                                  -0.0012049, 0.0005796, 0.0006462, -0.0003206, -0.0016862]])


def _check(w, want, length):
    assert w.shape == (len(want[0]), length)
    idx = torch.linspace(0, length - 1, 12).long()
    assert_same_clips(w[:, idx], want[1], want[0], w.abs().mean(-1))


@pytest.fixture
def fp32(monkeypatch): monkeypatch.setenv('FOLEYBOOK_PRECISION', 'fp32')


def test_diffwave_demo_clips(fp32):
    "The DiffWave demo (SaShiMi with FiLM, shaped noise) as its recipe samples it: the fast sampler, guidance 4."
    g = as_generator(load_pretrained(MODELS/'diffwave'), sampler='fast', guidance=4.)
    assert g.sample_rate == 8000
    for c, want in DIFFWAVE.items(): _check(g.generate(c, 2, seed=3), want, 32000)
    with pytest.raises(AssertionError): _check(g.generate('Rain', 2, seed=4), DIFFWAVE['Rain'], 32000)


def test_audio_diffusion_demo_clip(fp32):
    "The audio-diffusion demo (v prediction, DDIM with eta 1 over the model's 20 steps, Griffin-Lim)."
    m = load_pretrained(MODELS/'audio-diffusion')
    _check(m.generate('DogBark', 1, seed=3, eta=1., guidance=1., n_iter=64), AUDIO_DIFFUSION, 88191)
