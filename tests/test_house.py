"""How to add a system, proved: a sixth system defined only here (a trainable part, its trainer, a generator made of
that part, and one `System` declaration with its presets) trains, generates, exports, is benchmarked and shows its
sampler through the tables, with no edit anywhere else."""
import json
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar
import pytest, torch
from torch import nn
from foleybook.core import FoleyConfig
from foleybook.pretrained import Pretrained, REGISTRY, load_pretrained
from foleybook.seeds import clip_generators, draw_uniform
from foleybook.data.synth import DCASE_CLASSES
from foleybook.protocols import Generator, GeneratorMixin
from foleybook.train.trainers import Trainer, trainer, TRAINERS
from foleybook.generators import System, Part, PartsGenerator, register_system, ALL_SYSTEMS, classes_of
from foleybook.recipes.engine import RECIPES
import foleybook.recipes.stages   # the engine's shared stages: a system with presets is a recipe
from foleybook.cli import main


@dataclass
class LevelsConfig(FoleyConfig):
    "The classes whose level a `Levels` learns."
    classes: tuple = ('DogBark', 'Rain', 'GunShot')
    presets: ClassVar[dict] = {'debug': {}}

class Levels(Pretrained, nn.Module):
    "The trainable part: each class's mean log-rms level, learnt from the data."
    config_class = LevelsConfig
    def __init__(self, config):
        super().__init__()
        self.config, self.log_rms = config, nn.Parameter(torch.full((len(config.classes),), -6.))
    def forward(self, label): return self.log_rms[label]

class LevelsTrainer(Trainer):
    ("Learn each class's log-rms level from a class folder (or 'synth'): the data, the model and the learner; the rest "
     "is the skeleton's.")
    def synth(self, run): return dict(n_per_class=4)
    def build_data(self, data, run, out, device):
        from foleybook.data.folders import ClassFolder
        from foleybook.data.loaders import make_dls
        ds = ClassFolder(data, sr=16000, duration=1.)
        items = [(torch.tensor(y), ds[i][0].pow(2).mean().add(1e-8).log().mul(.5)) for i, y in enumerate(ds.labels)]
        return make_dls(items, items[:2], bs=run.settings.bs, seed=run.settings.seed, device=device,
                        n_inp=1), tuple(ds.classes)
    def build_model(self, data, run): return Levels(run.model.replace(classes=data[1]))
    def build_learner(self, data, model, run, cbs):
        from fastai.learner import Learner
        return Learner(data[0], model, loss_func=nn.MSELoss(), lr=run.settings.lr, cbs=cbs)

train_levels = trainer('levels', LevelsConfig, defaults={'*': dict(epochs=3, bs=4, lr=0.5)},
                       what='the class levels')(LevelsTrainer)

class Chirps(GeneratorMixin, PartsGenerator):
    "Rising chirps, one start pitch per class, at each class's learnt level."
    system, sample_rate = 'chirps', 16000
    def __init__(self, levels:Levels, classes=None):
        self.levels, self.classes = levels, list(classes or levels.config.classes)
    def saved_settings(self): return dict(classes=self.classes)
    def generate(self, cond=None, n=1, seed=0, rate:float=2.):   # seed: an int or one per clip
        k = self.classes.index(cond) if isinstance(cond, str) else int(cond or 0)
        t = torch.arange(self.sample_rate) / self.sample_rate
        f0 = 300. * (k + 1) * (1 + 0.05 * draw_uniform((n, 1), clip_generators(seed, n)))   # clip j from its own seed
        gain = self.levels.log_rms[k].detach().exp() * 2 ** .5
        return gain * torch.sin(2 * torch.pi * f0 * t * (1 + rate * t / 2))

PRESET = dict(n_per_class=4, holdout=0.5, seed=0, duration=1.0, synth=dict(classes=['DogBark', 'Rain', 'GunShot']),
              levels=dict(preset='debug', epochs=3), generate=dict(n_per_class=2, bs=2),
              judge='debug', evaluate=dict(embedders=['classifier']))

# the one declaration: its part and trainer, how it builds, its presets; the recipe's stages come by default
CHIRPS = System('chirps', {'levels': Part('levels', ('levels',))},
                build=lambda parts, classes=None: Chirps(parts['levels'], classes),
                settings=lambda r, parts, given: dict(classes=classes_of(r)),
                presets={'debug': PRESET}, description='rising chirps at learnt class levels')

