#!/usr/bin/env bash
# The GPU record (tests/gpu/record.py): on a GPU machine, the wheels of `make gpu-wheels` (.whl/, carried there) are
# installed with --no-index by tests/gpu/setup.sh first; the record goes to nbs/results/gpu_<device>.json, and with its
# log to $OUT where a device call sets it (what comes back from that machine). `DRY=1`: the debug presets on the CPU, in
# this venv (PY), the record in exp/gpu-record-dry/. Run from anywhere: `make gpu-record` / `make gpu-record DRY=1`.
set -uo pipefail
cd "$(dirname "$0")/../.."
if [ "${DRY:-}" = 1 ]; then exec "${PY:-python3}" tests/gpu/record.py --dry "$@"; fi
t0=$(date +%s)
. tests/gpu/setup.sh || { echo "gpu-record: the wheels did not install (run make gpu-wheels here first)" >&2; exit 1; }
# the budget left after the install: the whole command within 8 minutes
PYTHONUNBUFFERED=1 python3 tests/gpu/record.py --budget $((465 - $(date +%s) + t0)) "$@"
rc=$?
if [ -d "${OUT:-}" ]; then cp nbs/results/gpu_*.json exp/gpu-record/work/record.log "$OUT"/ 2>/dev/null; fi
exit $rc
