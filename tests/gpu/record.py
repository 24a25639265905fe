"""The GPU record: every system's paper preset through the CLI on CUDA, in minutes (`make gpu-record`).

For each of the five systems, `foleybook recipe NAME --preset PAPER --system cuda_amp --set ...` (the CLI's `main`, in
one process per system) trains every part for `--steps` steps at the preset's batch size (halved while CUDA runs out of
memory, and said so), checkpoints, generates a clip per class, then resumes its main part from the mid-run checkpoint
and compares the resumed steps' losses with the uninterrupted ones; the same seed's clip is drawn on the CPU and on CUDA
in fp32 (TF32 off). One system trains again with `--system cuda_ddp` under `torchrun` with one process (NCCL). Then
the notebooks' `cuda` cells run, `--jobs` notebooks at a time. Every part has a time cap and a failing part is recorded
with its error line: the others still run. The record goes to `nbs/results/gpu_<device>.json`.

`--dry` runs the same on the debug presets with `--system cpu` and a few steps (what needs CUDA says so) and writes to
exp/gpu-record-dry/ (never to nbs/results). Run from the repository root:

    python tests/gpu/record.py [--dry] [--systems dcase2023,mtcrnn] [--steps 50] [--budget 450] [--out FILE]
"""
import argparse, json, math, os, re, shutil, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# recipe -> (its paper preset, the training stage whose resume is checked, the autocast dtype of its paper run)
# fp16 where the original trained in fp16 (DCASE's `cuda_amp`, audio-diffusion's accelerate fp16; PixelSNAIL, which
# the DCASE baseline kept in fp32, is measured in fp16 too), bf16 for the others (their originals trained in fp32)
SYSTEMS = {'dcase2023': ('dcase2023', 'prior', 'fp16'), 'diffwave': ('sc09', 'train', 'bf16'),
           'specvqgan': ('vas', 'gpt_class', 'bf16'), 'audio-diffusion': ('image256', 'unet', 'fp16'),
           'mtcrnn': ('published', 'tier1', 'bf16')}
DDP_SYSTEM = 'diffwave'
# seconds each system may take on the GPU (the whole run is held under `--budget`)
CAPS = {'dcase2023': 75, 'diffwave': 40, 'specvqgan': 90, 'audio-diffusion': 60, 'mtcrnn': 55, 'ddp': 35}
NO_GPU = 'skipped: no GPU'
FIELDS = ('preset', 'system', 'ok', 'steps', 'batch_size', 'parts', 'steps_per_s', 'peak_gpu_mem_gb', 'gen_clips',
          'gen_audio_s', 'gen_seconds', 'gen_rtf', 'resume_stage', 'resume_from', 'resume_exact', 'resume_max_diff',
          'cpu_cuda_max_diff', 'cpu_cuda_peak', 'cpu_cuda_codes_equal', 'batch_note', 'seconds', 'errors')

# ---------------------------------------------------------------- one system, in its own process
STEP_LOG = []   # (checkpoint folder, step, loss, time) of every training step of this process's fits

def _step_callback():
    "A fastai callback on every new `Learner` (fastai's `defaults.callbacks`): each step's loss, time and peak memory."
    import torch
    from fastai.callback.core import Callback
    from fastai.learner import defaults
    class StepLog(Callback):
        order = 66   # after the resume callback (65) restored the step counter; before the stop (85) ends the run
        def before_fit(self):
            ck = next((c for c in self.learn.cbs if type(c).__name__ == 'Checkpoint'), None)
            self.key = ck.folder.parent.name if ck is not None else '?'
            self.on_gpu = next(self.learn.model.parameters()).is_cuda
            if self.on_gpu: torch.cuda.reset_peak_memory_stats()
            import torch.distributed as dist
            amp = next((c for c in self.learn.cbs if type(c).__name__ == 'AMP'), None)
            dtype = getattr(getattr(amp, 'autocast', None), 'fast_dtype', None)
            PARTS.setdefault(self.key, {}).update(
                precision=str(dtype).replace('torch.', '') if dtype is not None else 'fp32', bs=self.dls.train.bs,
                ddp=dist.get_backend() if dist.is_available() and dist.is_initialized() else None)
        def after_batch(self):
            if not self.training or getattr(self.learn, '_resume_skip', False) or not len(self.yb): return
            STEP_LOG.append((self.key, int(self.train_iter), float(self.learn.loss.detach()), time.perf_counter()))
        def after_fit(self):
            if self.on_gpu:
                p, peak = PARTS[self.key], round(torch.cuda.max_memory_allocated() / 2**30, 3)
                p['peak_gpu_mem_gb'] = max(p.get('peak_gpu_mem_gb') or 0, peak)
            for f in ON_FIT: f()
    if StepLog.__name__ not in [getattr(c, '__name__', '') for c in defaults.callbacks]:
        defaults.callbacks = [*defaults.callbacks, StepLog]

