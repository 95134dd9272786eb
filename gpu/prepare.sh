#!/usr/bin/env bash
# Run here, before a device call: gathers what the GPU machine lacks into
# ignored folders that the call carries (see gpu/README.md).
#   .carry/data   the offline data mirrors (MNIST, CodeContests, corpus)
#   .carry/commit the commit the records will name (the copy there has no .git)
#   .whl/         wheels of the packages its image lacks (datasketch, torchattacks)
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${GOBIG_SHARED_DATA:-../shared/data}
rm -rf .carry && mkdir -p .carry/data .whl
cp -r "$shared/mnist" "$shared/codecontests" "$shared/python-corpus" .carry/data/
commit=$(git rev-parse HEAD)
[ -z "$(git status --porcelain -- lib)" ] || commit="$commit-dirty"
echo "$commit" > .carry/commit
# Pure-Python wheels; the image has their dependencies (numpy, scipy, torch, ...).
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 -d .whl datasketch==2.0.0 torchattacks==3.5.1
du -sh .carry .whl
echo "carry: [\".carry\", \".whl\"] -- then: OUT=\$OUT bash gpu/session.sh BUDGET_S (gpu/README.md)"
