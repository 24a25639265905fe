("""An MTCRNN tier trains under DDP (2 CPU processes, gloo, foleybook.learner.launch): both ranks end with the same """
 """weights.""")
import os, tempfile
import torch
from foleybook.train.learner import launch


def _train(folder, out):
    import torch.distributed as dist
    from foleybook.core import seed_everything
    from foleybook.systems.mtcrnn.tiers import Tier, TierConfig
    from foleybook.systems.mtcrnn.train import clip_files, clip_tracks, tier_stats, tier_dls, tier_learner
    torch.set_num_threads(1)
    seed_everything(0)
    cfg = TierConfig.preset('debug')
    arrays = [clip_tracks(f, cfg) for f in clip_files(folder)]
    tier = Tier(cfg).set_stats(**tier_stats(arrays, cfg))
    learn = tier_learner(tier_dls(arrays, cfg, bs=4, seq_len=64, seed=0, device='cpu'), tier, lr=3e-3,
                         steps=8).to_distributed(cpu=True)
    with learn.no_bar(), learn.no_logging(): learn.fit(2, 3e-3)
    rank = dist.get_rank() if dist.is_initialized() else 0
    m = getattr(learn.model, 'module', learn.model)
    torch.save({'sd': m.state_dict(), 'losses': [float(v) for v in learn.recorder.losses]},
               os.path.join(out, f'rank{rank}.pt'))


def test_tier_ddp_ranks_agree():
    from foleybook.data.textures import make_textures
    with tempfile.TemporaryDirectory() as d:
        make_textures(os.path.join(d, 'tex'), 4, kinds=('pops',), duration=1.)
        launch(_train, 2, args=(os.path.join(d, 'tex'), d))
        r0, r1 = [torch.load(os.path.join(d, f'rank{r}.pt'), weights_only=True) for r in (0, 1)]
    for k, v in r0['sd'].items():
        torch.testing.assert_close(r1['sd'][k], v, rtol=0, atol=0, msg=lambda m: f'{k}: {m}')
    assert len(r0['losses']) > 0 and all(torch.isfinite(torch.tensor(r0['losses'])))
