# One command per job; each creates .venv when it is missing and installs into it.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1
export MPLBACKEND ?= Agg
NBWORKERS ?= 1

.PHONY: outputs venv lint test test-forms test-slow test-cuda gpu-wheels gpu-judges gpu-record export-check nbtest pytest docs \
	demo clean bench clean-nbs test-browser browser-deps screenshots

# The torch trio first (pinned, from the local wheels on the dev/CI machines), then the package.
$(BIN)/.installed: settings.ini setup.py
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.14.1 torchvision==0.29.1 torchaudio==2.11.0
	$(BIN)/python -m pip install -q -e ".[dev,docs]"
	touch $@

venv: $(BIN)/.installed

# The package must be exactly what the notebooks export.
export-check: venv
	$(BIN)/nbdev_export
	@git diff --exit-code --stat -- foleybook || (echo "foleybook/ differs from the notebooks: run nbdev_export and commit" && exit 1)
	@test -z "$$(git status --porcelain -- foleybook)" || (git status --porcelain -- foleybook; echo "untracked exported files: commit them" && exit 1)

# One process per notebook (a notebook's @patch or torch.set_grad_enabled must not leak into the next ones),
# two at a time on the two cores, the slowest first: tests/run_notebooks.py.
nbtest: venv
	$(BIN)/python tests/run_notebooks.py --jobs 2

pytest: venv
	$(BIN)/python -m pytest -q -n 2 --dist loadfile tests --ignore=tests/browser

# The inference forms (foleybook.fastpath): nbtest and pytest ran what 'auto' chooses on this machine; the notebooks
# and tests whose result depends on that choice run again with each form pinned (FOLEYBOOK_PRECISION), so any
# machine checks what every other one would run (bf16 is emulated, slower, where the CPU has no bf16 kernels).
# Where the CPU has no bf16 kernels, 'auto' is fp32 (fastpath.resolve_precision): nbtest and pytest ran that form.
FORM_NBS := $(addprefix nbs/,00f_fastpath.ipynb 03_vocoders.ipynb 03a_hifigan.ipynb 03c_melgan.ipynb 03d_bigvgan.ipynb \
	04a_vqvae.ipynb 06b_diffwave.ipynb 07_sashimi.ipynb 08_vqgan.ipynb 10c_audio_diffusion.ipynb \
	14a_dcase2023_pipeline.ipynb 16b_specvqgan_checkpoints.ipynb)
FORM_TESTS := tests/test_vocoders.py tests/test_vocoder_speed.py

test-forms: venv
	@auto=$$($(BIN)/python -c "from foleybook.fastpath import resolve_precision as r; print(r())"); \
	for p in fp32 bf16; do \
	  if [ "$$auto" = $$p ]; then echo "test-forms: 'auto' runs $$p here, as nbtest and pytest did"; continue; fi; \
	  FOLEYBOOK_PRECISION=$$p $(BIN)/python tests/run_notebooks.py --jobs 2 $(FORM_NBS) && \
	  FOLEYBOOK_PRECISION=$$p $(BIN)/python -m pytest -q -m precision $(FORM_TESTS) || exit 1; \
	done

# Lines of at most 120 characters and syntax-level errors (ruff.toml); markdown cells: tests/test_style.py.
lint: venv
	$(BIN)/ruff check .

# The docs site before pytest: tests/test_docs.py checks the site `make docs` stamped as built from these files.
test: lint export-check nbtest docs pytest test-forms

