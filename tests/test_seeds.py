"""precision='fp32' fixes the bits: for each of the five systems (tiny untrained parts), two runs of one seed (two
processes) give the same clips, bit for bit. The pipelines with a `precision` of their own get 'fp32'; every 'auto'
inside runs fp32 by `FOLEYBOOK_PRECISION=fp32`."""
import hashlib, os, subprocess, sys
from pathlib import Path
import torch


def generators(precision='fp32') -> dict:
    "System -> (its generator from tiny untrained parts, weights seeded, in `precision`; a condition; options)."
    from foleybook.systems.common import get_system
    from foleybook.codecs.vqvae import VQVAE, VQVAEConfig
    from foleybook.priors.pixelsnail import PixelSNAIL, PixelSNAILConfig
    from foleybook.vocoders.hifigan import HiFiGAN, HiFiGANConfig
    from foleybook.codecs.vqgan import VQGAN, VQGANConfig
    from foleybook.priors.transformer import SpecGPT, GPTConfig
    from foleybook.vocoders.base import GriffinLimVocoder
    from foleybook.diffusion.diffwave import DiffWave, DiffWaveConfig
    from foleybook.diffusion.audio_diffusion import AudioDiffusion, AudioDiffusionConfig
    from foleybook.priors.mtcrnn_tiers import Tier, TierConfig
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
        'diffwave': (build('diffwave', dict(model=wave)), 'b', dict(sampler='ddim', steps=2)),
        'audio-diffusion': (build('audio-diffusion', dict(unet=AudioDiffusion(AudioDiffusionConfig.preset('debug')))),
                            'b', dict(steps=2)),   # its UNet's form: FOLEYBOOK_PRECISION
        'mtcrnn': (build('mtcrnn', tiers), None, dict(duration=0.05)),
    }


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