PARTS = {}   # training folder -> what its fits recorded
ON_FIT = []   # functions called after each fit (the record of a run stopped at its cap keeps the finished parts)

def _err_line(text:str) -> str:
    "The error line of an output (the last line naming an error, else its last line), without this machine's paths."
    lines = [l.strip() for l in str(text).strip().splitlines() if l.strip() and not l.strip().startswith('^')]
    named = [l for l in lines if re.search(r'Error|Exception|error:|assert', l)]
    line = (named or lines or [str(text)])[-1]
    for p in (str(ROOT) + '/', str(Path(tempfile.gettempdir())) + '/'): line = line.replace(p, '')
    return line[:300]

def cli(argv:list) -> str:
    "Run `foleybook ARGV` in this process: None if it succeeded, else its error line."
    import io, contextlib, traceback
    from foleybook.cli import main
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err): rc = main(argv)
    except BaseException as e:   # what the CLI does not turn into a message: the record names it
        if isinstance(e, KeyboardInterrupt): raise
        return _err_line(traceback.format_exc())
    sys.stderr.write(err.getvalue()[-2000:])
    return None if rc in (0, None) else _err_line(err.getvalue() or f"exit code {rc}")

def trained_sections(name:str, preset:str) -> list:
    "The training sections of the preset that train a model (not skipped, not Griffin-Lim), in stage order."
    from foleybook.recipes.engine import Recipe
    r = Recipe(Path(tempfile.gettempdir())/'gpu-record-none', name, 'synth', preset)
    out = []
    for s in r.spec.stages:
        sec = r.P.get(s.section) if s.section else None
        if isinstance(sec, dict) and sec.get('trainer') != 'griffinlim' and not r.skipped(s.name): out.append(s)
    return out

def preset_sets(name:str, preset:str, stages:list, steps:int, dtype:str, halve:int=0) -> list:
    "The `--set` arguments: `steps` steps per part (checkpoints at half and end), small data, a clip per class."
    from foleybook.recipes.engine import get_recipe
    P, sets = get_recipe(name).preset(preset), []
    bs = {}
    for s in stages:
        bs[s.section] = max(1, int(P[s.section].get('bs', 16)) >> halve)
        sets += [f'{s.section}.steps={steps}', f'{s.section}.epochs=null', f'{s.section}.every={max(1, steps // 2)}',
                 f'{s.section}.keep=2']
        if halve: sets.append(f'{s.section}.bs={bs[s.section]}')
        if dtype: sets.append(f'{s.section}.precision={dtype}')
    if name == 'mtcrnn':
        sets += ['n_clips=16', 'generate.n_fad=2', 'generate.n_curves=1', 'generate.duration=1.0']
    else:   # enough clips for every batch of the train split (drop_last), a clip per class generated
        sets += [f'n_per_class={math.ceil(max(bs.values()) / (7 * (1 - P.get("holdout", .1)))) + 2}',
                 'generate.n_per_class=1']
    return [a for s in sets for a in ('--set', s)]

