"DiffWave from the command line: `foleybook train diffwave` on a SynthFoley set, then `foleybook generate` with the saved model."
import json, os
from pathlib import Path
import pytest
from foleybook.cli import main

def test_train_diffwave_cli(tmp_path, capsys):
    out = tmp_path / 'dw'
    code = main(['train', 'diffwave', '--data', 'synth', '--preset', 'debug', '--out', str(out), '--epochs', '1', '--bs', '8',
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
