#!/usr/bin/env bash
# Build the wheel students install to run the `nnparity repro ...` commands in their
# feedback (and `nnparity check`) with the nnparity that grades them:
#   gradescope/build_student_wheel.sh [OUTDIR]     (default: the current directory)
# Build it from the same checkout as the autograder zip and publish it beside the assignment.
#
# It is this checkout's nnparity without what students must not have: student_nn/ (the
# bundled solution), harness/rubrics/ (the rubrics, with the hidden tests' seeds) and tests/.
# The wheel is built from a copy that holds only harness/ (less its rubrics), reference/ and
# nnparity/, so pyproject.toml's package patterns find nothing else; its file list is then
# checked, and the script fails if any of those slipped in.
#
# Environment: PYTHON, the interpreter whose pip builds the wheel (default: python3).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
out=$(realpath -m "${1:-.}")
python="${PYTHON:-python3}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir "$tmp/src"
cp "$repo/pyproject.toml" "$repo/README.md" "$tmp/src/"
tar -C "$repo" --exclude=__pycache__ --exclude='*.pyc' --exclude=./harness/rubrics \
  -cf - ./harness ./reference ./nnparity | tar -C "$tmp/src" -xf -
# harness/data/iris.csv: the Iris training cases read it (pyproject.toml's package-data does
# not list it; an editable install reads it from the checkout).
echo 'include harness/data/*.csv' > "$tmp/src/MANIFEST.in"

"$python" -m pip wheel --quiet --no-deps --wheel-dir "$tmp/dist" "$tmp/src"
wheels=("$tmp"/dist/nnparity-*.whl)
if [ ${#wheels[@]} -ne 1 ] || [ ! -f "${wheels[0]}" ]; then
  echo "build_student_wheel.sh: pip built no single nnparity wheel" >&2
  exit 1
fi

"$python" - "${wheels[0]}" <<'PY'
import sys, zipfile

names = zipfile.ZipFile(sys.argv[1]).namelist()
leaked = [n for n in names if n.startswith(("student_nn/", "tests/", "harness/rubrics/"))
          or n.endswith(".toml")]
missing = [n for n in ("harness/cli.py", "reference/layers.py", "harness/data/iris.csv")
           if n not in names]
if leaked or missing:
    sys.exit(f"build_student_wheel.sh: refusing the wheel: it holds {leaked or 'nothing'} "
             f"it must not, and lacks {missing or 'nothing'} it needs")
PY

mkdir -p "$out"
cp "${wheels[0]}" "$out/"
wheel="$out/$(basename "${wheels[0]}")"
torch_pin=$(grep -E '^torch==' "$repo/constraints.txt")
echo "wrote $wheel (no student_nn, no rubrics, no tests)"
echo "students install it (Python 3.11 or later; a virtual environment is best) with:"
echo "  pip install '$torch_pin' --index-url https://download.pytorch.org/whl/cpu && pip install ./$(basename "$wheel")"
