#!/usr/bin/env bash
# Build the zip to upload to Gradescope ("Configure Autograder"):
#   gradescope/make_autograder.sh [RUBRIC.toml] [OUTPUT.zip]
# It holds setup.sh and run_autograder at its root, this repository under nnparity/ and,
# if given, the rubric as rubric.toml (default: nnparity's HW6 rubric).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
rubric="${1:-}"
out=$(realpath -m "${2:-autograder.zip}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cp "$here/setup.sh" "$here/run_autograder" "$tmp/"
chmod +x "$tmp/setup.sh" "$tmp/run_autograder"
mkdir "$tmp/nnparity"
tar -C "$repo" --exclude=.git --exclude=.venv --exclude=./reports --exclude=__pycache__ \
  --exclude='*.egg-info' --exclude=.ruff_cache --exclude=.pytest_cache --exclude='*.zip' \
  --exclude=./tests --exclude=./.ci --exclude=./.benchmarks --exclude=./grades \
  --exclude='*.whl' --exclude=./dist --exclude=./build \
  -cf - . | tar -C "$tmp/nnparity" -xf -
files=(setup.sh run_autograder nnparity)
if [ -n "$rubric" ]; then
  cp "$rubric" "$tmp/rubric.toml"
  files+=(rubric.toml)
fi
rm -f "$out"
(cd "$tmp" && python3 -m zipfile -c "$out" "${files[@]}")
echo "wrote $out"
echo "students' wheel (for the repro commands in their feedback): gradescope/build_student_wheel.sh"
