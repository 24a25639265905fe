"""Whole-clip generation time of each diffusion system's default sampler against the original system's default
sampler, on the same weights (the trained demo models; one clip of every class a call, the demo recipes' guidance).

- audio-diffusion: foleybook's default (`AudioDiffusion.generate`: the config's sampler and steps, the fast UNet form,
  Griffin-Lim) against teticio's: diffusers' `AudioDiffusionPipeline` with its `DDIMScheduler` at its default 50
  steps (eta 0) and its librosa Griffin-Lim `Mel`, running diffusers' `UNet2DModel` with the same weights (the null
  class a zero row of its class embedding, as foleybook's `-1`), the class labels (and guidance, when the demo
  recipe's is not 1) added by a wrapper around the UNet (the pipeline has none). Also foleybook's own 50-step DDIM,
  which splits the ratio into fewer calls and faster calls.
- diffwave: foleybook's default (`as_generator(model)`: its sampler, the fast inference form chosen by measurement)
  against the reference's: DiffWave's fast sampler with the model's training form (fp32, weight norm, no_grad), as
  the reference code runs it (`bench/diffwave.py`'s baseline).
- each system's `demo-fast` student (its recipe's `distill` section: progressive, DDIM in `steps >> rounds` calls, or
  consistency, `calls` renoised calls; guidance folded in, so one pass a call): the network and calls of the student
  the distill stage saves, timed on the teacher's weights marked a student (`as_student`, `as_consistency_student`),
  since a student differs from its teacher only in its weights' values.
Interleaved rounds (after one warm-up call each), process CPU time (robust to the shared machine's load) and wall
time, medians; the CPU is named. Writes nbs/results/solvers_speed.json, one section per CPU.
Run: OMP_NUM_THREADS=1 nice -n 10 python bench/solvers_speed.py [--ad DIR] [--diffwave DIR] [--rounds 3]
"""
import argparse, json, os, time
from pathlib import Path
import numpy as np, torch
from torch import nn
from foleybook.pretrained import load_pretrained
from foleybook.fastpath import cpu_info
from foleybook.recipes.engine import get_recipe
from foleybook.generators import as_generator
from foleybook.diffusion.distill import as_student
from foleybook.diffusion.consistency import as_consistency_student

ROOT = Path(__file__).resolve().parents[1]
ap = argparse.ArgumentParser()
ap.add_argument('--ad', default=str(ROOT/'nbs'/'results'/'models'/'audio-diffusion'))
ap.add_argument('--diffwave', default=str(ROOT/'nbs'/'results'/'models'/'diffwave'))
ap.add_argument('--rounds', type=int, default=3)
ap.add_argument('--systems', default='audio-diffusion,diffwave')
ap.add_argument('--out', default=str(ROOT/'nbs'/'results'/'solvers_speed.json'))
a = ap.parse_args()
torch.set_num_threads(1)


def interleaved(fns:dict, rounds:int) -> dict:
    "{name: (CPU seconds, wall seconds)} of every function, one call each per round after one warm-up call each."
    for f in fns.values(): f()
    cpu, wall = {k: [] for k in fns}, {k: [] for k in fns}
    for r in range(rounds):
        for k in (list(fns) if r % 2 == 0 else list(fns)[::-1]):   # the order alternates
            t0, c0 = time.perf_counter(), time.process_time(); fns[k]()
            wall[k].append(time.perf_counter() - t0); cpu[k].append(time.process_time() - c0)
    return {k: dict(cpu_s=float(np.median(cpu[k])), wall_s=float(np.median(wall[k])), cpu_all=cpu[k]) for k in fns}


