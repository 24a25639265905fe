"""The committed diffusion demo models (`nbs/results/models/diffwave`, `.../audio-diffusion`) give the same clips
for the same seeds in fp32: their mean level and 12 samples spread over each clip, against values recorded from these
folders. A config or loader change that alters the weights' layout, the noise prior or the sampler shows up here."""
from pathlib import Path
import pytest, torch
from foleybook.core import load_pretrained
from foleybook.systems.common import as_generator

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
    torch.testing.assert_close(w.abs().mean(-1), torch.tensor(want[0]), atol=2e-6, rtol=1e-4)
    torch.testing.assert_close(w[:, idx], torch.tensor(want[1]), atol=2e-6, rtol=1e-4)


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
