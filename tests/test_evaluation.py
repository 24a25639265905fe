("Tests of foleybook.eval.embedders / classifier / metrics / report beyond the notebooks: bad inputs, caches, "
 "published layouts.")
import os, time, warnings
from pathlib import Path
import numpy as np, pytest, soundfile as sf, torch
from torch import nn

from foleybook.core import FoleyError, DataError, AudioFileError, CheckpointError, ConfigError
from foleybook.audio import MelSpectrogram, MelConfig, save_audio
from foleybook.torch_files import load_torch_file
from foleybook.data.download import weights_path, WEIGHTS
from foleybook.eval.embedders import (TorchEmbedder, EmbeddingCache, embed_files, VGGish, VGGishConfig, load_vggish,
                                 PANNsCNN14, PANNsConfig, load_panns_cnn14)
from foleybook.eval.classifier import FoleyClassifier, ClassifierConfig
from foleybook.eval.metrics import frechet_distance, fad, kad, mmd2, mkl, is_score, kid, ndb
from foleybook.eval.report import evaluate, write_report, class_files
from foleybook.eval.rerank import rerank
from foleybook.systems.dcase2023.pipeline import check_dcase_folder


class MelMean(TorchEmbedder, nn.Module):
    "A deterministic toy embedder: mean 'debug' log-mel over time."
    name, sample_rate = 'melmean', 8000
    def __init__(self):
        super().__init__(); self.mel = MelSpectrogram(MelConfig.preset('debug')); self.w = nn.Parameter(torch.ones(1))
    def forward(self, x): return (self.mel(x).mean(-1) * self.w)[:, None]


def _tone_folder(root, classes=('A', 'B'), n=4, sr=8000, seed=0, noise=0.):
    rng = np.random.default_rng(seed)
    for k, c in enumerate(classes):
        for i in range(n):
            t = np.arange(sr) / sr
            w = (0.5 * np.sin(2 * np.pi * (300 + 500 * k + 20 * rng.standard_normal()) * t)
                 + noise * rng.standard_normal(sr))
            save_audio(Path(root) / c / f'{i}.wav', np.clip(w, -1, 1).astype(np.float32), sr)
    return Path(root)


# ---- metrics ---------------------------------------------------------------------------------

def test_frechet_commuting_full_covariances_closed_form():
    rng = np.random.default_rng(1)
    q = np.linalg.qr(rng.normal(size=(5, 5)))[0]
    a, b = rng.uniform(0.1, 3, 5), rng.uniform(0.1, 3, 5)
    s1, s2 = q @ np.diag(a) @ q.T, q @ np.diag(b) @ q.T      # share eigenvectors: sqrt(S1 S2) = Q diag(sqrt(ab)) Q^T
    mu1, mu2 = rng.normal(size=5), rng.normal(size=5)
    expected = ((mu1 - mu2) ** 2).sum() + (a + b - 2 * np.sqrt(a * b)).sum()
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-9)


def test_fad_of_samples_matches_gaussian_closed_form():
    rng = np.random.default_rng(2)
    x = rng.normal(0, 1, size=(20000, 3))
    y = rng.normal(1, 2, size=(20000, 3))
    expected = 3 * 1 + 3 * (1 + 4 - 2 * 2)                     # ||mu||^2 + sum(s1 + s2 - 2 sqrt(s1 s2))
    assert fad(x, y) == pytest.approx(expected, rel=0.05)
    assert fad(x, x) == pytest.approx(0, abs=1e-9)


def test_fad_never_negative_or_complex_with_few_samples():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(10, 64))
    with pytest.warns(UserWarning, match='singular'):
        v = fad(x, x.copy())
    assert isinstance(v, float) and v == 0.0


def test_kad_unbiased_and_detects_shift():
    rng = np.random.default_rng(4)
    for kernel in ('rbf', 'poly'):
        vals = np.array([kad(rng.normal(size=(20, 3)), rng.normal(size=(20, 3)), kernel=kernel) for _ in range(300)])
        assert abs(vals.mean()) < 3 * vals.std() / np.sqrt(len(vals))
        assert (vals < 0).any()
    assert kad(rng.normal(2, 1, size=(40, 3)), rng.normal(size=(40, 3))) > 10


def test_mkl_is_kid_ndb_values():
    p = np.random.default_rng(5).dirichlet(np.ones(4), size=10)
    assert mkl(p, p) == 0.0
    assert mkl(p[0], p) > 0
    assert is_score(np.eye(4)[np.arange(40) % 4]) == pytest.approx(4)
    with pytest.raises(DataError, match='probability vectors'): mkl(p * 2, p)
    x = np.random.default_rng(6).normal(size=(120, 4))
    assert ndb(x[:60], x[60:], k=5)['ndb'] <= 2 < ndb(x[:60], x[60:] + 3, k=5)['ndb']


# ---- bad inputs ------------------------------------------------------------------------------

