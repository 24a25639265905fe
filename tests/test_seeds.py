"""A seed fixes the clip: for each of the five systems (tiny untrained parts), clip j of seed s is the same whatever
the batch size and chunking; and precision='fp32' fixes the bits: two runs of one seed (two processes) give the same
clips, bit for bit. The pipelines with a `precision` of their own get 'fp32'; every 'auto' inside runs fp32 by
`FOLEYBOOK_PRECISION=fp32`."""
import hashlib, os, subprocess, sys
from pathlib import Path
import pytest, torch
from foleybook.core import ConfigError
from foleybook.seeds import clip_seed, clip_seeds


def generators(precision='fp32') -> dict:
    "System -> (its generator from tiny untrained parts, weights seeded, in `precision`; a condition; options)."
    from foleybook.generators import get_system
    from foleybook.codecs.vqvae import VQVAE, VQVAEConfig
    from foleybook.priors.pixelsnail import PixelSNAIL, PixelSNAILConfig
    from foleybook.vocoders.hifigan import HiFiGAN, HiFiGANConfig
    from foleybook.codecs.vqgan import VQGAN, VQGANConfig
    from foleybook.priors.transformer import SpecGPT, GPTConfig
    from foleybook.vocoders.base import GriffinLimVocoder
    from foleybook.diffusion.diffwave import DiffWave
    from foleybook.diffusion.diffwave_blocks import DiffWaveConfig
    from foleybook.diffusion.audio_diffusion import AudioDiffusion, AudioDiffusionConfig
    from foleybook.systems.mtcrnn.tiers import Tier, TierConfig
    torch.manual_seed(0)
    codec = VQVAE(VQVAEConfig.preset('debug')).eval()
    H, W = codec.code_shape(16)
    prior = PixelSNAIL(PixelSNAILConfig.preset('debug', height=H, width=W, n_codes=codec.n_codes, n_classes=7)).eval()
    hifi = HiFiGAN(HiFiGANConfig.preset('debug')).eval()
    vq = VQGAN(VQGANConfig.preset('debug')).eval()
    gpt = SpecGPT(GPTConfig.preset('debug', cond='class', n_classes=2, classes=('DogBark', 'Rain'))).eval()
    wave = DiffWave(DiffWaveConfig.preset('debug', n_classes=2, class_names=('a', 'b')))
    tiers = {t: Tier(TierConfig.preset(p)).eval() for t, p in
             (('tier3', 'debug'), ('tier2', 'debug_tier2'), ('tier1', 'debug_tier1'))}
    build = lambda name, parts, **kw: get_system(name).assemble(parts, **kw)
    return {
        'dcase2023': (build('dcase2023', dict(prior=prior, codec=codec, vocoder=hifi), batch_size=2,
                            precision=precision), 'Rain', {}),
        'specvqgan': (build('specvqgan', dict(prior=gpt, codec=vq, vocoder=GriffinLimVocoder(n_iter=4)), batch_size=2),
                      'Rain', dict(top_k=8)),   # no precision of its own: FOLEYBOOK_PRECISION decides
        'diffwave': (build('diffwave', dict(denoiser=wave)), 'b', dict(sampler='ddim', steps=2)),
        'audio-diffusion': (build('audio-diffusion',
                                  dict(denoiser=AudioDiffusion(AudioDiffusionConfig.preset('debug')))),
                            'b', dict(steps=2)),   # its UNet's form: FOLEYBOOK_PRECISION
        'mtcrnn': (build('mtcrnn', tiers), None, dict(duration=0.05)),
    }


SYSTEMS = ['dcase2023', 'specvqgan', 'diffwave', 'audio-diffusion', 'mtcrnn']

def test_clip_seeds():
    s = clip_seeds(5, 3)
    assert clip_seeds(5, 2) == s[:2] and clip_seeds(5, 1) == s[:1]       # clip j of seed 5 whatever the count
    assert len(set(s + clip_seeds(6, 3) + clip_seeds(4, 3))) == 9      # distinct clips, distinct seeds
    assert s[1] != clip_seeds(6, 1)[0] and all(0 <= v < 2**62 for v in s)   # not seed + j: mixed
    assert [clip_seed(5, j) for j in range(3)] == s
    assert clip_seeds([7, 8], 2) == [7, 8] and clip_seeds(s[1:], 2) == s[1:]   # a list: the clips' own seeds
    for bad, n in ((-1, 2), ([1, -2], 2), ([1, 2, 3], 2), (1.5, 1), ('3', 1)):
        with pytest.raises(ConfigError): clip_seeds(bad, n)

@pytest.mark.parametrize('name', SYSTEMS)
def test_clip_j_of_seed_s_whatever_the_batch(name, monkeypatch):
    monkeypatch.setenv('FOLEYBOOK_PRECISION', 'fp32')   # every 'auto' inside runs fp32: one form for every batch size
    g, cond, opts = generators()[name]
    tol = 1e-4 if name == 'specvqgan' else 1e-5   # its Griffin-Lim's batched FFTs: 2e-5 apart; its clips differ by 0.1
    together = g.generate(cond, 3, seed=5, **opts)       # the pipelines (batch_size 2) chunk it: 2 + 1 clips
    alone = torch.cat([g.generate(cond, 1, seed=[s], **opts) for s in clip_seeds(5, 3)])   # each with its clip seed
    torch.testing.assert_close(together, alone, atol=tol, rtol=0)
    torch.testing.assert_close(g.generate(cond, 2, seed=5, **opts), together[:2], atol=tol, rtol=0)
    torch.testing.assert_close(g.generate(cond, 2, seed=clip_seeds(5, 3)[1:], **opts), together[1:], atol=tol, rtol=0)
    if hasattr(g, 'batch_size'):                          # one chunk of 3, or three of 1: the same clips
        for bs in (3, 1):
            monkeypatch.setattr(g, 'batch_size', bs)
            torch.testing.assert_close(g.generate(cond, 3, seed=5, **opts), together, atol=tol, rtol=0)
    assert all(not torch.allclose(together[i], together[j]) for i, j in ((0, 1), (0, 2), (1, 2)))   # clips differ
    assert not torch.allclose(g.generate(cond, 1, seed=6, **opts)[0], together[0])                  # and seeds


_RUN = """
import hashlib, sys, torch
sys.path.insert(0, {tests!r})
from test_seeds import generators
for name, (g, cond, opts) in generators('fp32').items():
    print(name, hashlib.sha256(g.generate(cond, 2, seed={seed}, **opts).numpy().tobytes()).hexdigest())
"""

def _digests(seed:int) -> dict:
    "System -> sha256 of the two clips of `seed`, computed in a new process."
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'FOLEYBOOK_PRECISION': 'fp32'}   # every 'auto' inside runs fp32 too
    run = subprocess.run([sys.executable, '-c', _RUN.format(tests=str(Path(__file__).parent), seed=seed)],
                         capture_output=True, text=True, env=env, check=True)
    return dict(line.split() for line in run.stdout.splitlines() if len(line.split()) == 2)

def test_fp32_gives_the_same_bits_every_run():
    first, again, other = _digests(11), _digests(11), _digests(12)
    assert sorted(first) == ['audio-diffusion', 'dcase2023', 'diffwave', 'mtcrnn', 'specvqgan']
    assert first == again                                        # the same bits, run after run
    assert all(first[k] != other[k] for k in first)              # and the seed decides them