@pytest.fixture(autouse=True)
def recipe():
    "The system registered (as a module of the package would be on import), and taken out again after each test."
    register_system(CHIRPS)
    yield RECIPES['chirps']
    ALL_SYSTEMS.pop('chirps', None); RECIPES.pop('chirps', None)


def test_registered_by_definition(tmp_path):
    assert REGISTRY['Chirps'] is Chirps and ALL_SYSTEMS['chirps'] is CHIRPS and TRAINERS['levels'] is train_levels.spec
    spec = RECIPES['chirps']   # its recipe, from the declaration: the shared stages around its part's training stage
    assert spec.system is CHIRPS
    assert [s.name for s in spec.stages] == ['data', 'split', 'levels', 'generate', 'evaluate']
    g = CHIRPS.assemble({'levels': Levels(LevelsConfig())})
    assert isinstance(g, Generator) and isinstance(load_pretrained(g.save_pretrained(tmp_path/'m')), Chirps)


def test_trains_generates_exports(recipe, tmp_path, capsys):
    exp = tmp_path/'exp'
    # the CLI's choices come from RECIPES
    assert main(['recipe', 'chirps', '--preset', 'debug', '--out', str(exp)]) == 0
    rep = json.loads((exp/'report.json').read_text())
    assert rep['recipe'] == 'chirps' and set(rep['class_accuracy']) == {'DogBark', 'Rain', 'GunShot'}
    assert len(list((exp/'gen').glob('*/*.wav'))) == 6 and set(rep['level']) == {'DogBark', 'Rain', 'GunShot'}
    h = json.loads((exp/'levels'/'history.json').read_text())
    assert h['last_loss'] < h['first_loss']                                          # the part trained
    assert main(['export', '--pipeline', str(exp), '--out', str(tmp_path/'model')]) == 0
    model = load_pretrained(tmp_path/'model')
    assert type(model) is Chirps and model.classes == ['DogBark', 'GunShot', 'Rain']   # the split's (DCASE) order
    trained = CHIRPS.assemble({'levels': exp/'levels'/'final'})                     # from the part's folder
    assert torch.equal(model.generate('Rain', 2, seed=3), trained.generate('Rain', 2, seed=3))
    assert main(['generate', '--model', str(tmp_path/'model'), '--class', 'gun_shot', '--n', '3', '--option', 'rate=4',
                 '--out', str(tmp_path/'gen')]) == 0
    assert len(list((tmp_path/'gen'/'GunShot').glob('*.wav'))) == 3   # any spelling; the folder takes the generator's
    assert main(['generate', '--model', str(tmp_path/'model'), '--class', 'Thunder', '--out', str(tmp_path/'x')]) == 2
    assert ("'Thunder' is not a class of this generator; classes: ['DogBark', 'GunShot', 'Rain']"
            in capsys.readouterr().err)


def test_sampler():
    g = CHIRPS.assemble({'levels': Levels(LevelsConfig())})
    s = CHIRPS.show(g)
    assert list(s.controls)[:3] == ['cond', 'n', 'seed']
    s.run(cond='GunShot', n=2, seed=5)
    assert s.error is None and len(s.last) == 2 and s.last[0][1] == 16000
    assert torch.allclose(torch.as_tensor(s.last[1][0]), g.generate('GunShot', 2, seed=5)[1])


def test_benchmarked(recipe, tmp_path, monkeypatch):
    from foleybook.recipes import bench
    monkeypatch.setitem(bench.BENCH_SYSTEMS, 'chirps',
                        dict(recipe='chirps', presets=dict(debug='debug', demo='debug', paper='debug'),
                                                             target=('generated_accuracy', 0.)))
    scores = bench.run_bench(tmp_path/'bench', ['chirps'], preset='debug', seeds=(0,), system='cpu', report=False)
    s = scores['chirps'][0]
    # the bench's data
    assert s['system'] == 'chirps' and s['kind'] == 'classes' and set(s['per_class']) == set(DCASE_CLASSES)
    assert s['own'] == dict(metric='generated_accuracy', value=s['accuracy'], target=0., met=True)
