#!/usr/bin/env bash
# The benchmark's judges of the given seeds (default: 2) for a GPU machine: made here on the CPU where the judge cache
# lacks them (about 2.5 minutes each), copied into exp/gpu_judges/ (ignored). A device call carries that folder and
# sets FOLEYBOOK_JUDGE_CACHE=$PWD/exp/gpu_judges, so that the GPU machine scores its clips with this machine's judge
# instead of training its own. Run from anywhere: `make gpu-judges` (or `bash tests/gpu/judges.sh 0 1 2`).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-python3}
mkdir -p exp/gpu_judges
for s in "${@:-2}"; do
  key=$("$PY" -c "import sys; sys.path.insert(0, 'bench'); from judge_seeds import seed_setup
print(seed_setup($s, 'exp/judge_seeds')[-1].judge_key)" | tail -n 1)
  src=$("$PY" -c "from foleybook.eval.judge import judge_cache_dir; print(judge_cache_dir())")/$key
  test -d "$src" || { echo "seed $s: no judge $key in $src" >&2; exit 1; }
  rm -rf "exp/gpu_judges/$key"; cp -r "$src" exp/gpu_judges/
  echo "seed $s: judge $key"
done
du -sh exp/gpu_judges
