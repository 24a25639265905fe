("MTCRNN: the chained generator (one folder, fast == naive, bad input), the trainer and recipe tables, the control "
 "measure.")
import json
import numpy as np, pytest, torch
from foleybook.core import ConfigError, DataError, CheckpointError
from foleybook.pretrained import load_pretrained
from foleybook.train.trainers import get_trainer, resolve
from foleybook.protocols import check_generator
from foleybook.systems.mtcrnn.tiers import Tier, TierConfig
from foleybook.systems.mtcrnn.train import clip_tracks, clip_files
from foleybook.systems.mtcrnn.chain import MTCRNN
from foleybook.systems.mtcrnn.train import train_mtcrnn
from foleybook.data.textures import texture, make_textures
from foleybook.recipes.engine import get_recipe
from foleybook.eval.system_metrics import control_correlation, event_times
from foleybook.systems.mtcrnn.recipe import test_curves as curves


@pytest.fixture(scope='module')
def chain():
    torch.manual_seed(0)
    return MTCRNN(*[Tier(TierConfig.preset(p)).eval() for p in ('debug', 'debug_tier2', 'debug_tier1')])


def test_generate_shapes_seed_and_fast_equals_naive(chain):
    check_generator(chain)
    ramp = np.linspace(0, 1, 5)
    w = chain.generate(ramp, n=2, control_rate=25, seed=4)
    assert w.shape == (2, 5 * 5 * 4 * 32) and w.abs().max() <= 1   # 25 Hz -> 125 -> 500 -> 16000
    assert torch.equal(chain.generate(ramp, n=2, control_rate=25, seed=4, method='naive'), w)
    assert not torch.equal(chain.generate(ramp, n=2, control_rate=25, seed=5), w)


def test_save_load_one_folder(chain, tmp_path):
    chain.save_pretrained(tmp_path/'m')
    assert sorted(p.name for p in (tmp_path/'m').iterdir()) == ['config.json', 'tier1', 'tier2', 'tier3']
    m2 = load_pretrained(tmp_path/'m')
    assert isinstance(m2, MTCRNN)
    assert torch.equal(m2.generate(n=1, seed=2, duration=.1), chain.generate(n=1, seed=2, duration=.1))
    (tmp_path/'m'/'tier1'/'config.json').unlink()
    with pytest.raises(CheckpointError, match=r"needs the part sub-folders \['tier1'\]"): load_pretrained(tmp_path/'m')


def test_bad_input_names_the_argument(chain, tmp_path):
    with pytest.raises(ConfigError, match=r"has 3 feature\(s\) per step but the tier is conditioned on 1 \['fill'\]"):
        chain.generate(np.zeros((10, 3)))
    bad = np.linspace(0, 1, 10); bad[7] = np.inf
    with pytest.raises(ConfigError, match=r"NaN or infinite values \(first at step 7\)"): chain.generate(bad)
    with pytest.raises(ConfigError, match="its rate 30 Hz does not divide the tier's rate 125 Hz"):
        chain.generate(np.zeros(10), control_rate=30)
    with pytest.raises(ConfigError, match="mode must be one of"): chain.generate(mode='other')
    t3, t2, t1 = chain.tier3, chain.tier2, chain.tier1
    with pytest.raises(ConfigError, match="tier1 is conditioned on"):
        MTCRNN(t3, t2, Tier(TierConfig.preset('debug_tier1', prop=('rms',))))
    (w,) = make_textures(tmp_path, 1, kinds=('pops',), duration=.5)
    d = json.loads(w.with_suffix('.json').read_text()); del d['fill']
    (tmp_path/'nofill.json').write_text(json.dumps(d))
    with pytest.raises(DataError, match=r"nofill.json: no parameter\(s\) \['fill'\]"):
        clip_tracks(tmp_path/'nofill.json', t3.config)


def test_tables():
    assert get_trainer('mtcrnn') is train_mtcrnn.spec and get_trainer('mtcrnn_tier').extras.__name__ == '_TierExtras'
    assert [s.name for s in get_recipe('mtcrnn').stages] == ['data', 'params', 'tier3', 'tier2', 'tier1', 'generate',
                                                             'evaluate']
    # one setting for the chain: each tier adds its own defaults
    r = resolve('mtcrnn', 'published', steps=3, **{'model.tier1.hidden': 8})
    assert r.given == dict(steps=3) and r.settings is None and (r.model.tier1.hidden, r.model.tier2.hidden) == (8, 500)
    t1 = resolve('mtcrnn_tier', 'tier1')
    # the published tier 1
    assert (t1.settings.steps, t1.extras.seq_len, t1.extras.tfr, t1.extras.ss) == (50000, 4000, 0.8, 0.)


def test_control_measure():
    w, p = texture('pops', 3., 16000, 1)
    c = np.interp(np.arange(75) / 25, p['fill']['times'], p['fill']['values'])
    assert control_correlation(w, 16000, c) > 0.95
    assert control_correlation(w, 16000, 1 - c) < -0.95   # the opposite control
    assert np.allclose(event_times(np.eye(1, 8000, 2000)[0], 16000), [0.125], atol=0.003)
    cv = curves(1., 125.)
    assert cv['ramp'].shape == (125,) and set(np.unique(cv['step'])) == {np.float32(.15), np.float32(.85)}


def test_lossy_fast_steps_stay_close_and_fp32_is_exact():
    from foleybook.systems.mtcrnn.generate import FastGRUStep, generate_tier
    torch.manual_seed(1)
    t1 = Tier(TierConfig.preset('debug_tier1', hidden=48)).eval()
    cond = torch.randn(1, 150, 13)
    ref = generate_tier(t1, cond, seed=2)
    assert torch.equal(ref, generate_tier(t1, cond, seed=2, method='naive'))
    with torch.inference_mode():
        steps = {dt: FastGRUStep(t1, 1, dt) for dt in (torch.float32, torch.float16, torch.qint8)}
        ct = steps[torch.float32].cond_terms(t1.norm_cond(cond))
        lg = {dt: torch.stack([s.step(ref[:, t - 1] if t else torch.full((1,), 128),
                                      ct[:, t]).clone() for t in range(150)]) for dt, s in steps.items()}
    p32 = lg[torch.float32].softmax(-1)
    l1 = {dt: float((p32 - lg[dt].softmax(-1)).abs().sum(-1).mean()) for dt in (torch.float16, torch.qint8)}
    assert l1[torch.float16] < 1e-3 and l1[torch.qint8] < 0.05, l1
    with pytest.raises(ConfigError, match='dtype must be one of'): FastGRUStep(t1, 1, torch.float64)


def test_tier_measure_needs_a_short_feature_window():
    from foleybook.features import control_features
    from foleybook.eval.system_metrics import track_correlation
    w, p = texture('pops', 4., 16000, 2)
    c = np.interp(np.arange(100) / 25, p['fill']['times'], p['fill']['values'])
    x = torch.from_numpy(w)
    assert track_correlation(control_features(x, 16000, 125., n_fft=256)['rms'].numpy(), 125., c) > 0.9
    assert track_correlation(control_features(x, 16000, 500., n_fft=256)['mfcc'][0].numpy(), 500., c, 'mfcc0') > 0.9
