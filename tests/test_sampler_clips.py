"""The diffusion demo models sample the clips they sampled when the sampler and noise-prior options were fields of the
process config (`tests/data/sampler_clips.json`: fp32, seed 5, the second class, every sampler), both from the committed
folders and from copies whose config.json sets other options in that older layout (the diffusion section's keys,
`EDITS`): such a file is split on load into the process, the sampler options and the noise prior."""
import json, shutil
from pathlib import Path
import pytest, torch
from foleybook.pretrained import load_pretrained
from foleybook.generators import as_generator
from clip_helpers import assert_same_clips

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT/'nbs'/'results'/'models'
SAVED = json.loads((ROOT/'tests'/'data'/'sampler_clips.json').read_text())['models']
# options set in the older layout: keys of the config.json's diffusion section
EDITS = {'diffwave': dict(fast_betas=[1e-4, 0.01, 0.1, 0.5, 0.9], noise_spread=0.2, solver_type='heun',
                          lower_order_final=False, timestep_spacing='linspace'),
         'audio-diffusion': dict(timestep_spacing='trailing', clip_sample=1.0, set_alpha_to_one=False, solver_order=1,
                                 ddim_prev='ratio')}


def _folder(name, tmp_path):
    "The demo folder `name`, or for 'NAME-edited' a copy whose config.json's diffusion section carries `EDITS`."
    if not name.endswith('-edited'): return MODELS/name
    base = name[:-len('-edited')]
    shutil.copytree(MODELS/base, tmp_path/base)
    d = json.loads((tmp_path/base/'config.json').read_text())
    d['diffusion'].update(EDITS[base])
    (tmp_path/base/'config.json').write_text(json.dumps(d))
    return tmp_path/base


@pytest.mark.parametrize('name', sorted(SAVED))
def test_same_clips_every_sampler(name, tmp_path, monkeypatch):
    monkeypatch.setenv('FOLEYBOOK_PRECISION', 'fp32')
    g = as_generator(load_pretrained(_folder(name, tmp_path)))
    for ref in SAVED[name]:
        w = torch.as_tensor(g.generate(g.classes[1], 2, seed=5, **ref['options'])).double().reshape(2, -1)
        assert list(w.shape) == ref['shape'], ref['options']
        idx = torch.linspace(0, w.shape[1] - 1, 16).long()
        assert_same_clips(w[:, idx], ref['samples'], ref['rms'], w.pow(2).mean(1).sqrt(), f"{name} {ref['options']}")


def test_edits_change_the_clips():
    "The edited options matter (the test above would see a split that dropped them)."
    for base in EDITS:
        for a in SAVED[base + '-edited']:
            same = [b for b in SAVED[base] if b['options'] == a['options']]
            assert not same or same[0]['rms'] != a['rms'], (base, a['options'])