def test_evaluate_bad_inputs(tmp_path):
    ref = _tone_folder(tmp_path / 'ref')
    emb = [MelMean()]
    with pytest.raises(DataError, match='not found'):
        evaluate(tmp_path / 'nope', ref, embedders=emb, progress=False)
    (tmp_path / 'empty' / 'A').mkdir(parents=True); (tmp_path / 'empty' / 'B').mkdir()
    with pytest.raises(DataError, match='no audio files'):
        evaluate(tmp_path / 'empty', ref, embedders=emb, progress=False)
    mism = _tone_folder(tmp_path / 'mism', classes=('A', 'C'))      # the class both hold is scored, the others named
    with pytest.warns(UserWarning,
                      match=r"scored the 1 class\(es\) both folders hold; not generated: \['B'\], not in the "
                            r"reference: \['C'\]"):
        t = evaluate(mism, ref, embedders=emb, progress=False)
    assert set(t['class']) - {'mean', 'all'} == {'A'} and (t.attrs['missing'], t.attrs['extra']) == (['B'], ['C'])
    with pytest.raises(DataError, match="no class of the generated clips"):
        evaluate(_tone_folder(tmp_path / 'other', classes=('C', 'D')), ref, embedders=emb, progress=False)
    nan = _tone_folder(tmp_path / 'nan')
    sf.write(nan / 'B' / '2.wav', np.full(8000, np.nan, np.float32), 8000, subtype='FLOAT')
    with pytest.warns(UserWarning, match=r'left out 1 bad file\(s\), e.g. .*2.wav: unreadable: contains NaN'):
        t = evaluate(nan, ref, embedders=emb, progress=False)      # a NaN clip is left out and listed, not fatal
    assert [Path(f).name for f, _ in t.attrs['skipped']] == ['2.wav']
    with pytest.raises(ConfigError, match='unknown embedder'):
        evaluate(ref, ref, embedders=['wav2vec'], progress=False)
    clf = FoleyClassifier(ClassifierConfig.preset('debug', classes=('X', 'Y')))
    with pytest.raises(DataError, match='classifier knows'):
        evaluate(ref, ref, embedders=[], classifier=clf, progress=False)


def test_embedder_refuses_nan_and_bad_shapes():
    m = MelMean()
    with pytest.raises(AudioFileError, match=r'waves\[1\]: contains NaN'):
        m([np.zeros(800), np.array([0., np.inf] * 400)], 8000)
    with pytest.raises(AudioFileError, match='expected a 1-d clip'):
        m([np.zeros((2, 2, 10))], 8000)


