#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image. It installs
# nnparity (from source/nnparity in the autograder zip, see make_autograder.sh) into a
# virtual environment that every user can read: submissions run as an unprivileged uid.
# bubblewrap puts each submission in namespaces of its own where the container allows it;
# Docker's default profile does not, and the grader then says so and runs at the uid level
# (docs/gradescope.md, "Safety"). setpriv comes with util-linux.
set -euxo pipefail
SOURCE="${NNPARITY_AUTOGRADER_ROOT:-/autograder}/source"
VENV=/opt/nnparity/venv

apt-get install -y --no-install-recommends python3 python3-venv python3-pip bubblewrap \
  util-linux
python3 -m venv "$VENV"
"$VENV/bin/pip" install --upgrade pip
# The CPU build of torch (the default index may resolve a multi-GB CUDA build).
"$VENV/bin/pip" install -c "$SOURCE/nnparity/constraints.txt" torch \
  --index-url https://download.pytorch.org/whl/cpu
"$VENV/bin/pip" install -c "$SOURCE/nnparity/constraints.txt" -e "$SOURCE/nnparity"
# Rubrics are TOML: Python < 3.11 needs tomli.
"$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || "$VENV/bin/pip" install 'tomli>=2'

# Readable, not writable, by the sandbox's uid.
chmod -R a+rX,go-w /opt/nnparity "$SOURCE"
chmod 755 "$(dirname "$SOURCE")"

# The isolation level this image reaches (the autograder's stdout shows it again per run).
(cd "$SOURCE/nnparity" && "$VENV/bin/python" -m harness.sandbox.isolation) || true

# Check the whole chain once: the bundled implementation must grade to full marks.
smoke=$(mktemp -d)
rubric=()
[ -f "$SOURCE/rubric.toml" ] && rubric=(--rubric "$SOURCE/rubric.toml")
"$VENV/bin/nnparity" grade "$SOURCE/nnparity/student_nn" "${rubric[@]}" --out "$smoke" --workers 1
"$VENV/bin/python" - "$smoke/gradebook.csv" <<'PY'
import csv, sys
(row,) = csv.DictReader(open(sys.argv[1]))
assert row["status"] == "graded" and float(row["score"]) == float(row["max_score"]), row
PY
rm -rf "$smoke"
