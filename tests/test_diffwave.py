("DiffWave from the command line: `foleybook train diffwave` on a SynthFoley set, then `foleybook generate` with the "
 "saved model.")
import json, os
from pathlib import Path
import pytest
from foleybook.cli import main

def test_train_diffwave_cli(tmp_path, capsys):
    out = tmp_path / 'dw'
    code = main(['train', 'diffwave', '--data', 'synth', '--preset', 'debug', '--out', str(out), '--epochs', '1',
                 '--bs', '8',
                 '--set', 'length=1024', '--system', 'cpu'])
    assert code == 0
    final = out / 'final'
    assert (final / 'model.safetensors').is_file() and (final / 'config.json').is_file()
    assert json.loads((final / 'config.json').read_text())['n_classes'] == 7       # the 7 SynthFoley classes
    assert len(json.loads((final / 'config.json').read_text())['class_names']) == 7
    assert 'trained diffwave' in capsys.readouterr().out
    code = main(['generate', '--model', str(final), '--class', 'Rain', '--n', '2', '--out', str(tmp_path / 'gen')])
    assert code == 0
    assert len(list((tmp_path / 'gen' / 'Rain').glob('*.wav'))) == 2

def test_unknown_backbone_is_a_clear_error(tmp_path, capsys):
    code = main(['train', 'diffwave', '--data', 'synth', '--out', str(tmp_path / 'x'), '--set', 'backbone=unet'])
    assert code == 2
    assert 'backbone must be one of' in capsys.readouterr().err

def test_fast_fp32_path_equals_training_form():
    "The chunked fp32 inference path computes the training form's function to fp32 rounding, whatever the chunk size:"
    # its error against a float64 evaluation is of the size of the fp32 training form's own error
    import copy, torch
    from foleybook.diffusion.diffwave import DiffWave, FastDiffWave
    from foleybook.diffusion.diffwave_blocks import DiffWaveConfig
    torch.manual_seed(0)
    net = DiffWave(DiffWaveConfig.preset('debug', n_classes=3, n_layers=7, dilation_cycle=6))   # dilations up to 32
    with torch.no_grad():
        for p in net.out2.parameters(): p.normal_(0, 0.1)
    x, t, cond = torch.randn(3, 1, 700), torch.tensor([0., 7.25, 19.]), torch.tensor([0, 2, -1])
    with torch.no_grad(): ref, ref64 = net(x, t, cond), copy.deepcopy(net).double()(x.double(), t.double(), cond)
    base_err = float((ref.double() - ref64).abs().max())
    # chunks of 1 and 2 time steps, chunks shorter and longer than the dilations, one chunk
    for rows in (None, 3, 7, 100, 5000):
        with torch.inference_mode(): out = FastDiffWave(net, torch.float32, rows=rows)(x, t, cond)
        assert out.dtype == torch.float32 and out.shape == ref.shape
        err = float((out.double() - ref64).abs().max())
        assert err <= 4 * base_err + 1e-7 * float(ref64.abs().max()), (rows, err, base_err)


def test_generate_section_takes_the_samplers_steps_and_eta():
    "The recipe's `generate` section reaches every sampler of the core: its calls and DDIM's eta, checked and used."
    import torch
    from foleybook.core import ConfigError
    from foleybook.systems.diffwave.recipe import DiffWaveGenerate
    from foleybook.recipes.sections import check_section
    from foleybook.diffusion.sashimi import Sashimi, SashimiConfig
    check_section(DiffWaveGenerate, dict(n_per_class=2, sampler='ddim', steps=20, eta=1., guidance=4.), 'demo.generate')
    with pytest.raises(ConfigError, match='demo.generate'):
        check_section(DiffWaveGenerate, dict(n_per_class=2, sampler='ddim', step=20), 'demo.generate')
    torch.manual_seed(0)
    net = Sashimi(SashimiConfig.preset('debug', n_classes=2))
    with torch.no_grad():
        for p in net.out2.parameters(): p.normal_(0, 0.1)   # a denoiser whose output is not zero
    g = net.generator(['a', 'b'])
    assert g.sampling(sampler='ddim', steps=4, eta=1.) == dict(sampler='ddim', network_calls=4, eta=1.)
    det, anc = (g.generate('a', 2, seed=3, sampler='ddim', steps=4, eta=e) for e in (0., 1.))
    assert torch.equal(anc, g.generate('a', 2, seed=3, sampler='ddim', steps=4, eta=1.))   # seeded: the same clips
    assert (anc - det).abs().max() > 1e-3                                                  # eta 1 adds fresh noise
