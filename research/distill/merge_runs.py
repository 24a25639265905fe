"""Merge probe_consistency.py runs into nbs/results/distill_consistency.json (read by nbs/06h_distillation.ipynb).

A run replaces the one of the same system, seed and learning rate; the others are kept.

    python research/distill/merge_runs.py research/distill/consistency_audio_diffusion_seed*.json
"""
import json, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT/'nbs'/'results'/'distill_consistency.json'
key = lambda r: (r['system'], r['seed'], r['settings']['lr'])
doc = json.loads(OUT.read_text())
new = [json.loads(Path(f).read_text()) for f in sys.argv[1:]]
doc['runs'] = [r for r in doc['runs'] if key(r) not in {key(n) for n in new}] + new
doc['runs'].sort(key=lambda r: (r['system'] != 'diffwave', r['system'], r['seed'], -r['settings']['lr']))
doc['about'] = ("Consistency distillation (Song et al. 2023; foleybook.diffusion.consistency) of the committed "
                "DiffWave and audio-diffusion demo models beside the progressive students of distill_curve.json of "
                "the same seed, within their CPU budget, one run per system, seed and learning rate (DiffWave: "
                "lr 2e-4 on seeds 0, 1, 2 and 5e-5 on seed 0; audio-diffusion: lr 2e-4 on seeds 0, 1, 2): "
                "research/distill/probe_consistency.py (its 'about' in each run).")
OUT.write_text(json.dumps(doc, indent=1) + '\n')
print(f"{OUT.relative_to(ROOT)}: {[key(r) for r in doc['runs']]}")
