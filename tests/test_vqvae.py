"""foleybook.codecs.vqvae end to end: train_vqvae on SynthFoley (checkpoints, exact resume after a crash, no retraining
when finished), save_codes -> code_dls, the residual VQ-VAE's loss falls, bad input."""
import pytest, torch
from fastai.callback.core import Callback
from foleybook.core import DataError, seed_everything
from foleybook.pretrained import load_pretrained
from foleybook.train.trainers import get_trainer
from foleybook.data.synth import SynthFoley
from foleybook.data.loaders import read_codes, code_dls, mel_dls
from foleybook.codecs.vqvae import VQVAE, VQVAEConfig, save_codes, vqvae_learner, CODES_NAME
from foleybook.codecs.vqvae_train import train_vqvae


@pytest.fixture(scope='module')
def synth(tmp_path_factory):
    return SynthFoley(2, seed=1).write(tmp_path_factory.mktemp('data')/'synth')


class Crash(Callback):
    "Raise after `n` training steps (a killed process)."
    def __init__(self, n): self.n = n
    def after_batch(self):
        if self.training and self.train_iter >= self.n: raise RuntimeError('killed')


class Count(Callback):
    "Count the training steps really computed (resume skips the finished ones before the forward pass)."
    def before_fit(self): self.n = 0
    def after_loss(self):
        if self.training: self.n += 1


def _weights(m): return {k: v.clone() for k, v in m.state_dict().items()}


@pytest.mark.parametrize('one_cycle', [False, True])
def test_train_resume_is_exact_and_finished_runs_are_kept(synth, tmp_path, one_cycle):
    kw = dict(preset='debug', epochs=3, bs=4, valid_pct=0.25, every=1, quiet=True, restart_after=2,
              schedule='one_cycle' if one_cycle else 'constant')
    final = train_vqvae(synth, out=tmp_path/'a', **kw)
    assert final == tmp_path/'a'/'final' and (final/'model.safetensors').is_file()
    ref = load_pretrained(final)
    test = VQVAE.from_pretrained(tmp_path/'a'/'final')
    for k, v in _weights(ref).items(): torch.testing.assert_close(test.state_dict()[k], v, rtol=0, atol=0)
    with pytest.raises(RuntimeError, match='killed'):
        train_vqvae(synth, out=tmp_path/'b', cbs=[Crash(2)], **kw)
    assert not (tmp_path/'b'/'final').exists()
    count = Count()
    resumed = load_pretrained(train_vqvae(synth, out=tmp_path/'b', cbs=[count], **kw))
    assert count.n == 3 - 1   # 3 steps in all (7 train clips, bs 4, drop_last), 1 saved before the crash
    for k, v in _weights(ref).items(): torch.testing.assert_close(resumed.state_dict()[k], v, rtol=0, atol=0)
    # a finished run: nothing is trained again (a crash callback would fire on the first step)
    again = load_pretrained(train_vqvae(synth, out=tmp_path/'b', cbs=[Crash(0)], **kw))
    assert get_trainer('vqvae') is train_vqvae.spec
    for k, v in _weights(ref).items(): torch.testing.assert_close(again.state_dict()[k], v, rtol=0, atol=0)


def test_save_codes_feeds_code_dls(synth, tmp_path):
    model = VQVAE(VQVAEConfig.preset('debug')).eval()
    path = save_codes(model, synth, tmp_path/'codes', bs=5)
    assert path == tmp_path/'codes'/CODES_NAME
    codes, labels, classes, n_codes = read_codes(path)
    assert codes.shape == (14, 20, 86) and n_codes == 32 and len(classes) == 7
    assert labels.tolist() == [c for c in range(7) for _ in range(2)]
    dls = code_dls(path, bs=4, valid_pct=0.25)
    b = dls.one_batch()
    assert b[0].shape[1:] == (20, 86) and dls.n_codes == 32
    # from mel DataLoaders too (train then valid: every clip once)
    dls = mel_dls(synth, bs=4, valid_pct=0.25, device='cpu')
    codes2, labels2, classes2, _ = read_codes(save_codes(model, dls, tmp_path/'codes2'))
    assert len(codes2) == 14 and sorted(labels2.tolist()) == sorted(labels.tolist()) and classes2 == classes
    with pytest.raises(DataError, match='class names'):
        save_codes(model, [(torch.randn(2, 80, 344), torch.zeros(2))], tmp_path/'c3')
    assert save_codes(model, [(torch.randn(2, 80, 344) - 5, torch.zeros(2))], tmp_path/'c3', classes=['x']).is_file()


def test_rvq_vqvae_learns(synth):
    dls = mel_dls(synth, bs=4, valid_pct=0.25, seed=0, device='cpu')
    seed_everything(0)
    learn = vqvae_learner(dls, VQVAEConfig.preset('debug', n_stages=3, n_codes=16), lr=3e-3)
    with learn.no_bar(), learn.no_logging(): learn.fit(8)
    names = learn.recorder.metric_names[1:-1]
    recon = [v[names.index('recon')] for v in learn.recorder.values]
    assert recon[-1] < 0.6 * recon[0], recon
    codes = learn.model.eval().encode(dls.valid.one_batch()[0])
    assert codes.shape[1:] == (20, 86, 3) and codes.max() < 16


def test_bad_input():
    m = VQVAE(VQVAEConfig.preset('debug')).eval()
    with pytest.raises(DataError, match=r'expected mels \(B, 80, T\)'): m.encode(torch.randn(2, 3, 80, 10))
    with pytest.raises(DataError, match='must be float'): m.encode(torch.zeros(1, 80, 8, dtype=torch.long))
    with pytest.raises(DataError, match='expected codes with 3 dims'):
        m.decode(torch.zeros(1, 20, 5, 3, dtype=torch.long))
    with pytest.raises(DataError, match='must be integers'): m.decode(torch.zeros(1, 20, 5))
