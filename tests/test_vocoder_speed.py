("Fast vocoder inference is exact where it claims to be: chunked windows, in-place generator sums, the VQ-VAE "
 "decoder's fp32 path.")
import pytest, torch
from foleybook.core import seed_everything
from foleybook.vocoders.base import inference_copy, receptive_field, vocode
from foleybook.vocoders.hifigan import HiFiGAN, HiFiGANConfig

torch.set_num_threads(1)


@pytest.mark.parametrize('n,chunk,batch', [(100, 20, 2), (101, 20, 1), (97, 33, 3), (64, 63, 2), (45, 7, 8)])
def test_chunks_exact(n, chunk, batch):
    ("Even chunks of <= chunk_frames, context = the receptive field only where there is signal: the whole-mel output, "
     "to float rounding.")
    seed_everything(0)
    g = inference_copy(HiFiGAN(HiFiGANConfig.preset('debug')))
    mel = torch.randn(2, 80, n) - 5
    with torch.inference_mode(): ref = g(mel)
    out = vocode(g, mel, chunk_frames=chunk, chunk_batch=batch, precision='fp32')
    assert out.shape == ref.shape
    torch.testing.assert_close(out, ref, atol=2e-6, rtol=0)


def test_context_shorter_than_receptive_field_is_not_exact():
    ("The context matters: with 1 frame instead of the receptive field the chunk edges differ (so the exact test above "
     "can fail).")
    seed_everything(0)
    g = inference_copy(HiFiGAN(HiFiGANConfig.preset('debug')))
    assert receptive_field(g) > 1
    mel = torch.randn(1, 80, 60) - 5
    with torch.inference_mode(): ref = g(mel)
    assert (vocode(g, mel, chunk_frames=20, context_frames=1, precision='fp32') - ref).abs().max() > 1e-4


def test_generator_in_place_sums_keep_training_and_output():
    "HiFi-GAN's in-place sums give the out-of-place reference's output and gradients (autograd accepts them)."
    import torch.nn.functional as F
    from foleybook.vocoders.hifigan import LRELU_SLOPE
    seed_everything(1)
    g = HiFiGAN(HiFiGANConfig.preset('debug'))
    def reference(mel):  # jik876's generator, written out of place
        x = g.conv_pre(mel)
        for i, up in enumerate(g.ups):
            x = up(F.leaky_relu(x, LRELU_SLOPE))
            xs = None
            for j in range(g.n_kernels):
                rb, y = g.resblocks[i * g.n_kernels + j], x
                for c1, c2 in zip(rb.convs1, rb.convs2):
                    y = y + c2(F.leaky_relu(c1(F.leaky_relu(y, LRELU_SLOPE)), LRELU_SLOPE))
                xs = y if xs is None else xs + y
            x = xs / g.n_kernels
        return torch.tanh(g.conv_post(F.leaky_relu(x)))
    mel = torch.randn(2, 80, 12) - 5
    out = g(mel)
    ref = reference(mel)
    assert torch.equal(out, ref)
    ga = torch.autograd.grad(out.square().sum(), g.conv_pre.parametrizations.weight.original1)[0]
    gb = torch.autograd.grad(ref.square().sum(), g.conv_pre.parametrizations.weight.original1)[0]
    torch.testing.assert_close(ga, gb)


@pytest.mark.precision
def test_vqvae_decode_precisions():
    "decode's fp32 path is the decoder itself; bf16 / mixed / 'auto' stay within bf16 rounding (mean |error| < 0.02)."
    from foleybook.codecs.vqvae import VQVAE, VQVAEConfig
    from foleybook.vocoders.base import resolve_precision
    seed_everything(2)
    m = VQVAE(VQVAEConfig.preset('debug')).eval()
    codes = torch.randint(0, 32, (2, 20, 30))
    with torch.no_grad(): ref = m._mel_out(m.decoder(m.quantizer.decode(codes)), 120, False)
    assert torch.equal(m.decode(codes, precision='fp32'), ref)
    for p in ('mixed', 'bf16', 'auto'):
        out = m.decode(codes, precision=p)
        assert out.dtype == torch.float32 and out.shape == ref.shape
        assert (out - ref).abs().mean() < 0.02, p
    pinned = resolve_precision('auto')   # no bf16 kernels (fp32), or FOLEYBOOK_PRECISION: that form exactly
    if pinned != 'auto': assert torch.equal(m.decode(codes), m.decode(codes, precision=pinned))
