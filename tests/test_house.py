"""How to add a system, proved: a tiny `Generator` defined only here reaches `foleybook generate`, the sampler
widget and a recipe's generate/evaluate stages through the tables, with no edit anywhere else."""
import json
from pathlib import Path
import torch
from foleybook.core import Pretrained, REGISTRY, CONFIG_NAME, atomic_write, load_pretrained
from foleybook.protocols import Generator, GeneratorMixin
from foleybook.recipes.engine import RecipeSpec, Stage, register_recipe, RECIPES
from foleybook.recipes.stages import stage_data, stage_split, stage_generate, stage_evaluate, classes_of
from foleybook.cli import main


class Chirps(GeneratorMixin, Pretrained):
    "Rising chirps, one start pitch per class: the smallest system there is (no weights: `GeneratorMixin` gives it `device` and `to`)."
    sample_rate = 16000
    def __init__(self, classes=('DogBark', 'Rain', 'GunShot')): self.classes = list(classes)
    def generate(self, cond=None, n=1, seed=0, rate:float=2.):
        k = self.classes.index(cond) if isinstance(cond, str) else int(cond or 0)
        t = torch.arange(self.sample_rate) / self.sample_rate
        g = torch.Generator().manual_seed(seed)
        f0 = 300. * (k + 1) * (1 + 0.05 * torch.rand(n, 1, generator=g))
        return 0.3 * torch.sin(2 * torch.pi * f0 * t * (1 + rate * t / 2))
    def save_pretrained(self, folder):
        Path(folder).mkdir(parents=True, exist_ok=True)
        with atomic_write(Path(folder)/CONFIG_NAME, 'w') as f: json.dump(dict(model_class='Chirps', classes=self.classes), f)
        return Path(folder)
    @classmethod
    def from_pretrained(cls, folder, device='cpu'): return cls(json.loads((Path(folder)/CONFIG_NAME).read_text())['classes'])


def test_registered_by_definition(tmp_path):
    assert REGISTRY['Chirps'] is Chirps and isinstance(Chirps(), Generator)
    assert isinstance(load_pretrained(Chirps().save_pretrained(tmp_path/'m')), Chirps)


def test_cli_generate_takes_it(tmp_path, capsys):
    Chirps().save_pretrained(tmp_path/'chirps')
    assert main(['generate', '--model', str(tmp_path/'chirps'), '--class', 'Rain', '--n', '3', '--option', 'rate=4',
                 '--out', str(tmp_path/'gen')]) == 0
    assert len(list((tmp_path/'gen'/'Rain').glob('*.wav'))) == 3
    assert main(['generate', '--model', str(tmp_path/'chirps'), '--class', 'Thunder', '--out', str(tmp_path/'x')]) == 2
    assert "'Thunder' is not a class of this generator; classes: ['DogBark', 'Rain', 'GunShot']" in capsys.readouterr().err
    assert main(['generate', '--model', str(tmp_path/'chirps'), '--class', 'gun_shot', '--out', str(tmp_path/'gen')]) == 0
    assert len(list((tmp_path/'gen'/'GunShot').glob('*.wav'))) == 1        # any spelling; the folder takes the generator's


def test_sampler_takes_it():
    from foleybook.systems.common import generator_sampler
    s = generator_sampler(Chirps())
    assert list(s.controls)[:3] == ['cond', 'n', 'seed']
    s.run(cond='GunShot', n=2, seed=5)
    assert s.error is None and len(s.last) == 2 and s.last[0][1] == 16000
    assert torch.allclose(torch.as_tensor(s.last[1][0]), Chirps().generate('GunShot', 2, seed=5)[1])


def test_recipe_evaluates_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv('FOLEYBOOK_JUDGE_CACHE', str(tmp_path/'judges'))   # the judge: a fresh cache
    spec = register_recipe(RecipeSpec('chirps', [
        Stage('data', 'the data description', 'data/source.json', (), stage_data),
        Stage('split', 'the train / held-out split', 'data/splits.json', ('data',), stage_split),
        Stage('generate', 'generated clips', 'gen', ('split',), stage_generate),
        Stage('evaluate', 'the report', 'report.json', ('split', 'generate'), stage_evaluate,
              reads=('evaluate', 'judge'))],
        presets={'debug': dict(n_per_class=4, holdout=0.5, seed=0, duration=1.0, synth=dict(classes=['DogBark', 'Rain', 'GunShot']),
                               generate=dict(n_per_class=2, bs=2), judge='debug',
                               evaluate=dict(embedders=['classifier']))},
        generator=lambda r: Chirps(classes_of(r))))
    try:
        assert main(['recipe', 'chirps', '--preset', 'debug', '--out', str(tmp_path/'exp')]) == 0   # the CLI's choices come from RECIPES
        rep = json.loads((tmp_path/'exp'/'report.json').read_text())
        assert rep['recipe'] == 'chirps' and set(rep['class_accuracy']) == {'DogBark', 'Rain', 'GunShot'}
        assert len(list((tmp_path/'exp'/'gen').glob('*/*.wav'))) == 6
        assert set(rep['stage_seconds']) == set(rep['stage_cpu_seconds']) == {'data', 'split', 'generate', 'evaluate'} and set(rep['level']) == {'DogBark', 'Rain', 'GunShot'}
    finally: RECIPES.pop('chirps', None)
