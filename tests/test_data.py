("foleybook.data.folders / loaders / conditioning / synth beyond the notebooks: a bad-data corpus through whole "
 "epochs, workers, other seeds.")
import os, shutil, warnings
from pathlib import Path
import numpy as np, pytest, torch
from foleybook.core import DataError
from foleybook.audio import save_audio, MelSpectrogram
import soundfile as sf
from foleybook.data.synth import SynthFoley, DCASE_CLASSES
from foleybook.data.folders import ClassFolder
from foleybook.data.loaders import mel_dls, vocoder_dls, code_dls, write_codes, MelDataset
from foleybook.data.conditioning import param_dls, write_params, make_param


@pytest.fixture(scope='module')
def synth(tmp_path_factory):
    return SynthFoley(3, seed=3,
                      classes=['Footstep', 'GunShot', 'Keyboard']).write(tmp_path_factory.mktemp('s')/'synth')


@pytest.fixture
def bad_folder(synth, tmp_path):
    "The synth set plus a corrupt, an empty, a silent, a too-long, a truncated and a non-audio file."
    root = tmp_path/'bad'; shutil.copytree(synth, root)
    (root/'Footstep'/'corrupt.wav').write_bytes(b'RIFF\x24\x00\x00\x00WAVEfmt ' + os.urandom(64))
    (root/'GunShot'/'empty.wav').write_bytes(b'')
    save_audio(root/'Keyboard'/'silent.wav', torch.zeros(88200), 22050)
    save_audio(root/'Keyboard'/'long.wav', 0.2*torch.randn(5*22050).clamp(-3, 3)/3, 22050)
    (root/'GunShot'/'truncated.wav').write_bytes((synth/'GunShot'/'000.wav').read_bytes()[:5000])
    (root/'Footstep'/'notes.txt').write_text('not audio, ignored by suffix')
    return root


def test_bad_files_reported_and_skipped(bad_folder):
    with pytest.warns(UserWarning, match=r'skipped 4 bad file\(s\), kept 10'):
        ds = ClassFolder(bad_folder)
    reasons = {f.name: r for f, r in ds.bad}
    assert sorted(reasons) == ['corrupt.wav', 'empty.wav', 'silent.wav', 'truncated.wav']
    assert ds[ds.files.index(bad_folder/'Keyboard'/'long.wav')][0].shape == (88200,)     # cropped to 4 s
    with pytest.warns(UserWarning, match=r'skipped 5 bad file\(s\), kept 9'):
        skip = ClassFolder(bad_folder, on_length='skip')
    assert {f.name: r for f, r in skip.bad}['long.wav'] == 'wrong length (5.00 s, expected 4.00 s)'
    assert reasons['truncated.wav'].startswith('unreadable: truncated')
    assert 'silent.wav: silent' in ds.report()
    assert all(f.name not in reasons for f in ds.files)


@pytest.mark.parametrize('num_workers', [0, 2])
def test_whole_epoch_over_bad_folder(bad_folder, num_workers):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore'); ds = ClassFolder(bad_folder)
    dls = mel_dls(ds, bs=2, valid_pct=0.34, seed=0, num_workers=num_workers, device='cpu')
    n = sum(len(y) for _, y in dls.train) + sum(len(y) for _, y in dls.valid)
    assert n == 10 - (len(dls.train_ds) % 2)                    # every good clip (drop_last on train), no error
    shapes = {tuple(m.shape[1:]) for m, _ in dls.valid}
    assert shapes == {(80, 344)}


def test_file_turning_bad_mid_training_does_not_crash(synth, tmp_path):
    root = tmp_path/'s'; shutil.copytree(synth, root)
    ds = ClassFolder(root)
    dls = mel_dls(ds, bs=3, valid_pct=0.34, seed=0, device='cpu')
    victim = dls.train_ds.ds.files[0]
    victim.write_bytes(b'')                                    # deleted/corrupted after the check
    with pytest.warns(UserWarning, match='failed while loading'):
        seen = sum(len(y) for _, y in dls.train)
    assert seen == 6


