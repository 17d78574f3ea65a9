#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (the Ubuntu 22.04
# or 24.04 base image: docs/gradescope.md, "Which base image"). It installs nnparity (from
# source/nnparity in the autograder zip, see make_autograder.sh) into a virtual environment
# that every user can read: submissions run as an unprivileged uid.
#
# Python: nnparity needs 3.11 or later. Ubuntu 24.04's python3 is 3.12 and is used as it is;
# Ubuntu 22.04's is 3.10, so the distribution's python3.11 (universe) is installed beside it
# and the venv is made with that. The image's python3 itself is never replaced: Gradescope's
# own harness runs on it.
# bubblewrap puts each submission in namespaces of its own where the container allows it;
# Docker's default profile does not, and the grader then says so and runs at the uid level
# (docs/gradescope.md, "Safety"). setpriv comes with util-linux.
#
# Running it again is harmless: apt and pip skip what is there, an existing venv is kept when
# its Python is 3.11 or later (and made anew otherwise).
#
# Environment (all optional):
#   NNPARITY_AUTOGRADER_ROOT  instead of /autograder
#   NNPARITY_VENV             instead of /opt/nnparity/venv (run_autograder: NNPARITY_PYTHON)
#   NNPARITY_DRY_RUN=1        print the commands that would change the machine, run none
#                             (tests/test_gradescope_setup.py)
set -euo pipefail
SOURCE="${NNPARITY_AUTOGRADER_ROOT:-/autograder}/source"
VENV="${NNPARITY_VENV:-/opt/nnparity/venv}"
TORCH_INDEX=https://download.pytorch.org/whl/cpu
export DEBIAN_FRONTEND=noninteractive   # no prompt (tzdata) may stop the build

run() {   # print a command, then run it (only print it in a dry run)
  printf '+'; printf ' %q' "$@"; printf '\n'
  if [ -z "${NNPARITY_DRY_RUN:-}" ]; then "$@"; fi
}

minor() {   # "10" for an interpreter that says "Python 3.10.12"; nothing if there is none
  "$1" --version 2>&1 | sed -n 's/^Python 3\.\([0-9][0-9]*\).*/\1/p'
}

supported() {   # whether interpreter $1 is Python 3.11 or later
  local m
  m=$(minor "$1" 2>/dev/null || true)
  [ -n "$m" ] && [ "$m" -ge 11 ]
}

command -v apt-get >/dev/null \
  || { echo "setup.sh: no apt-get: choose Gradescope's Ubuntu 22.04 or 24.04 base image" >&2
       exit 1; }
constraints="$SOURCE/nnparity/constraints.txt"
torch_pin=$(grep -E '^torch==' "$constraints" || true)
[ -n "$torch_pin" ] \
  || { echo "setup.sh: $constraints pins no torch== (the CPU build nnparity is tested with)" >&2
       exit 1; }

if supported python3; then            # Ubuntu 24.04: Python 3.12
  python=python3
  packages=(python3-venv)
else                                  # Ubuntu 22.04: Python 3.10, so 3.11 from universe
  python=python3.11
  packages=(python3.11 python3.11-venv)
fi
run apt-get update
run apt-get install -y --no-install-recommends "${packages[@]}" ca-certificates bubblewrap \
  util-linux

if ! supported "$VENV/bin/python"; then
  if [ -e "$VENV" ]; then
    run rm -rf "$VENV"                # left by an older setup.sh, or broken
  fi
  run "$python" -m venv "$VENV"
fi
pip=("$VENV/bin/python" -m pip)
run "${pip[@]}" install --upgrade pip
# The CPU build of the pinned torch first: from the default index pip may resolve a multi-GB
# CUDA build. Then nnparity, whose torch requirement that one satisfies.
run "${pip[@]}" install "$torch_pin" --index-url "$TORCH_INDEX"
run "${pip[@]}" install -c "$constraints" -e "$SOURCE/nnparity"

# Readable, not writable, by the sandbox's uid.
run chmod -R a+rX,go-w "$VENV" "$SOURCE"
run chmod a+rx "$(dirname "$VENV")"
run chmod 755 "$(dirname "$SOURCE")"

# The isolation level this image reaches (the autograder's stdout shows it again per run).
run "$VENV/bin/python" -m harness.sandbox.isolation || true

# Check the whole chain once: the bundled implementation must grade to full marks.
smoke=$(mktemp -d)
trap 'rm -rf "$smoke"' EXIT
rubric=()
if [ -f "$SOURCE/rubric.toml" ]; then rubric=(--rubric "$SOURCE/rubric.toml"); fi
run "$VENV/bin/nnparity" grade "$SOURCE/nnparity/student_nn" "${rubric[@]}" --out "$smoke" \
  --workers 1
full='import csv, sys; (row,) = csv.DictReader(open(sys.argv[1])); assert '
full+='row["status"] == "graded" and float(row["score"]) == float(row["max_score"]), row'
run "$VENV/bin/python" -c "$full" "$smoke/gradebook.csv"
[ -n "${NNPARITY_DRY_RUN:-}" ] || echo "setup.sh: the bundled implementation grades to full marks"
