# Source on the GPU machine, from the repository root (the .whl/ of tests/gpu/wheels.sh carried there):
#   . tests/gpu/setup.sh
# installs the wheels into /tmp/site, puts it and the checkout on PYTHONPATH and /tmp/site/bin on PATH, so that
# `import foleybook`, nbdev_test and the bench scripts run with the machine's own torch.
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
  || return 1
export PYTHONPATH="$PWD:/tmp/site${PYTHONPATH:+:$PYTHONPATH}" PATH="/tmp/site/bin:$PATH" MPLBACKEND=Agg
python3 -c "import torch, foleybook; print('torch', torch.__version__, '| cuda', torch.cuda.is_available(),
  torch.cuda.get_device_name() if torch.cuda.is_available() else '')"