def test_empty_dataset_is_clear_error(tmp_path):
    (tmp_path/'Rain').mkdir(); save_audio(tmp_path/'Rain'/'a.wav', torch.zeros(88200), 22050)
    with pytest.raises(DataError, match=r'no usable audio files \(1 skipped\)'): ClassFolder(tmp_path, verbose=False)
    (tmp_path/'Empty').mkdir()
    with pytest.raises(DataError, match='no audio files'): ClassFolder(tmp_path, classes=['Empty'])


def test_workers_give_the_same_batches(synth):
    ds = ClassFolder(synth)
    get = lambda nw: [(m, w) for m,
                      w in vocoder_dls(ds, segment=4096, bs=2, valid_pct=0.34, seed=5, num_workers=nw,
                                       device='cpu').train]
    a, b = get(0), get(2)
    assert len(a) == len(b) == 3
    for (m0, w0), (m1, w1) in zip(a, b): assert torch.equal(w0, w1) and torch.equal(m0, m1)
    m, w = a[0]
    assert torch.allclose(m[1], MelSpectrogram()(w[1, 0]), atol=1e-5)


def test_code_and_param_loaders_with_workers(tmp_path):
    write_codes(tmp_path/'c.safetensors', torch.randint(0, 16, (10, 4, 6, 3)), torch.arange(10) % 2, ['a', 'b'], 16)
    dls = code_dls(tmp_path/'c.safetensors', bs=4, valid_pct=0.2, num_workers=2, device='cpu')
    batches = list(dls.train)
    assert [b[0].shape for b in batches] == [(4, 4, 6, 3)]*2 and all(torch.equal(b[0], b[2]) for b in batches)
    for k in range(3):
        write_params(tmp_path/f'{k}.json', {'x': make_param([0, 2], [0, 2]), 'y': make_param([0, 2], [k, k])})
    x, y = param_dls([tmp_path/f'{k}.json' for k in range(3)], ['x'], ['y'], rate=50, seq_len=30, bs=2, valid_pct=0.34,
                     device='cpu').one_batch()
    assert x.shape == (2, 30, 1) and set(y[:, 0, 0].tolist()) <= {0., 1., 2.}


def test_synthfoley_other_seed_learnable_and_diverse():
    "The >= 90 % classifier check of the notebook, on another seed (in memory, 12 clips per class)."
    sf = SynthFoley(12, seed=7)
    waves = torch.stack([torch.from_numpy(sf.clip(c, i)) for c in DCASE_CLASSES for i in range(12)])
    labels = torch.arange(7).repeat_interleave(12)
    M = MelSpectrogram()(waves)
    feats = torch.cat([M.mean(-1), M.std(-1)], 1)
    train = (torch.arange(len(labels)) % 12) < 8
    x = (feats - feats[train].mean(0))/(feats[train].std(0) + 1e-5)
    torch.manual_seed(0)
    clf = torch.nn.Linear(160, 7); opt = torch.optim.Adam(clf.parameters(), 1e-2)
    for _ in range(300):
        opt.zero_grad(); torch.nn.functional.cross_entropy(clf(x[train]), labels[train]).backward(); opt.step()
    acc = (clf(x[~train]).argmax(1) == labels[~train]).float().mean().item()
    assert acc >= 0.9, acc
    flat = M.clamp(min=np.log(0.01)).flatten(1); D = torch.cdist(flat, flat)/flat.shape[1]**0.5
    typical = D[~torch.eye(len(D), dtype=bool)].median()
    for k in range(7):
        d = D[labels == k][:, labels == k] + torch.eye(12)*1e9
        assert d.min() > 0.1*typical, DCASE_CLASSES[k]