class GuidedUNet(nn.Module):
    "diffusers' `UNet2DModel` with classifier-free guidance over fixed class labels, called as the pipeline calls it."
    def __init__(self, unet, labels, null:int, guidance:float):
        super().__init__(); self.unet, self.labels, self.null, self.g = unet, labels, null, guidance
        self.config = unet.config
    device = property(lambda self: self.unet.device)   # what the pipeline asks its modules
    dtype = property(lambda self: self.unet.dtype)
    def forward(self, x, t):
        if self.g == 1:
            return {'sample': self.unet(x, torch.as_tensor(t).expand(len(x)), class_labels=self.labels).sample}
        t = torch.as_tensor(t).expand(2 * len(x))
        labels = torch.cat([self.labels, torch.full_like(self.labels, self.null)])
        out = self.unet(torch.cat([x, x]), t, class_labels=labels).sample
        oc, ou = out.chunk(2)
        return {'sample': ou + self.g * (oc - ou)}


def fast_student(name, model):
    "The `demo-fast` preset's student of `model` (a marked copy, its weights the teacher's), its calls and sampler."
    import copy
    d = get_recipe(name).preset('demo-fast')['distill']
    method = d.get('method', 'progressive')
    calls, mark = (d['calls'], as_consistency_student) if method == 'consistency' else (d['steps'] >> d['rounds'],
                                                                                       as_student)
    st = mark(copy.deepcopy(model), calls, dict(folder=None, fingerprint=None, steps=d['steps'], guidance=None,
                                                method=method))
    return st.eval(), calls, 'DDIM' if method == 'progressive' else method


def diffusers_unet(m):
    "diffusers' `UNet2DModel` with the weights of foleybook's `UNet2D` `m.unet` (and a zero class row: the null)."
    from diffusers import UNet2DModel
    c = m.config.unet
    down = {'plain': 'DownBlock2D', 'attn': 'AttnDownBlock2D'}; up = {'plain': 'UpBlock2D', 'attn': 'AttnUpBlock2D'}
    ref = UNet2DModel(sample_size=tuple(c.sample_size), in_channels=c.in_channels, out_channels=c.out_channels,
                      layers_per_block=c.layers_per_block, block_out_channels=tuple(c.channels),
                      down_block_types=tuple(down[b] for b in c.blocks),
                      up_block_types=tuple(up[b] for b in c.blocks[::-1]),
                      add_attention=c.mid == 'attn', attention_head_dim=c.head_dim, norm_num_groups=c.norm_groups,
                      norm_eps=c.norm_eps, flip_sin_to_cos=c.flip_sin_to_cos, freq_shift=c.freq_shift,
                      num_class_embeds=c.n_classes + 1)
    sd = dict(m.unet.state_dict())
    emb = sd['class_embedding.weight']
    sd['class_embedding.weight'] = torch.cat([emb, torch.zeros_like(emb[:1])])
    ref.load_state_dict(sd)
    return ref.eval()


def audio_diffusion(res):
    from diffusers import DDIMScheduler
    from diffusers.pipelines.deprecated.audio_diffusion import AudioDiffusionPipeline, Mel
    m = load_pretrained(a.ad).eval()
    g = get_recipe('audio-diffusion').preset('demo')['generate']['guidance']
    classes, c, im = m.classes, m.config.diffusion, m.config.images
    labels = torch.arange(len(classes))
    ref = diffusers_unet(m)
    x, t = torch.randn(2, *m.x_shape), torch.tensor([500., 500.])
    with torch.no_grad():   # the same weights: the same outputs
        theirs = ref(x, t, class_labels=torch.tensor([1, len(classes)])).sample
        agree = float((theirs - m(x, t, torch.tensor([1, -1]))).abs().max())
    pipe = AudioDiffusionPipeline(vqvae=None, unet=GuidedUNet(ref, labels, len(classes), g),
                                  mel=Mel(x_res=im.x_res, y_res=im.y_res, sample_rate=im.sample_rate, n_fft=im.n_fft,
                                          hop_length=im.hop_length, top_db=int(im.top_db), n_iter=m.config.n_iter),
                                  scheduler=DDIMScheduler(num_train_timesteps=c.T, beta_start=c.beta_start,
                                                          beta_end=c.beta_end, prediction_type='v_prediction'))
    pipe.set_progress_bar_config(disable=True)
    default = m.sampling()
    teticio = lambda: pipe(batch_size=len(classes), steps=50, eta=0., generator=torch.Generator().manual_seed(0))
    fns = {"teticio's: diffusers AudioDiffusionPipeline, DDIM 50": teticio,
           f"foleybook's default ({default['sampler']}, {default['network_calls']} calls)":
               lambda: m.generate(classes, len(classes), seed=0),
           "foleybook, DDIM 50 (eta 0)": lambda: m.generate(classes, len(classes), seed=0, sampler='ddim', steps=50,
                                                            eta=0.)}
    st, calls, how = fast_student('audio-diffusion', m)
    fns[f"foleybook's demo-fast student ({how}, {calls} calls)"] = lambda: st.generate(classes, len(classes), seed=0)
    with torch.inference_mode(): out = interleaved(fns, a.rounds)
    res['audio-diffusion'] = dict(clips=len(classes), guidance=g, default=default, unet_max_abs_diff=agree, times=out)


