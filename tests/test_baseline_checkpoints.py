("The DCASE 2023 baseline's checkpoint files (built here in its layout and key names) load, and the dcase2023 recipe "
 "generates and evaluates with them.")
import os
os.environ.setdefault('OMP_NUM_THREADS', '1')
import argparse, json, warnings
import pytest, torch
from torch import nn
from foleybook.core import CheckpointError
from foleybook.codecs.vqvae import load_vqvae_checkpoint
from foleybook.priors.pixelsnail import check_causality
from foleybook.priors.pixelsnail_train import load_pixelsnail_checkpoint
from foleybook.vocoders.base import inference_copy
from foleybook.vocoders.hifigan import HiFiGAN, HiFiGANConfig
from foleybook.vocoders.original import load_hifigan_checkpoint

torch.set_num_threads(1)

def baseline_vqvae_state(h=16, r=8, n_res=1, e=8, K=32, kernels=(4, 2, 6, 8), seed=0):
    ("Random tensors under the key names and shapes of the baseline's `VQVAE` (its train_vqvae.py saves this plain "
     "dict).")
    g = torch.Generator().manual_seed(seed)
    sd = {}
    def conv(name, cin, cout, k, transpose=False):
        sd[name + '.weight'] = torch.randn(*((cin, cout) if transpose else (cout,
            cin)), k, k, generator=g) / (cin * k * k) ** 0.5
        sd[name + '.bias'] = torch.randn(cout, generator=g) * 0.01
    def res(prefix, start):
        for i in range(start, start + n_res):
            conv(f'{prefix}.{i}.conv.1', h, r, 3); conv(f'{prefix}.{i}.conv.3', r, h, 1)
    for j, k in enumerate(kernels, 1):
        conv(f'enc_b.blocks_{j}.0', 1, h // 2, k)
        conv(f'enc_b.blocks_{j}.2', h // 2, h, k); conv(f'enc_b.blocks_{j}.4', h, h, 3)
        res(f'enc_b.blocks_{j}', 5)
    conv('quantize_conv_b', h, e, 1)
    sd['quantize_b.embed'], sd['quantize_b.embed_avg'] = torch.randn(e, K, generator=g), torch.randn(e, K, generator=g)
    sd['quantize_b.cluster_size'] = torch.rand(K, generator=g)
    conv('dec.blocks.0', e, h, 3); res('dec.blocks', 1)
    conv(f'dec.blocks.{n_res + 2}', h, h // 2, 4, transpose=True)
    conv(f'dec.blocks.{n_res + 4}', h // 2, 1, 4, transpose=True)
    return sd

def baseline_pixelsnail_state(C=16, R=16, K=3, n_codes=32, n_blocks=2, n_res=1, H=20, W=86, n_cls=7, E=16, seed=0):
    ("Random tensors under the key names and shapes of the baseline's `PixelSNAIL` (with its CondResNet, old-style "
     "weight norm).")
    g = torch.Generator().manual_seed(seed)
    rnd = lambda *s: torch.randn(*s, generator=g) / max(1, s[1] if len(s) > 1 else 1) ** 0.5
    sd = {}
    def wnconv(name, cin, cout, kh, kw=None, bias=True):
        sd[f'{name}.conv.weight_g'], sd[f'{name}.conv.weight_v'] = (torch.rand(cout, 1, 1, 1, generator=g) + 0.5,
                                                                    rnd(cout, cin, kh, kw or kh))
        if bias: sd[f'{name}.conv.bias'] = rnd(cout) * 0.1
    def gated(name, cin, ch, k, causal=False, aux=0, cond=0):
        conv = (lambda n, a, b: wnconv(n + '.conv', a, b, k)) if causal else (lambda n, a, b: wnconv(n, a, b, k))
        conv(f'{name}.conv1', cin, ch); conv(f'{name}.conv2', ch, 2 * cin)
        if aux: wnconv(f'{name}.aux_conv', aux, ch, 1)
        if cond: wnconv(f'{name}.condition', cond, 2 * cin, 1, bias=False)
    k = K + 1 - K % 2
    wnconv('horizontal.conv', n_codes, C, k // 2, k); wnconv('vertical.conv', n_codes, C, (k + 1) // 2, k // 2)
    sd['background'] = torch.zeros(1, 2, H, W)
    for b in range(n_blocks):
        for i in range(n_res): gated(f'blocks.{b}.resblocks.{i}', C, R, K, causal=True, cond=1)
        gated(f'blocks.{b}.key_resblock', 2 * C + 2, C, 1); gated(f'blocks.{b}.query_resblock', C + 2, C, 1)
        for name, cin in (('query', C + 2), ('key', 2 * C + 2), ('value', 2 * C + 2)):
            p = f'blocks.{b}.causal_attention.{name}'
            sd[f'{p}.weight_g'], sd[f'{p}.weight_v'], sd[f'{p}.bias'] = (torch.rand(C // 2, 1, generator=g) + 0.5,
                                                                         rnd(C // 2, cin), rnd(C // 2) * 0.1)
        gated(f'blocks.{b}.out_resblock', C, C, 1, aux=C // 2)
    wnconv('cond_resnet.blocks.0', n_codes, R, 3)
    for i in range(1, 4): gated(f'cond_resnet.blocks.{i}', R, R, 3)
    for i, (a, b) in enumerate([(n_cls, E), (E, E), (E, E), (E, H * W)]):
        sd[f'embedNet.blocks.{i}.weight'], sd[f'embedNet.blocks.{i}.bias'] = rnd(b, a), rnd(b) * 0.1
    wnconv('out.1', C, n_codes, 1)
    return sd

def original_hifigan_file(path, preset='debug'):
    "A HiFi-GAN generator file in the original layout (old-style weight norm, {'generator': state_dict})."
    plain = inference_copy(HiFiGAN(HiFiGANConfig.preset(preset)))
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', FutureWarning)
        for m in plain.modules():
            if isinstance(m, (nn.Conv1d, nn.ConvTranspose1d)): torch.nn.utils.weight_norm(m)
    torch.save({'generator': plain.state_dict(), 'steps': 1}, path)

def test_loaders_shapes_and_forward(tmp_path):
    torch.save(baseline_vqvae_state(), tmp_path/'vqvae.pth')
    vq = load_vqvae_checkpoint(tmp_path/'vqvae.pth')
    mel = torch.randn(2, 80, 344) - 5
    codes = vq.encode(mel)
    assert codes.shape == (2, 20, 86) and vq.decode(codes).shape == (2, 80, 344) and vq(mel).shape == mel.shape
    torch.save({'model': baseline_pixelsnail_state(H=4, W=6, n_codes=16), 'args': argparse.Namespace(hier='bottom')},
               tmp_path/'bottom_001.pt')
    ps = load_pixelsnail_checkpoint(tmp_path/'bottom_001.pt')
    assert (ps.config.height, ps.config.width, ps.config.n_codes, ps.config.causal) == (4, 6, 16, 'strict')
    with torch.no_grad(): assert ps(torch.zeros(2, 4, 6, dtype=torch.long), torch.tensor([0, 6])).shape == (2, 16, 4, 6)
    assert check_causality(ps, cond=3)
    torch.save(baseline_vqvae_state(), tmp_path/'wrong.pt')
    with pytest.raises(CheckpointError, match="wrong.pt: not a DCASE 2023 baseline PixelSNAIL state dict"):
        load_pixelsnail_checkpoint(tmp_path/'wrong.pt')

def test_recipe_generates_with_baseline_checkpoints(tmp_path):
    ("The steps `foleybook.priors.pixelsnail_train` gives for the published files, on the debug recipe with files of "
     "debug size.")
    from foleybook.recipes.engine import Recipe, run_recipe
    from foleybook.systems.dcase2023.recipe import DCASE2023
    P = DCASE2023.preset('debug', generate__guidance=1.)     # the baseline's prior has no null class
    exp, ck = tmp_path/'exp', tmp_path/'ck'; ck.mkdir()
    run_recipe(exp, 'dcase2023', data='synth', preset=P, stage='data', stop_stage='split', quiet=True)
    original_hifigan_file(ck/'g_00000001')
    torch.save(baseline_vqvae_state(), ck/'vqvae.pth')
    torch.save({'model': baseline_pixelsnail_state(), 'args': argparse.Namespace()}, ck/'bottom_001.pt')
    load_hifigan_checkpoint(ck/'g_00000001', 'debug').save_pretrained(exp/'vocoder'/'final')
    load_vqvae_checkpoint(ck/'vqvae.pth').save_pretrained(exp/'vqvae'/'final')
    load_pixelsnail_checkpoint(ck/'bottom_001.pt').save_pretrained(exp/'prior'/'final')
    r = Recipe(exp, 'dcase2023', data='synth', preset=P)
    for name in ('vocoder', 'vqvae', 'prior'): r.mark_done(name, 0., source='DCASE 2023 baseline checkpoint')
    run_recipe(exp, 'dcase2023', data='synth', preset=P, stage='generate', quiet=True)
    classes = json.loads((exp/'data'/'splits.json').read_text())['classes']
    assert len(classes) == 7
    assert all(len(list((exp/'gen'/c).glob('*.wav'))) == 2 for c in classes)
    assert (exp/'report.json').is_file()
    assert not (exp/'codes').exists()    # nothing was trained: the codes stage never ran
