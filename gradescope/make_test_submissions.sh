#!/usr/bin/env bash
# Two submissions to try the autograder with ("Test Autograder" on Gradescope, or
# run_autograder locally; docs/gradescope.md):
#   gradescope/make_test_submissions.sh [OUTDIR]     (default: the current directory)
#   full_marks.zip  the bundled implementation (student_nn) as neural_networks/: every test
#                   passes
#   relu_bug.zip    the same with one bug, ReLU.backward returning twice the gradient: the
#                   ReLU dX test (and those of the layers using ReLU) fails, with its repro
#                   command in the feedback
# These hold the course's solution: for staff only, never publish them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
out=$(realpath -m "${1:-.}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for name in full_marks relu_bug; do
  mkdir -p "$tmp/$name/neural_networks"
  cp "$repo"/student_nn/*.py "$tmp/$name/neural_networks/"
done
activations="$tmp/relu_bug/neural_networks/activations.py"
sed -i 's/^        return dY \* (Z > 0)$/        return 2 * dY * (Z > 0)   # the planted bug/' \
  "$activations"
if cmp -s "$activations" "$repo/student_nn/activations.py"; then
  echo "make_test_submissions.sh: student_nn's ReLU.backward changed; cannot plant the bug" >&2
  exit 1
fi

mkdir -p "$out"
for name in full_marks relu_bug; do
  rm -f "$out/$name.zip"
  (cd "$tmp/$name" && python3 -m zipfile -c "$out/$name.zip" neural_networks)
  echo "wrote $out/$name.zip"
done