def test_evaluate_table_and_report(tmp_path):
    ref = _tone_folder(tmp_path / 'ref', n=6)
    good = _tone_folder(tmp_path / 'good', n=6, seed=1)
    bad = _tone_folder(tmp_path / 'bad', n=6, seed=1, noise=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        tg = evaluate(good, ref, embedders=[MelMean()], progress=False)
        tb = evaluate(bad, ref, embedders=[MelMean()], progress=False)
    assert list(tg.columns) == ['class', 'ref_class', 'metric', 'embedder', 'value']
    m = lambda t: t[(t['class'] == 'mean') & (t.metric == 'fad')].value.item()
    assert m(tg) < m(tb)
    fa = tg[(tg.metric == 'fad') & (tg['class'] == 'A')].set_index('ref_class').value
    assert fa['A'] < fa['B']
    p = write_report(tg, tmp_path / 'exp' / 'report.md', title='t')
    text = p.read_text()
    assert '# t' in text and '| A |' in text and (tmp_path / 'exp' / 'report_fad_melmean.png').stat().st_size > 1000
    with pytest.raises(DataError, match='empty'): write_report(tg.iloc[:0], tmp_path / 'x.md')


# ---- caching ---------------------------------------------------------------------------------

def test_cache_misses_when_the_file_changes(tmp_path):
    f = tmp_path / 'a.wav'
    save_audio(f, np.full(8000, 0.1, np.float32), 8000)
    cache, emb = EmbeddingCache(tmp_path / 'cache'), MelMean()
    e1 = embed_files([f], emb, cache, progress=False)[0]
    assert np.allclose(embed_files([f], emb, cache, progress=False)[0], e1)
    time.sleep(0.01)
    save_audio(f, 0.5 * np.sin(np.arange(8000) * 0.3).astype(np.float32), 8000)
    e2 = embed_files([f], emb, cache, progress=False)[0]
    assert not np.allclose(e1, e2)
    assert np.allclose(e2, emb.frames([0.5 * np.sin(np.arange(8000) * 0.3)], 8000)[0], atol=1e-2)  # 16-bit file


# ---- published weight layouts ----------------------------------------------------------------

def test_weights_offline_error_names_url_and_place(tmp_path):
    for key, loader in (('vggish', load_vggish), ('panns_cnn14', load_panns_cnn14)):
        with pytest.raises(CheckpointError) as e:
            loader(cache_dir=tmp_path)
        msg = str(e.value)
        assert WEIGHTS[key]['url'] in msg and str(tmp_path / WEIGHTS[key]['filename']) in msg


def test_vggish_published_state_dict_round_trip(tmp_path):
    src = VGGish(VGGishConfig.preset('debug')).eval()
    torch.save({k: v for k, v in src.state_dict().items() if not k.startswith('pca')}, tmp_path / 'v.pth')
    np.savez(tmp_path / 'pca.npz', pca_eigen_vectors=np.eye(16) * 0.5, pca_means=np.zeros((16, 1)))
    cfg = VGGishConfig.preset('debug', final_relu=True, postprocess=True)
    m = load_vggish(tmp_path / 'v.pth', tmp_path / 'pca.npz', config=cfg, check_hash=False)
    assert torch.equal(m.pca_matrix, torch.eye(16) * 0.5)
    with pytest.raises(CheckpointError, match='does not match the published vggish file'):
        load_vggish(tmp_path / 'v.pth', config=VGGishConfig.preset('debug'))
    # same weights, raw embeddings
    m2 = load_vggish(tmp_path / 'v.pth', config=VGGishConfig.preset('debug'), check_hash=False)
    x = torch.randn(2, 16000)
    assert torch.allclose(m2(x), src(x), atol=1e-6)


def test_panns_checkpoint_with_numpy_extras_loads_safely(tmp_path):
    src = PANNsCNN14(PANNsConfig.preset('debug')).eval()
    sd = {k: v for k, v in src.state_dict().items() if not k.startswith(('spectrogram', 'logmel'))}  # front end absent
    torch.save({'iteration': 10, 'model': sd, 'sampler': {'state': np.random.RandomState(0).get_state()}},
               tmp_path / 'c.pth')
    m = load_panns_cnn14(tmp_path / 'c.pth', config=PANNsConfig.preset('debug'), check_hash=False)
    x = torch.randn(1, 16000)
    assert torch.allclose(m(x), src(x), atol=1e-5)
    assert m.tag(x).shape == (1, 5)
    class Evil:
        def __reduce__(self): return (os.system, ('true',))
    torch.save({'model': sd, 'x': Evil()}, tmp_path / 'evil.pth')
    with pytest.raises(CheckpointError, match='refusing to unpickle'):
        load_torch_file(tmp_path / 'evil.pth')


# ---- DCASE layout and rerank -----------------------------------------------------------------

def test_check_dcase_folder(tmp_path):
    classes = ['DogBark', 'Rain']
    for c in classes:
        for i in range(3): save_audio(tmp_path / c / f'{i}.wav', np.zeros(88200), 22050)
    assert set(check_dcase_folder(tmp_path, classes=classes, n_per_class=3)) == set(classes)
    with pytest.raises(DataError, match='3 files, expected 100'):
        check_dcase_folder(tmp_path, classes=classes)
    with pytest.raises(DataError, match='Footstep: class folder missing'):
        check_dcase_folder(tmp_path, classes=classes + ['Footstep'], n_per_class=3)
    save_audio(tmp_path / 'Rain' / '0.wav', np.zeros(88200), 22050, subtype='FLOAT')
    with pytest.raises(DataError, match='subtype FLOAT, expected PCM_16'):
        check_dcase_folder(tmp_path, classes=classes, n_per_class=3)


def test_rerank_with_a_foley_classifier():
    clf = FoleyClassifier(ClassifierConfig.preset('debug', classes=('a', 'b', 'c')))
    rng = np.random.default_rng(0)
    cands = [rng.standard_normal(8000).astype(np.float32) * s for s in (0.1, 0.5, 1.0, 0.01)]
    kept, scores = rerank(lambda n: cands[:n], clf, 'b', n_candidates=4, n_keep=2, sr=8000)
    p = clf.probs(cands, 8000)[:, 1]
    assert np.allclose(scores, np.sort(p)[::-1][:2], atol=1e-6)
    assert any(np.array_equal(kept[0], c) for c in cands)
    with pytest.raises(ConfigError, match='n_keep'):
        rerank(lambda n: cands[:n], clf, 0, n_candidates=2, n_keep=3, sr=8000)


def test_evaluate_options_pool_and_pooled_only(tmp_path):
    ref = _tone_folder(tmp_path / 'ref', n=5)
    gen = _tone_folder(tmp_path / 'gen', n=5, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        full = evaluate(gen, ref, embedders=[MelMean()], pool='clip', progress=False)
        pooled = evaluate(gen, ref, embedders=[MelMean()], per_class=False, use_kad=False, progress=False)
    # the cross-class FAD from cached square roots equals the direct computation
    fa = full[(full.metric == 'fad') & (full['class'] == 'A') & (full.ref_class == 'B')].value.item()
    clips = lambda d, c: MelMean()([sf.read(f)[0] for f in sorted((d / c).glob('*.wav'))], 8000)
    assert fa == pytest.approx(fad(clips(gen, 'A'), clips(ref, 'B')), rel=1e-3)
    assert set(pooled['class']) == {'all'} and set(pooled.metric) == {'fad'}
    with pytest.raises(ConfigError, match='pool'):
        evaluate(gen, ref, embedders=[MelMean()], pool='max', progress=False)
