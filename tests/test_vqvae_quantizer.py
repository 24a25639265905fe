"DDP correctness of the EMA codebook (foleybook.codecs.quantizer): 2 gloo processes on CPU."
import os, socket, tempfile
import torch, torch.distributed as dist, torch.multiprocessing as mp
from foleybook.codecs.quantizer import VectorQuantizer, ResidualVQ


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


def _batches(n_steps, n=64):
    g = torch.Generator().manual_seed(0)
    return [torch.randn(n, 4, 3, generator=g) * 3 for _ in range(n_steps)]


def _run(vq, batches):
    for b in batches: vq(b)
    return vq


def _make(init, restart_after=0, rvq=False):
    torch.manual_seed(0)
    if rvq: return ResidualVQ(2, 4, 8, decay=0.8, init=init, restart_after=restart_after)
    return VectorQuantizer(4, 8, decay=0.8, init=init, restart_after=restart_after)


def _worker(rank, world, port, out_dir):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group('gloo', rank=rank, world_size=world)
    try:
        half = lambda bs: [b.chunk(world)[rank] for b in bs]
        # 1. same start, each rank sees half of each batch -> must equal one process on whole batches
        vq = _run(_make('random'), half(_batches(6)))
        # 2. data init + restarts: ranks see different data and RNG states, yet must agree
        torch.manual_seed(100 + rank)
        vq2 = _run(_make('data', restart_after=2), half(_batches(6)))
        torch.manual_seed(100 + rank)
        rvq = _run(_make('data', restart_after=2, rvq=True), half(_batches(6)))
        torch.save({'ema': vq.state_dict(), 'data': vq2.state_dict(), 'rvq': rvq.state_dict()},
                   os.path.join(out_dir, f'rank{rank}.pt'))
    finally:
        dist.destroy_process_group()


def test_ddp_ema_matches_single_process_and_ranks_agree():
    with tempfile.TemporaryDirectory() as d:
        mp.spawn(_worker, args=(2, _free_port(), d), nprocs=2, join=True)
        r0, r1 = [torch.load(os.path.join(d, f'rank{r}.pt'), weights_only=True) for r in (0, 1)]
    single = _run(_make('random'), _batches(6)).state_dict()
    for k in ('codebook', 'cluster_size', 'code_sum'):
        torch.testing.assert_close(r0['ema'][k], single[k], rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(r1['ema'][k], single[k], rtol=1e-5, atol=1e-5)
    # without the all-reduce a rank would only see its half: make sure that differs (the test can fail)
    half_only = _run(_make('random'), [b.chunk(2)[0] for b in _batches(6)]).state_dict()
    assert not torch.allclose(half_only['codebook'], single['codebook'], atol=1e-3)
    for key in ('data', 'rvq'):
        for k in r0[key]: torch.testing.assert_close(r0[key][k], r1[key][k], rtol=0, atol=0)