def _rate(steps:list) -> float:
    "Steps per second from the steps' times: the median interval, past the first five (warm-up)."
    t = [s[3] for s in steps]
    dt = sorted(b - a for a, b in zip(t[5:], t[6:])) or sorted(b - a for a, b in zip(t, t[1:]))
    return round(1 / dt[len(dt) // 2], 3) if dt and dt[len(dt) // 2] > 0 else None

def _wav_seconds(folder:Path) -> tuple:
    import soundfile as sf
    files = sorted(folder.rglob('*.wav')) if folder.is_dir() else []
    return len(files), round(sum(sf.info(str(f)).duration for f in files), 3)

def _compare(out:Path, name:str, seed:int=1, devices=('cpu', 'cuda')) -> dict:
    "The same seed's clip from the trained generator on the CPU and on CUDA, in fp32 (TF32 off)."
    import torch
    from foleybook.recipes.engine import Recipe
    threads, pin = torch.get_num_threads(), os.environ.get('FOLEYBOOK_PRECISION')
    torch.set_num_threads(os.cpu_count() or 1)   # the CPU's half on all its cores (the PixelSNAIL map is sequential)
    os.environ['FOLEYBOOK_PRECISION'] = 'fp32'
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    try:
        r = Recipe(out, None)
        g = r.spec.system.assemble(r, 'cpu')
        cond = list(g.classes)[0] if g.classes is not None else None
        opts = {'mtcrnn': dict(duration=0.5), 'audio-diffusion': dict(steps=5, n_iter=8)}.get(name, {})
        runs = []
        with torch.no_grad():
            for dev in devices:
                g = g.to(dev)
                if hasattr(g, 'sample_codes'):   # a code pipeline: the codes too
                    codes = g.sample_codes(cond, 1, seed=[seed], **opts)
                    runs.append((codes.cpu(), g.decode(codes).float().cpu()))
                elif getattr(g, 'seeds_per_clip', False): runs.append((None, g.generate(cond, 1, seed=[seed], **opts)))
                else: runs.append((None, torch.as_tensor(g.generate(cond, 1, seed=seed, **opts)).float().cpu()))
    finally:
        torch.set_num_threads(threads)
        if pin is None: os.environ.pop('FOLEYBOOK_PRECISION', None)
        else: os.environ['FOLEYBOOK_PRECISION'] = pin
    (c0, w0), (c1, w1) = runs
    return dict(cpu_cuda_max_diff=float((w1 - w0).abs().max()), cpu_cuda_peak=float(w0.abs().max()),
                cpu_cuda_codes_equal=None if c0 is None else bool(torch.equal(c0, c1)))

def run_system(name:str, work:Path, steps:int, dry:bool, ddp:bool, deadline:float, rec_path:Path):
    "Train, generate, resume and compare one system; `rec_path` is rewritten after each part (a killed run keeps them)."
    import torch
    _step_callback()
    preset, resume_stage, dtype = SYSTEMS[name]
    if dry: preset, dtype = 'debug', None
    system = 'cpu' if dry else 'cuda_ddp' if ddp else 'cuda_amp'
    if ddp: dtype = None
    rec = {k: None for k in FIELDS}
    rec.update(preset=preset, system=system, errors={}, resume_stage=resume_stage)
    save = lambda: rec_path.write_text(json.dumps(rec, indent=1))
    t0 = time.time(); save()
    stages = trained_sections(name, preset)
    out = work/(name + ('-ddp' if ddp else ''))
    def summarize():
        "The parts' steps, batch, steps/s and memory so far, saved."
        parts = {}
        for s in stages:
            w = s.work or s.section
            log = [x for x in STEP_LOG if x[0] == w]
            if not log and w not in PARTS: continue
            parts[s.section] = dict(PARTS.get(w, {}), steps=max((x[1] for x in log), default=0), steps_per_s=_rate(log))
        rec.update(parts=parts, steps=min((p['steps'] for p in parts.values()), default=0),
                   batch_size={k: p.get('bs') for k, p in parts.items()},
                   steps_per_s={k: p['steps_per_s'] for k, p in parts.items()},
                   peak_gpu_mem_gb=NO_GPU if dry else max((p.get('peak_gpu_mem_gb') or 0 for p in parts.values()),
                                                          default=None))
        save()
    ON_FIT[:] = [summarize]
    stop = resume_stage if ddp else 'generate'
    for halve in range(3):   # the paper batch, then half of it while CUDA runs out of memory
        sets = preset_sets(name, preset, stages, steps, dtype, halve)
        STEP_LOG.clear(); PARTS.clear()
        err = cli(['recipe', name, '--preset', preset, '--system', system, '--out', str(out), '--stop-stage', stop,
                   '--overwrite', *sets])
        if not (err and 'out of memory' in err): break
        rec['batch_note'] = f"the batch ran out of memory {halve + 1} time(s), halved each time ({err})"
        if not dry: torch.cuda.empty_cache()
    if err: rec['errors']['run'] = err
    summarize()
    markers = out/'stages'
    for m in markers.glob('*.done') if markers.is_dir() else []:
        st = json.loads(m.read_text())
        if st.get('stage') in {s.name for s in stages}:
            rec['parts'].get(r_section(stages, st['stage']), {})['seconds'] = st.get('seconds')
        if st.get('stage') == 'generate' and not ddp:
            n, audio = _wav_seconds(out/'gen')
            rec.update(gen_clips=n, gen_audio_s=audio, gen_seconds=st.get('seconds'),
                       gen_rtf=round(st['seconds'] / audio, 4) if audio else None)
    save()
    st = next(s for s in stages if s.name == resume_stage)
    if ddp or not (out/st.folder).exists():
        rec.update(ok=not err, seconds=round(time.time() - t0, 1)); save(); return rec
    # the resume: the stage's marker, model and last checkpoint removed, the same command from its mid-run checkpoint
    w = st.work or st.section
    before = {x[1]: x[2] for x in STEP_LOG if x[0] == w}
    ck = sorted((out/w/'checkpoints').glob('ckpt-*.safetensors'))
    mid = max(1, steps // 2)
    for c in ck:
        if int(c.stem.split('-')[1]) > mid: c.unlink()
    for m in markers.glob(f'*_{resume_stage}.done'): m.unlink()
    shutil.rmtree(out/st.folder, ignore_errors=True)
    STEP_LOG.clear(); ON_FIT.clear()
    err = cli(['recipe', name, '--preset', preset, '--system', system, '--out', str(out), '--stage', resume_stage,
               '--stop-stage', resume_stage, *sets])
    after = {x[1]: x[2] for x in STEP_LOG if x[0] == w}
    if err: rec['errors']['resume'] = err
    common = sorted(set(before) & set(after))
    # exact: it went on from the checkpoint's step, and that step's loss is the uninterrupted run's, to the bit
    rec.update(resume_from=min(after) - 1 if after else None,
               resume_exact=bool(after) and min(after) == mid + 1 and after[mid + 1] == before.get(mid + 1),
               resume_max_diff=max((abs(after[k] - before[k]) for k in common), default=None))
    if not common: rec['errors'].setdefault('resume', f"no resumed step to compare (resumed steps {sorted(after)})")
    save()
    if dry: rec.update(cpu_cuda_max_diff=NO_GPU, cpu_cuda_peak=NO_GPU, cpu_cuda_codes_equal=NO_GPU)
    elif time.time() > deadline - 5: rec['errors']['cpu_cuda'] = 'skipped: no time left under the cap'
    else:
        try: rec.update(_compare(out, name))
        except Exception as e: rec['errors']['cpu_cuda'] = _err_line(f"{type(e).__name__}: {e}")
    rec.update(ok=not rec['errors'], seconds=round(time.time() - t0, 1))
    save(); return rec

def r_section(stages, stage_name): return next((s.section for s in stages if s.name == stage_name), None)

# ---------------------------------------------------------------- the whole record
def device_name(dry:bool) -> str:
    import torch
    return torch.cuda.get_device_name() if torch.cuda.is_available() and not dry else 'cpu'

def slug(s:str) -> str: return re.sub(r'[^a-z0-9]+', '_', s.lower()).strip('_')

def default_out(dry:bool, device:str) -> Path:
    "Where the record goes: nbs/results/gpu_<device>.json from a GPU; exp/gpu-record-dry/record.json from `--dry`."
    return ROOT/'exp'/'gpu-record-dry'/'record.json' if dry else ROOT/'nbs'/'results'/f'gpu_{slug(device)}.json'

def _child(args:list, cap:float, env=None, log_path:Path=None) -> tuple:
    ("Run a child command in its own process group with a time cap (the group is killed there: torchrun's worker "
     "too), its output appended to `log_path` if given: (return code or 'timeout', the tail of its output).")
    import signal
    with tempfile.TemporaryFile('w+') as log:
        p = subprocess.Popen(args, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        try: rc = p.wait(timeout=max(cap, 1))
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL); p.wait(); rc = 'timeout'
        log.seek(0); text = log.read()
    if log_path is not None:
        with open(log_path, 'a') as f: f.write(f"$ {' '.join(map(str, args))}\n{text}\n[{rc}]\n")
    return rc, text[-3000:]

def cuda_notebooks(deadline:float, jobs:int, only=None, log_path:Path=None) -> dict:
    ("Each notebook with `cuda` cells run whole with the `cuda` flag, the slowest first (as tests/run_notebooks.py): "
     "'pass', or 'fail: ' and its error line.")
    from concurrent.futures import ThreadPoolExecutor
    known = json.loads((ROOT/'tests'/'notebook_seconds.json').read_text())
    nbs = [p for p in (ROOT/'nbs').glob('*.ipynb') if '"#| cuda' in p.read_text() and (only is None or p.name in only)]
    nbs.sort(key=lambda p: -known.get(p.name, 1e9))
    exe = shutil.which('nbdev_test') or str(Path(sys.executable).parent/'nbdev_test')
    tmp = Path(tempfile.mkdtemp(prefix='foleybook-cuda-'))
    env = {**os.environ, 'FOLEYBOOK_FASTPATH_CACHE': str(tmp/'fastpath'), 'FOLEYBOOK_JUDGE_CACHE': str(tmp/'judges')}
    def one(nb):
        rc, log = _child([exe, '--path', str(nb.relative_to(ROOT)), '--n_workers', '0', '--flags', 'cuda'],
                         deadline - time.time(), env, log_path=tmp/f'{nb.stem}.log')
        if rc != 0 and log_path is not None:
            with open(log_path, 'a') as f: f.write((tmp/f'{nb.stem}.log').read_text())
        why = 'stopped at the cap' if rc == 'timeout' else _err_line(log)
        return nb.name, 'pass' if rc == 0 else f"fail: {why}"
    try:
        with ThreadPoolExecutor(jobs) as ex: return dict(sorted(ex.map(one, nbs)))
    finally: shutil.rmtree(tmp, ignore_errors=True)

def record(a) -> dict:
    import torch
    t0, dry = time.time(), a.dry or not torch.cuda.is_available()
    deadline = t0 + a.budget
    work = Path(a.work); work.mkdir(parents=True, exist_ok=True)
    (work/'record.log').unlink(missing_ok=True)
    dev = device_name(dry)
    rec = dict(device=dev, torch=torch.__version__, cuda=None if dry else torch.version.cuda, dry=dry,
               steps=a.steps, budget_s=a.budget, date=time.strftime('%Y-%m-%d'), systems={}, ddp=None, notebooks=None)
    out = Path(a.out) if a.out else default_out(dry, dev)
    out.parent.mkdir(parents=True, exist_ok=True)
    def save(): out.write_text(json.dumps(rec, indent=1) + '\n')
    names = a.systems.split(',') if a.systems else list(SYSTEMS)
    reserve = 0 if dry else CAPS['ddp'] + a.notebook_s
    for name in names:
        cap = min(CAPS.get(name, 60), deadline - reserve - time.time())
        part = work/f'{name}.json'; part.unlink(missing_ok=True)
        if not dry and cap < 10:
            rec['systems'][name] = dict({k: None for k in FIELDS}, ok=False, errors={'cap': 'skipped: no time left'})
            save(); continue
        if dry:   # in this process (no cap): the imports once, CI-sized
            rc, log = 0, ''
            try: run_system(name, work, a.steps, True, False, deadline, part)
            except Exception as e: rc, log = 1, f"{type(e).__name__}: {e}"
        else:
            rc, log = _child([sys.executable, __file__, '--one', name, '--work', str(work), '--steps', str(a.steps),
                              '--deadline', str(time.time() + cap)], cap, log_path=work/'record.log')
        r = json.loads(part.read_text()) if part.is_file() else {k: None for k in FIELDS}
        r['errors'] = r.get('errors') or {}
        if rc == 'timeout': r['errors']['cap'] = f"stopped at its cap of {cap:.0f} s"
        elif rc != 0: r['errors']['process'] = _err_line(log)
        r['ok'] = bool(r.get('ok')) and rc == 0
        rec['systems'][name] = r; save()
        print(f"{name}: {'ok' if r['ok'] else 'FAILED'} in {time.time() - t0:.0f} s {r['errors'] or ''}", flush=True)
    if dry: rec['ddp'] = NO_GPU
    else:
        cap = min(CAPS['ddp'], deadline - a.notebook_s - time.time())
        part = work/f'{DDP_SYSTEM}-ddp.json'; part.unlink(missing_ok=True)
        torchrun = [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '1']
        rc, log = _child([*torchrun, __file__, '--one', DDP_SYSTEM, '--ddp', '--work', str(work), '--steps',
                          str(a.steps), '--deadline', str(time.time() + cap)], cap, log_path=work/'record.log')
        r = json.loads(part.read_text()) if part.is_file() else {}
        r = {k: r.get(k) for k in ('preset', 'system', 'ok', 'steps', 'batch_size', 'parts', 'steps_per_s',
                                   'peak_gpu_mem_gb', 'errors', 'seconds')}
        r.update(system_name=DDP_SYSTEM, launcher='torchrun --standalone --nproc_per_node 1', errors=r['errors'] or {})
        if rc != 0: r['errors']['process'] = 'stopped at its cap' if rc == 'timeout' else _err_line(log)
        r['ok'] = bool(r.get('ok')) and rc == 0
        rec['ddp'] = r; save()
    rec['notebooks'] = ({'all': NO_GPU} if dry else cuda_notebooks(deadline, a.jobs, log_path=work/'record.log'))
    rec['wall_s'] = round(time.time() - t0, 1); save()
    print(f"record: {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out.name} in {rec['wall_s']} s", flush=True)
    return rec

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--dry', action='store_true', help="debug presets with --system cpu (a GPU's parts: skipped)")
    ap.add_argument('--systems', help="comma-separated recipes (default: all five)")
    ap.add_argument('--steps', type=int, default=None, help="training steps of each part (default: 50; --dry 4)")
    ap.add_argument('--budget', type=float, default=450., help="seconds for the whole record (default: 450)")
    ap.add_argument('--notebook-s', type=float, default=90., help="seconds kept for the cuda notebooks (default: 90)")
    ap.add_argument('--jobs', type=int, default=10, help="cuda notebooks at once (default: 10)")
    ap.add_argument('--work', default=None, help="the experiments' folder (default: exp/gpu-record[-dry]/work)")
    ap.add_argument('--out', default=None, help="the record (default: nbs/results/gpu_<device>.json; --dry: in exp/)")
    ap.add_argument('--one', help=argparse.SUPPRESS)
    ap.add_argument('--ddp', action='store_true', help=argparse.SUPPRESS)
    ap.add_argument('--deadline', type=float, default=None, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if not a.one and not a.dry:
        import torch
        a.dry = not torch.cuda.is_available()   # no GPU here: the dry record
    a.steps = a.steps or (4 if a.dry else 50)
    a.work = a.work or str(ROOT/'exp'/('gpu-record-dry' if a.dry else 'gpu-record')/'work')
    if a.one:
        Path(a.work).mkdir(parents=True, exist_ok=True)
        run_system(a.one, Path(a.work), a.steps, a.dry, a.ddp, a.deadline or time.time() + 3600,
                   Path(a.work)/f"{a.one}{'-ddp' if a.ddp else ''}.json")
        return 0
    rec = record(a)
    return 0 if rec['systems'] else 1

if __name__ == '__main__': sys.exit(main())