def diffwave(res):
    model = load_pretrained(a.diffwave).eval()
    opts = {k: v for k, v in get_recipe('diffwave').preset('demo')['generate'].items()
            if k in ('sampler', 'steps', 'guidance')}
    gen = as_generator(model, **opts)
    classes, cl = gen.classes, model.config.scale
    cond = torch.arange(len(classes))
    default = gen.sampling()
    n = gen.example_shape[-1]   # the samples of a generated clip, as the default's
    def reference():   # the training form in the reference's fast sampler
        with torch.no_grad():
            return model.diffusion.sample(model, (len(classes), model.config.in_channels, n), cond,
                                          sampler='fast', guidance=opts['guidance'], seed=0, clip=cl) / cl
    fns = {"reference: training form (fp32, weight norm), DiffWave's fast sampler": reference,
           f"foleybook's default ({default['sampler']}, {default['network_calls']} calls)":
               lambda: gen.generate(classes, len(classes), seed=0)}
    st, calls, how = fast_student('diffwave', model)
    sg = as_generator(st)
    fns[f"foleybook's demo-fast student ({how}, {calls} calls)"] = lambda: sg.generate(classes, len(classes), seed=0)
    with torch.inference_mode(): out = interleaved(fns, a.rounds)
    res['diffwave'] = dict(clips=len(classes), guidance=opts['guidance'], default=default, times=out)


res = dict(cpu=cpu_info(), rounds=a.rounds, load=os.getloadavg()[0])
for s in a.systems.split(','): {'audio-diffusion': audio_diffusion, 'diffwave': diffwave}[s](res)
print(f"CPU: {res['cpu']['model']} ({', '.join(res['cpu']['flags'])}), one thread, load {res['load']:.1f}")
for s in ('audio-diffusion', 'diffwave'):
    if s not in res: continue
    ts = res[s]['times']; ref = next(iter(ts))
    res[s]['ratio_cpu'] = {k: ts[ref]['cpu_s'] / v['cpu_s'] for k, v in ts.items()}
    res[s]['ratio_wall'] = {k: ts[ref]['wall_s'] / v['wall_s'] for k, v in ts.items()}
    for k, v in ts.items():
        print(f"{s:15s} {k:70s} CPU {v['cpu_s']:6.2f} s  wall {v['wall_s']:6.2f} s  "
              f"{res[s]['ratio_cpu'][k]:.2f}x CPU, {res[s]['ratio_wall'][k]:.2f}x wall")
# one section per machine: a rerun on the same CPU replaces its section (the systems it ran), another CPU adds one
runs = json.loads(Path(a.out).read_text())['machines'] if Path(a.out).is_file() else []
same = [i for i, r in enumerate(runs) if r['cpu'] == res['cpu']]
if same: runs[same[0]] = {**runs[same[0]], **res}
else: runs.append(res)
Path(a.out).write_text(json.dumps(dict(machines=runs), indent=1) + '\n')
