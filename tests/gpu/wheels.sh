#!/usr/bin/env bash
# Download the wheels of tests/gpu/wheels.txt for the GPU machine (CPython 3.12, manylinux x86-64) into .whl/.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-python3}
plat=()
for p in manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64 manylinux1_x86_64 \
         manylinux_2_34_x86_64 manylinux_2_31_x86_64 manylinux_2_24_x86_64; do plat+=(--platform "$p"); done
mkdir -p .whl
grep -v '^#' tests/gpu/wheels.txt | xargs "$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp "${plat[@]}" -d .whl \
    2> >(grep -v "is ignored: it is neither" >&2)
du -sh .whl
