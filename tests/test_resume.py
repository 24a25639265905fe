("Kill -9 a training process after a checkpoint, resume it in a new process: the result is bit-identical to a straight "
 "run.")
import os, signal, subprocess, sys, textwrap
from pathlib import Path
import pytest, torch
from foleybook.pretrained import load_safetensors
from foleybook.train.checkpoint import load_checkpoint

SCRIPT = textwrap.dedent('''
    import os, random, signal, sys
    from pathlib import Path
    import torch, torch.nn.functional as F
    from torch import nn
    from fastai.basics import *
    from foleybook.pretrained import save_safetensors
    from foleybook.train.learner import *
    from foleybook.train.checkpoint import *
    from foleybook.train.gan import gan_learner, lsgan_d_loss, lsgan_g_loss, feature_matching_loss

    def dls(seed=0):
        g = torch.Generator().manual_seed(seed)
        x = torch.randn(160, 8, generator=g); y = x[:, :1] * 2 + 0.1 * torch.randn(160, 1, generator=g)
        items = list(zip(x, y)); random.seed(seed)   # fastai DataLoaders draw their shuffle seed from `random`
        return DataLoaders.from_dsets(items[:128], items[128:], bs=32, device='cpu', num_workers=0)  # 4 steps/epoch

    class D(nn.Module):
        def __init__(self): super().__init__(); self.a, self.b = nn.Linear(1, 8), nn.Linear(8, 1)
        def forward(self, x): h = F.leaky_relu(self.a(x), .2); return [self.b(h)], [[h]]

    def d_terms(disc, real, fake): return {'d_adv': lsgan_d_loss(disc(real)[0], disc(fake)[0])}
    def g_terms(disc, real, fake, xb):
        (ro, rf), (fo, ff) = disc(real), disc(fake)
        return {'adv': lsgan_g_loss(fo), 'fm': feature_matching_loss(rf, ff), 'rec': (fake - real).abs().mean()}

    def make(kind, folder):
        torch.manual_seed(0)
        cbs = [EMA(), GradClip(1.), Checkpoint(folder, every=6, keep=2)]
        if kind == 'plain':
            model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 1))
            return Learner(dls(), model, loss_func=MSELossFlat(), cbs=cbs).to_amp()
        gen = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 1))
        return gan_learner(dls(), gen, D(), g_terms, d_terms, {'d_adv': 1., 'adv': 1., 'fm': 2., 'rec': 1.},
                           lr=1e-2, adaptive=1., cbs=cbs)

    class Kill(Callback):
        def after_batch(self):
            if self.train_iter == 9: os.kill(os.getpid(), signal.SIGKILL)

    def final_state(learn):
        sd = {f'model.{k}': v for k, v in learn.model.state_dict().items()}
        sd.update({f'ema.{k}': v for k, v in learn.ema_model.state_dict().items()})
        opts = [learn.opt] + ([learn.gan.d_opt] if hasattr(learn, 'gan') else [])
        for j, o in enumerate(opts):
            for i, s in enumerate(o.state_dict()['state']):
                sd.update({f'opt{j}.{i}.{k}': v for k, v in s.items() if isinstance(v, torch.Tensor)})
        return sd

    mode, root = sys.argv[1:3]
    for kind in sys.argv[3:]:
        folder = Path(root)/kind
        learn = make(kind, folder)
        fit = lambda cbs=None: learn.fit_one_cycle(3, 1e-2, cbs=cbs)   # 12 steps = 2N with N = 6 (mid-epoch)
        with learn.no_bar(), learn.no_logging():
            if mode == 'straight': fit()
            elif mode == 'crash': fit(Kill())
            elif mode == 'resume': learn.resume('last'); fit()
        save_safetensors(final_state(learn), folder/'final.safetensors')
''')

def run(tmp_path, *args):
    script = tmp_path/'train.py'
    script.write_text(SCRIPT)
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'MKL_NUM_THREADS': '1'}
    return subprocess.run([sys.executable, str(script), *map(str, args)], env=env, capture_output=True, text=True,
                          timeout=300)

# a bf16 MLP with dropout, EMA and clipping; a GAN with its own D optimizer and adaptive weight
KINDS = ['plain', 'gan']

def test_kill_and_resume_is_bit_identical(tmp_path):
    a, b = tmp_path/'straight', tmp_path/'crashed'
    r = run(tmp_path, 'straight', a, *KINDS); assert r.returncode == 0, r.stderr[-3000:]
    for kind in KINDS:
        r = run(tmp_path, 'crash', b, kind)
        assert r.returncode == -signal.SIGKILL, (r.returncode, r.stderr[-3000:])
        # killed at step 9: only the step-6 checkpoint exists (temp files are never named ckpt-*)
        assert sorted(p.name for p in (b/kind).glob('ckpt-*')) == ['ckpt-00000006.safetensors']
        assert not (b/kind/'final.safetensors').exists()
    r = run(tmp_path, 'resume', b, *KINDS); assert r.returncode == 0, r.stderr[-3000:]
    for kind in KINDS:
        sa, sb = load_safetensors(a/kind/'final.safetensors'), load_safetensors(b/kind/'final.safetensors')
        assert sa.keys() == sb.keys() and len(sa) > 8
        for k in sa: assert torch.equal(sa[k], sb[k]), (kind, k)
        assert sorted(p.name for p in (b/kind).glob('ckpt-*')) == ['ckpt-00000006.safetensors',
                                                                   'ckpt-00000012.safetensors']
        # the resumed half really trained: the weights moved since the step-6 checkpoint
        m6, _ = load_checkpoint(b/kind/'ckpt-00000006.safetensors')
        assert any(not torch.equal(v, sa[f'model.{k}']) for k, v in m6.items()), kind
