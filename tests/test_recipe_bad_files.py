"""One bad-file policy, end to end: a recipe on a class-folder set holding a text file named .wav, an empty file, a
truncated file, a NaN file, a silent file, a 3 s stereo 44.1 kHz clip and an empty class folder."""
import json
from pathlib import Path
import numpy as np, soundfile as sf, torch
from foleybook.data.synth import SynthFoley
from foleybook.protocols import GeneratorMixin
from foleybook.recipes.engine import RecipeSpec, Stage, run_recipe
from foleybook.recipes.stages import stage_data, stage_split, stage_generate, classes_of
from foleybook.recipes.system_recipe import stage_evaluate
from foleybook.generators import System
from foleybook.seeds import clip_seeds, clip_generators, draw_normal


class Noise(GeneratorMixin):
    "A stand-in generator (the subject here is the data, not the model)."
    sample_rate = 22050
    def __init__(self, classes): self.classes = classes
    def generate(self, cond=None, n=1, seed=0):
        seeds = [s + self.classes.index(cond) for s in clip_seeds(seed, n)]   # seed: an int or one per clip
        return 0.1 * draw_normal((n, 22050), clip_generators(seeds, n))


def test_recipe_on_a_messy_folder(tmp_path, monkeypatch):
    monkeypatch.setenv('FOLEYBOOK_JUDGE_CACHE', str(tmp_path/'judges'))   # the judge: a fresh cache
    data = SynthFoley(6, seed=0, classes=['DogBark', 'Rain', 'GunShot']).write(tmp_path/'data')
    bad = {'zz_text.wav': b'this is not audio', 'zz_empty.wav': b''}
    for name, b in bad.items(): (data/'DogBark'/name).write_bytes(b)
    good = (data/'Rain').glob('*.wav').__next__()
    (data/'Rain'/'zz_truncated.wav').write_bytes(good.read_bytes()[:len(good.read_bytes()) // 3])
    sf.write(data/'GunShot'/'zz_nan.wav', np.full(22050, np.nan, np.float32), 22050, subtype='FLOAT')
    sf.write(data/'GunShot'/'zz_silent.wav', np.zeros(22050, np.float32), 22050)
    sf.write(data/'Rain'/'zz_stereo_44k_3s.wav',
             0.3 * np.random.default_rng(0).standard_normal((3 * 44100, 2)).astype(np.float32), 44100)
    (data/'Sneeze_Cough').mkdir()
    spec = RecipeSpec('messy', [
        Stage('data', 'the data description', 'data/source.json', (), stage_data),
        Stage('split', 'the train / held-out split', 'data/splits.json', ('data',), stage_split),
        Stage('generate', 'generated clips', 'gen', ('split',), stage_generate),
        Stage('evaluate', 'the report', 'report.json', ('split', 'generate'), stage_evaluate,
              reads=('evaluate', 'judge'))],
        presets={'debug': dict(holdout=0.34, seed=0, generate=dict(n_per_class=2, bs=2, duration=1.0),
                               judge='debug', evaluate=dict(embedders=['classifier']))},
        system=System('noise', {}, build=lambda parts, classes: Noise(classes),
                      settings=lambda r, parts, given: dict(classes=classes_of(r))))
    r = run_recipe(tmp_path/'exp', spec, data=str(data), quiet=True)
    splits = json.loads((tmp_path/'exp'/'data'/'splits.json').read_text())
    left_out = {Path(p).name for p in splits['bad']}
    assert left_out == {'zz_text.wav', 'zz_empty.wav', 'zz_truncated.wav', 'zz_nan.wav', 'zz_silent.wav'}, splits['bad']
    assert splits['empty_classes'] == ['Sneeze_Cough']
    used = {p.name for p in (tmp_path/'exp'/'data').glob('*/*/*.wav')}
    # other lengths/rates/channels are used, bad files nowhere
    assert 'zz_stereo_44k_3s.wav' in used and not used & left_out
    rep = json.loads((tmp_path/'exp'/'report.json').read_text())
    assert set(rep['bad_files']) == set(splits['bad']) and 'generated_accuracy' in rep
    log = (tmp_path/'exp'/'recipe.log').read_text()
    assert 'Sneeze_Cough' in log and '5 unusable file(s) left out of both splits' in log