# The real-size cells flagged `slow` (never in CI).
test-slow: venv
	@for nb in nbs/*.ipynb; do $(BIN)/nbdev_test --path $$nb --n_workers 0 --flags slow || exit 1; done

# The `cuda`-flagged cells (never in CI), on a machine with a GPU, in this venv or, on a GPU machine whose image has
# torch, after `. tests/gpu/setup.sh`: the wheels that image lacks come from `make gpu-wheels` (into .whl/, ignored).
test-cuda:
	PY=$$(test -x $(BIN)/python && echo $(BIN)/python || echo python3) bash tests/gpu/run_cuda.sh

gpu-wheels: venv
	PY=$(BIN)/python bash tests/gpu/wheels.sh

# The GPU record, the first command of any session lent a GPU (`make gpu-wheels` here, then with .whl carried there):
# each system's paper preset through `foleybook recipe ... --system cuda_amp` for 50 steps a part, a resume checked
# step by step, a clip per class, the CPU and CUDA clip of one seed; one system under torchrun with NCCL; the `cuda`
# notebook cells; within 8 minutes on one H100, written to nbs/results/gpu_<device>.json (tests/gpu/record.py).
# `make gpu-record DRY=1`: the same on the debug presets with --system cpu, into exp/gpu-record-dry/ (CI-sized).
# A device call: carry .whl, run `bash tests/gpu/record.sh` (what `make gpu-record` runs) with a timeout of 540 s; the
# record and its log come back in $OUT.
gpu-record:
	@if [ "$(DRY)" = 1 ]; then \
	  DRY=1 PY=$$(test -x $(BIN)/python && echo $(BIN)/python || echo python3) bash tests/gpu/record.sh; \
	else bash tests/gpu/record.sh; fi

# The benchmark's seed-2 judge (SEEDS="0 1 2" for more) copied into exp/gpu_judges/ for a GPU machine to score with.
gpu-judges: venv
	PY=$(BIN)/python bash tests/gpu/judges.sh $(SEEDS)

# Built once per set of inputs: a site stamped as built from the same files is kept (`--again` builds anyway).
docs: venv
	$(BIN)/python docs/nbsite.py build docs/_build/html

# the outputs the notebooks saved (what the docs pages show), from a run of each notebook now: docs/outputs.py
outputs: venv
	$(BIN)/python docs/outputs.py
	$(MAKE) clean-nbs

# nbdev_clean, then drop the widget state (with embedded audio) that notebook executors store in the
# notebook metadata and nbdev_clean keeps.
clean-nbs: venv
	$(BIN)/nbdev_clean
	$(BIN)/python -c "import json, pathlib; [p.write_text(json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + '\n') for p in sorted(pathlib.Path('nbs').glob('*.ipynb')) for nb in [json.loads(p.read_text())] if nb.get('metadata', {}).pop('widgets', None) is not None]"

# The samplers in JupyterLab and the built site, in headless Debian chromium (tests/browser; needs `make docs`).
# selenium-manager and playwright download browsers, which cannot work offline: the browser comes from apt.
browser-deps: venv
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver)
	@$(BIN)/python -c "import selenium, jupyterlab" 2>/dev/null || $(BIN)/python -m pip install -q selenium jupyterlab

test-browser: browser-deps
	@test -f docs/_build/html/index.html || $(MAKE) docs
	$(BIN)/python -m pytest -q -n 2 tests/browser

# refresh the sampler screenshots the docs show (tracked; the plain browser test writes to tests/browser/_shots)
screenshots: browser-deps
	FOLEYBOOK_SHOTS=$(CURDIR)/docs/_static/samplers $(BIN)/python -m pytest -q tests/browser -k sampler

demo: venv
	$(BIN)/foleybook recipe dcase2023 --data synth --preset demo --out exp/demo --system cpu

# the speed benchmarks, each beside its reference and needing no arguments; bench_demo.py, demo_seeds.py,
# judge_seeds.py and fastpath.py take arguments (see their docstrings)
BENCH_SPEED = codec data diffwave learner mel mtcrnn prior prior_step sashimi sashimi_batch solvers_quality \
	solvers_speed transformer vocoder

bench: venv
	for f in $(BENCH_SPEED); do $(BIN)/python bench/$$f.py || exit 1; done

clean:
	rm -rf docs/_build _proc exp
