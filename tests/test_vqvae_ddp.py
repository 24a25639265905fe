"""The VQ-VAE trains under DDP (2 CPU processes, gloo, foleybook.learner.launch): every rank ends with the same
weights AND the same EMA codebook state, and the loss falls."""
import os, tempfile
import torch
from foleybook.data.synth import SynthFoley
from foleybook.data.loaders import mel_dls
from foleybook.train.learner import launch
from foleybook.core import seed_everything
from foleybook.codecs.vqvae import vqvae_learner, VQVAEConfig


def _train(folder, out):
    import torch.distributed as dist
    torch.set_num_threads(1)
    seed_everything(0)
    dls = mel_dls(folder, bs=4, valid_pct=0.25, seed=0, device='cpu')
    learn = vqvae_learner(dls, VQVAEConfig.preset('debug', restart_after=2), lr=3e-3).to_distributed(cpu=True)
    with learn.no_bar(), learn.no_logging(): learn.fit(5)
    rank = dist.get_rank() if dist.is_initialized() else 0
    m = getattr(learn.model, 'module', learn.model)
    torch.save({'sd': m.state_dict(), 'values': [list(map(float, v)) for v in learn.recorder.values]},
               os.path.join(out, f'rank{rank}.pt'))


def test_vqvae_ddp_ranks_agree():
    with tempfile.TemporaryDirectory() as d:
        folder = SynthFoley(4, seed=3).write(os.path.join(d, 'synth'))
        launch(_train, 2, args=(str(folder), d))
        r0, r1 = [torch.load(os.path.join(d, f'rank{r}.pt'), weights_only=True) for r in (0, 1)]
    for k, v in r0['sd'].items():
        torch.testing.assert_close(r1['sd'][k], v, rtol=0, atol=0, msg=lambda m: f'{k}: {m}')
    assert r0['sd']['quantizer.initted'].item()
    valid = [v[1] for v in r0['values']]
    assert all(torch.isfinite(torch.tensor(valid))) and valid[-1] < 0.9 * valid[0], valid
