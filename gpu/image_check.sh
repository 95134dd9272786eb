#!/usr/bin/env bash
# Before a GPU session, here on the CPU: run what the session runs on the
# GPU image's versions of torch and torchvision, which are older than this
# project's pins, so that a session does not find an API or compiler
# difference first. Not part of CI: the venv is a CUDA build of torch, about
# 5 GB from PyPI (made once, then reused).
#   bash gpu/image_check.sh
# GOBIG_IMAGE_VENV: where the venv lives (default /tmp/gobig-image-venv).
# GOBIG_IMAGE_TORCH / GOBIG_IMAGE_TORCHVISION: the image's versions (defaults:
# what the device tool's KINDS.md lists for nvidia-h200). The image's Python
# (3.12) and numpy (2.5) are newer than pip offers this machine's Python 3.11,
# so the rest comes at the newest versions pip finds here.
set -eu
cd "$(dirname "$0")/.."
venv=${GOBIG_IMAGE_VENV:-/tmp/gobig-image-venv}
torch_version=${GOBIG_IMAGE_TORCH:-2.11.0}
torchvision_version=${GOBIG_IMAGE_TORCHVISION:-0.26.0}
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "torch==$torch_version" "torchvision==$torchvision_version"
  # What the image has besides torch, and the two wheels a session carries (datasketch, torchattacks).
  "$venv/bin/pip" install -q numpy pandas matplotlib seaborn scipy pyyaml pytest tqdm tokenizers pyarrow datasketch
  "$venv/bin/pip" install -q --no-deps torchattacks
fi
"$venv/bin/python" -c "import torch, torchvision, numpy; print('torch', torch.__version__, 'torchvision', torchvision.__version__, 'numpy', numpy.__version__)"

# A copy of what a session carries, so that its records land there, not here.
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
cp -r gpu lib tests benchmarks pyproject.toml "$tree"/
mkdir -p "$tree/results" "$tree/benchmarks/results"
export GOBIG_DATA_DIR=${GOBIG_DATA_DIR:-$PWD/../shared/data}
status=0
# The session itself, with chapter 1 compiled (what GOBIG_SESSION_COMPILE=true runs).
(cd "$tree" && PATH=$venv/bin:$PATH GOBIG_SESSION_DEVICE=cpu GOBIG_SESSION_PROFILE=smoke GOBIG_SESSION_WORKERS=2 \
  GOBIG_SESSION_COMPILE=true OUT=$tree/out bash gpu/session.sh 900 "test mnist alphacode") || status=1
grep -q "== mnist-smoke: exit 0" "$tree/out/session.log" && grep -q "== alphacode-smoke: exit 0" "$tree/out/session.log" \
  && grep -q "== gpu-tests: exit 0" "$tree/out/session.log" || { echo "image check: a session stage failed"; status=1; }
# The benchmarks' smoke runs (their --compile rows included) and the units they time.
(cd "$tree" && PYTHONPATH=lib "$venv/bin/python" -m pytest -q -p no:cacheprovider \
  tests/test_benchmarks.py tests/test_train.py tests/test_attacks.py tests/test_codemodel.py) || status=1
echo "image check: $([ $status = 0 ] && echo passed || echo FAILED) on torch $torch_version"
exit $status
