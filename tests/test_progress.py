"Training output when stdout is not a terminal (a log file, a pipe): one line per epoch, no progress-bar redraws."
import os, subprocess, sys, textwrap
from pathlib import Path

SCRIPT = textwrap.dedent('''
    import torch
    from torch import nn
    from fastai.basics import Learner, DataLoaders, MSELossFlat
    from foleybook.train.checkpoint import progress
    from foleybook.train.settings import fit_pretrained
    from foleybook.core import FoleyConfig
    from foleybook.pretrained import Pretrained
    from dataclasses import dataclass

    @dataclass
    class TinyConfig(FoleyConfig): hidden: int = 8

    class Tiny(Pretrained, nn.Module):
        config_class = TinyConfig
        def __init__(self, config): super().__init__(); self.config = config; self.l = nn.Linear(4, 1)
        def forward(self, x): return self.l(x)

    g = torch.Generator().manual_seed(0)
    x = torch.randn(400, 4, generator=g); items = list(zip(x, x.sum(1, keepdim=True)))
    dls = DataLoaders.from_dsets(items[:320], items[320:], bs=8, device='cpu', num_workers=0)
    learn = Learner(dls, Tiny(TinyConfig()), loss_func=MSELossFlat())
    fit_pretrained(learn, OUT, epochs=4, lr=1e-2)
    print(sum(progress(range(1000))))
''')

def test_one_line_per_epoch_when_piped(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    r = subprocess.run([sys.executable, '-c', f'OUT = {str(tmp_path/"run")!r}\n' + SCRIPT], capture_output=True,
                       text=True,
                       env=env, timeout=300, cwd=Path(__file__).parent.parent)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert '\r' not in r.stdout and '█' not in r.stdout, r.stdout[:500]
    assert lines[0].split() == ['epoch', 'train_loss', 'valid_loss', 'time'], lines
    assert [l.split()[0] for l in lines[1:5]] == ['0', '1', '2', '3'], lines
    assert lines[5:] == ['499500'], lines                    # the generation-loop progress drew nothing
    assert len(r.stdout) < 1000
    assert (tmp_path/'run'/'final'/'model.safetensors').is_file()


def test_resumed_progress_counts_the_whole(tmp_path):
    "A resumed `write_clips`: the clips written before count in the whole (9/10, 10/10), not as a smaller job (1/2)."
    import torch
    from foleybook.console import reporting
    from foleybook.generators import write_clips
    from foleybook.protocols import GeneratorMixin
    class Tone(GeneratorMixin):
        classes, sample_rate = ['a'], 8000
        def generate(self, cond=None, n=1, seed=0): return torch.full((n, 800), 0.1)
    write_clips(Tone(), tmp_path, 8, sample_rate=8000, duration=None, batch_size=1)
    seen = []
    with reporting(lambda **info: seen.append(info.get('status'))):
        write_clips(Tone(), tmp_path, 10, sample_rate=8000, duration=None, batch_size=1, progress=True)
    assert [s.split(',')[0] for s in seen] == ['generate: 9/10 clips (90%)', 'generate: 10/10 clips (100%)'], seen


def test_interrupt_names_the_command_that_continues(monkeypatch, capsys):
    "Ctrl-C: exit 130 and the command that continues: --resume where the command has it, never --overwrite."
    from foleybook import cli
    def stop(a): raise KeyboardInterrupt
    for cmd in ('generate', 'recipe'): monkeypatch.setitem(cli.COMMANDS, cmd, stop)
    assert cli.main(['generate', '--model', 'm', '--out', 'o', '--overwrite']) == 130
    assert capsys.readouterr().err.strip().endswith('To continue, run: foleybook generate --model m --out o --resume')
    assert cli.main(['recipe', 'dcase2023', '--out', 'my exp', '--overwrite']) == 130
    assert capsys.readouterr().err.strip().endswith("To continue, run: foleybook recipe dcase2023 --out 'my exp'")