def test_fastai_learners_train_on_the_loaders(synth, tmp_path):
    "The batch conventions work with a real fastai Learner: (mel, label) and (codes, label, codes) with n_inp=2."
    from fastai.learner import Learner
    import fastai.callback.progress  # noqa: F401  (learn.no_bar)
    from torch import nn
    ds = ClassFolder(synth)
    dls = mel_dls(ds, bs=3, valid_pct=0.34, seed=0, device='cpu')
    learn = Learner(dls, nn.Sequential(nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(80, 3)),
                    loss_func=nn.CrossEntropyLoss())
    with learn.no_bar(), learn.no_logging(): learn.fit(2, 1e-2)
    preds, targs = learn.get_preds()
    assert preds.shape == (3, 3) and targs.tolist() == sorted(targs.tolist())

    write_codes(tmp_path/'c.safetensors', torch.randint(0, 8, (12, 2, 5)), torch.arange(12) % 3, ['a', 'b', 'c'], 8)
    cdls = code_dls(tmp_path/'c.safetensors', bs=4, valid_pct=0.25, device='cpu')

    class Prior(nn.Module):
        def __init__(self): super().__init__(); self.emb, self.cls = nn.Embedding(8, 8), nn.Embedding(3, 8)
        def forward(self, codes, label): return (self.emb(codes) + self.cls(label)[:, None, None]).permute(0, 3, 1, 2)
    learn = Learner(cdls, Prior(), loss_func=nn.CrossEntropyLoss())
    with learn.no_bar(), learn.no_logging(): learn.fit(3, 0.1)
    before = learn.validate()[0]
    with learn.no_bar(), learn.no_logging(): learn.fit(10, 0.1)
    assert learn.validate()[0] < before                        # the prior sees codes and labels, learns from the codes
    preds, targs = learn.get_preds()
    assert preds.shape == (3, 8, 2, 5) and targs.shape == (3, 2, 5)


def test_the_issue_corpus(synth, tmp_path):
    ("Issue #12's folder: a text file named .wav, an empty, a truncated, a NaN and a silent file, a 3 s stereo 44.1 "
     "kHz clip, an empty class folder.")
    root = tmp_path/'user'; shutil.copytree(synth, root)
    (root/'Footstep'/'zz_text.wav').write_text('this is not audio')
    (root/'Footstep'/'empty.wav').write_bytes(b'')
    (root/'GunShot'/'truncated.wav').write_bytes((synth/'GunShot'/'000.wav').read_bytes()[:5000])
    sf.write(root/'GunShot'/'nan.wav', np.full(88200, np.nan, np.float32), 22050, subtype='FLOAT')
    save_audio(root/'Keyboard'/'silent.wav', torch.zeros(88200), 22050)
    save_audio(root/'Keyboard'/'stereo.wav', 0.3*torch.randn(2, 3*44100).clamp(-3, 3)/3, 44100)
    (root/'Rain').mkdir()
    with pytest.warns(UserWarning) as caught: ds = ClassFolder(root)
    msgs = ' '.join(str(w.message) for w in caught)
    assert "class folder(s) ['Rain'] hold no audio files" in msgs and 'skipped 5 bad file(s), kept 10' in msgs
    assert ds.classes == ['Footstep', 'GunShot', 'Keyboard']
    reasons = {f.name: r for f, r in ds.bad}
    assert sorted(reasons) == ['empty.wav', 'nan.wav', 'silent.wav', 'truncated.wav', 'zz_text.wav']
    assert reasons['nan.wav'] == 'unreadable: contains NaN or infinite samples'
    w, y = ds[ds.files.index(root/'Keyboard'/'stereo.wav')]
    # 22.05 kHz mono, padded
    assert w.shape == (88200,) and w[3*22050 + 10:].abs().max() == 0 and w[:3*22050].abs().max() > 0
    dls = mel_dls(ds, bs=2, valid_pct=0.34, seed=0, device='cpu')
    assert sum(len(y) for _, y in dls.valid) + sum(len(y) for _, y in dls.train) >= 9
