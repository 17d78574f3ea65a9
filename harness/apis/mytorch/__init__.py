"""The mytorch adapter (CMU 11-785 HW1P1 and HW2P1, ``mytorch/``): everything mytorch-specific.

- ops.py: the op table, each class driven through its methods (`ObjectOp`);
- cases.py: the sizes and inputs each class is checked at;
- editions.py: which homework part and which year's API a checkout follows.

An implementation is a ``mytorch/`` package tree (harness/sandbox/tree.py): each class is
found in its handout path or wherever the student's year put it. The twins are in
reference/mytorch.py; the bundled correct implementation is student_nn/mytorch.
"""

from __future__ import annotations

from harness.apis.hw6.package import BUNDLED_DIR
from harness.apis.mytorch.editions import EDITIONS
from harness.apis.mytorch.ops import API, MYTORCH_OPS
from harness.core.api import Api
from harness.sandbox.tree import TreeLoader


def _layout() -> dict[str, tuple[str, ...]]:
    """Contract module -> the classes it holds, from the op table."""
    found: dict[str, tuple[str, ...]] = {}
    for op in MYTORCH_OPS.values():
        found[op.module] = tuple(dict.fromkeys((*found.get(op.module, ()), op.cls)))
    return found


LOADER = TreeLoader("mytorch", _layout(), API)
SPEC = Api(API, "CMU 11-785 mytorch (HW1P1, HW2P1)", "mytorch", LOADER.modules,
           BUNDLED_DIR / "mytorch", ("mytorch/nn/linear.py", "mytorch/nn/activation.py",
                                     "mytorch/nn/Conv1d.py", "mytorch/nn/modules/linear.py"),
           LOADER, ops=MYTORCH_OPS, editions=EDITIONS, dtypes=("float64", "float32"))
