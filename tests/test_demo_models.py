"""The committed demo models make the clips they made before each system moved to its home (`foleybook/systems/NAME/`):
fp32, the same seed, compared with fingerprints (48 samples and the rms of each clip) saved then."""
import json
from pathlib import Path
import numpy as np, pytest, torch
from foleybook.core import load_pretrained
from foleybook.generators import as_generator

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
    np.testing.assert_allclose(w[:, ref['index']], ref['samples'], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(np.sqrt((w ** 2).mean(1)), ref['rms'], rtol=1e-4)
