#!/usr/bin/env bash
# The notebooks' `cuda`-flagged cells (the CPU and GPU agree), on a machine with a GPU: every notebook that has one,
# run whole by nbdev_test with the `cuda` flag, JOBS at a time. Run from the repository root after
# `. tests/gpu/setup.sh` (or in a venv with the package), e.g. `make test-cuda`.
set -euo pipefail
cd "$(dirname "$0")/../.."
${PY:-python3} -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'no GPU: the cuda cells need one')"
nbs=$(grep -l '"#| cuda' nbs/*.ipynb)
echo "notebooks with cuda cells:" $nbs
${PY:-python3} tests/run_notebooks.py --flags cuda --jobs "${JOBS:-10}" $nbs
