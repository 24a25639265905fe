("Two-process DDP on CPU (gloo): each rank sees half the batches, ranks end identical, and equal a 1-process run with "
 "the same global batch.")
import os
from pathlib import Path
import torch
from torch import nn
from fastai.basics import Learner, DataLoaders, Callback, MSELossFlat
from safetensors import safe_open
from foleybook.pretrained import save_safetensors, load_safetensors
from foleybook.train.learner import distributed_ctx, launch, rank_distrib
from foleybook.train.gan import gan_learner, lsgan_d_loss, lsgan_g_loss, feature_matching_loss

N_TRAIN, BS, WORLD = 64, 8, 2

def dls(bs, order=None):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(N_TRAIN + 16, 8, generator=g)
    y = x.sum(1, keepdim=True) + 0.1 * torch.randn(N_TRAIN + 16, 1, generator=g)
    items = list(zip(x, y))
    train = items[:N_TRAIN] if order is None else [items[i] for i in order]
    return DataLoaders.from_dsets(train, items[N_TRAIN:], bs=bs, device='cpu', num_workers=0, shuffle=False)

def model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1))

class Seen(Callback):
    "Record the training inputs each rank sees."
    def before_fit(self): self.xs = []
    def after_batch(self):
        if self.training: self.xs.append(self.xb[0].detach().clone())

class D(nn.Module):
    def __init__(self): super().__init__(); self.a, self.b = nn.Linear(1, 8), nn.Linear(8, 1)
    def forward(self, x): h = torch.relu(self.a(x)); return [self.b(h)], [[h]]

def d_terms(disc, real, fake): return {'d_adv': lsgan_d_loss(disc(real)[0], disc(fake)[0])}
def g_terms(disc, real, fake, xb):
    (ro, rf), (fo, ff) = disc(real), disc(fake)
    return {'adv': lsgan_g_loss(fo), 'fm': feature_matching_loss(rf, ff), 'rec': (fake - real).abs().mean()}

def gan(dls):
    g = model()
    # a different discriminator init per rank: the trainer must broadcast rank 0's
    torch.manual_seed(1 + rank_distrib())
    return gan_learner(dls, g, D(), g_terms, d_terms, {'d_adv': 1., 'adv': 1., 'fm': 2., 'rec': 1.}, lr=1e-2)

def rank_fn(folder):
    learn = Learner(dls(BS), model(), loss_func=MSELossFlat(), cbs=Seen())
    with learn.no_logging(), distributed_ctx(learn):
        assert torch.distributed.get_world_size() == WORLD and torch.distributed.get_backend() == 'gloo'
        learn.fit(2, 1e-2)
    sd = {f'w.{k}': v for k, v in learn.model.state_dict().items()}
    sd.update({f'x.{i}': x for i, x in enumerate(learn.seen.xs)})
    g = gan(dls(BS))
    with g.no_logging(), distributed_ctx(g): g.fit(2)
    sd.update({f'gan.{k}': v for k, v in g.model.state_dict().items()})
    save_safetensors(sd, Path(folder)/f'rank{rank_distrib()}.safetensors')

def test_two_ranks_match_one_process(tmp_path):
    launch(rank_fn, WORLD, args=(str(tmp_path),))
    ranks = [load_safetensors(tmp_path/f'rank{r}.safetensors') for r in range(WORLD)]
    xs = [[v for k, v in sorted(r.items(), key=lambda kv: int(kv[0][2:]) if kv[0].startswith('x.') else -1)
           if k.startswith('x.')] for r in ranks]
    # each rank saw half the batches of each epoch (2 epochs x 64/2/8), and different data
    assert [len(x) for x in xs] == [2 * N_TRAIN // WORLD // BS] * WORLD
    assert not torch.equal(xs[0][0], xs[1][0])
    all_x = dls(BS).train_ds
    seen = torch.cat(xs[0][:4] + xs[1][:4])
    # together: the whole epoch
    assert torch.equal(seen.sort(0).values, torch.stack([x for x, _ in all_x]).sort(0).values)
    # identical weights across ranks
    w = [{k: v for k, v in r.items() if k.startswith('w.')} for r in ranks]
    for k in w[0]: assert torch.equal(w[0][k], w[1][k]), k
    # = one process whose batch j is the union of the ranks' batches j (global batch 16)
    half = N_TRAIN // WORLD
    order = [i for j in range(half // BS) for r in range(WORLD) for i in range(r * half + j * BS,
                                                                               r * half + (j + 1) * BS)]
    one = Learner(dls(BS * WORLD, order), model(), loss_func=MSELossFlat())
    with one.no_bar(), one.no_logging(): one.fit(2, 1e-2)
    for k, v in one.model.state_dict().items():
        assert torch.allclose(w[0][f'w.{k}'], v, atol=1e-5), k
    # and DDP really trained (not two untouched copies)
    assert not torch.allclose(w[0]['w.0.weight'], model()[0].weight, atol=1e-3)
    # a GAN: generator AND discriminator identical across ranks and equal to one process with the same global batch
    g = [{k[4:]: v for k, v in r.items() if k.startswith('gan.')} for r in ranks]
    assert any(k.startswith('discriminator.') for k in g[0])
    for k in g[0]: assert torch.equal(g[0][k], g[1][k]), k
    one = gan(dls(BS * WORLD, order))
    with one.no_bar(), one.no_logging(): one.fit(2)
    for k, v in one.model.state_dict().items():
        assert torch.allclose(g[0][k], v, atol=1e-5), k
