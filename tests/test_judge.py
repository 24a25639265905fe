"""The judge holds up on a small folder of recordings: SynthFoley cut to 20 clips a class and perturbed as
recordings are (level spread, background noise, time offsets, EQ, room), a quarter held out. The demo judge files
>= 90 % of the held-out recordings under their class: the folder's 35 held-out clips and 20 more recordings a class
made alike (a larger sample of the same question; nbs/12g_judge measures the former judge and each change)."""
import os
from foleybook.data.synth import synth_folder
from foleybook.data.augment import perturbed_folder
from foleybook.audio import load_audio
from foleybook.eval.judge import shared_judge
from foleybook.recipes.bench import bench_split
from foleybook.recipes.stages import class_folders


def test_demo_judge_on_twenty_recordings_a_class(tmp_path):
    rec = perturbed_folder(synth_folder(tmp_path/'clean', 40, seed=1), tmp_path/'rec', seed=0)   # 40 recordings a class
    folder = tmp_path/'folder'   # the user's folder: the first 20 of each class
    for c, files in class_folders(rec).items():
        (folder/c).mkdir(parents=True)
        for f in files[:20]: os.symlink(f, folder/c/f.name)
    split = bench_split(folder, tmp_path/'split', 0.25, seed=0)
    judge = shared_judge(split/'train', 'demo', seed=0, system='cpu', cache=tmp_path/'cache')
    held = class_folders(split/'test')
    more = {c: class_folders(rec)[c][20:] for c in held}
    right = lambda c, f: judge.predict([load_audio(f)[0][0]], 22050)[0] == judge.classes.index(c)
    hits = {k: [right(c, f) for c, fs in d.items() for f in fs] for k, d in (('held', held), ('more', more))}
    assert (len(hits['held']), len(hits['more'])) == (35, 140)
    every = hits['held'] + hits['more']
    print(f"held out: {sum(hits['held'])} of 35; more recordings: {sum(hits['more'])} of 140")
    assert sum(every) / len(every) >= 0.9, f"{sum(every)} of {len(every)}"
