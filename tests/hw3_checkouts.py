"""HW3P1 checkouts for the tests: copies of tests/mytorch_hw3_impls/correct with exact edits.

Every copy holds the activation.py HW3P1's handout ships (Fall 2024 on) at mytorch/nn/, as a
checkout does: nnparity's stand-in for it, harness/apis/mytorch/handout/activation_2024.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from edits import Edits, edited

HERE = Path(__file__).parent
CORRECT = HERE / "mytorch_hw3_impls" / "correct"
HANDOUT = HERE.parent / "harness" / "apis" / "mytorch" / "handout"


def checkout(tmp_path: Path, name: str, edits: dict[str, Edits] | None = None) -> Path:
    """tmp_path/<name>: the correct checkout, each file of `edits` changed by its exact
    (old, new) replacements in order (each old text occurs exactly once)."""
    root = tmp_path / name
    shutil.copytree(CORRECT, root)
    (root / "mytorch" / "nn").mkdir(exist_ok=True)
    shutil.copyfile(HANDOUT / "activation_2024.py", root / "mytorch" / "nn" / "activation.py")
    for file, pairs in (edits or {}).items():
        path = root / file
        path.write_text(edited(path.read_text(), pairs, (name, file)))
    return root
