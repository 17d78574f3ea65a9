"""The mytorch adapter (CMU 11-785 HW1P1, HW2P1 and HW3P1, ``mytorch/``): everything
mytorch-specific.

- ops.py: the op table, each class driven through its methods (`ObjectOp`), SGD and HW3P1's
  classes by their runners (runners.py);
- cases.py, rnn_cases.py: the sizes and inputs each class is checked at;
- editions.py: which homework part and which year's API a checkout follows.

An implementation is a ``mytorch/`` package tree (harness/sandbox/tree.py): each class is
found in its handout path or wherever the student's year put it (HW3P1's CTC.py from Fall
2024 on in ``CTC/``, beside ``mytorch/``). The twins are in reference/mytorch.py and
reference/mytorch_rnn.py (HW3P1); the bundled correct implementation is student_nn/mytorch.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from harness.apis.hw6.package import BUNDLED_DIR
from harness.apis.mytorch.editions import EDITIONS
from harness.apis.mytorch.ops import API, MYTORCH_OPS, PlanOp, uses
from harness.core.api import Api, KindRunner
from harness.sandbox.tree import TreeLoader

if TYPE_CHECKING:   # (the sandboxed child imports this module, and no formula)
    from harness.core.formula import Formula


def _runners() -> Mapping[str, KindRunner]:
    """SGD's runner, and one for each plan of calls: the op table's and each edition's."""
    from harness.apis.mytorch.runners import RUNNERS, plan_runners
    ops = [*MYTORCH_OPS.values(), *(redefine(MYTORCH_OPS[op]) for edition in EDITIONS
                                    for op, redefine in edition.redefines.items())]
    return {**RUNNERS, **plan_runners([op.plan for op in ops if isinstance(op, PlanOp)])}


def _layout() -> dict[str, tuple[str, ...]]:
    """Contract module -> the classes it holds, from the op table."""
    found: dict[str, tuple[str, ...]] = {}
    for op in MYTORCH_OPS.values():
        found[op.module] = tuple(dict.fromkeys((*found.get(op.module, ()), op.cls)))
    return found


def _formulas() -> Mapping[str, tuple[Formula, ...]]:
    """The usual wrong CTC formulas, imported when a diagnosis first needs them (never in the
    sandboxed child: they are answers)."""
    from harness.apis.mytorch.ctc_formulas import CATALOGUE
    return CATALOGUE


# Any real dtype whose values match: the course's tests compare values (np.allclose), its own
# Identity returns float32 ones, and a ReLU derivative of ints or booleans multiplies right.
DTYPES = ("float64", "float32", "float16", "int64", "int32", "int8", "uint8", "bool")
# Where other years keep a module's file: Fall 2022's mytorch/nn/modules/linear.py, HW2P1's
# flat mytorch/Conv1d.py (2023) and mytorch/nn/flatten.py (some checkouts), HW3P1's
# CTC/CTC.py beside the package (Fall 2024 on; mytorch/CTC.py before), and its
# models/rnn_classifier.py (2024 on; rnn_classifier.py beside mytorch/ before).
LOADER = TreeLoader("mytorch", _layout(), API,
                    homes=("nn/modules", "", "nn", "../CTC", "../models", ".."),
                    bundled=BUNDLED_DIR / "mytorch",
                    handouts=Path(__file__).resolve().parent / "handout")
SPEC = Api(API, "CMU 11-785 mytorch (HW1P1, HW2P1, HW3P1)", "mytorch", LOADER.modules,
           BUNDLED_DIR / "mytorch", ("mytorch/nn/linear.py", "mytorch/nn/activation.py",
                                     "mytorch/nn/Conv1d.py", "mytorch/nn/modules/linear.py",
                                     "mytorch/rnn_cell.py"),
           LOADER, ops=MYTORCH_OPS, runners=_runners, editions=EDITIONS, uses=uses,
           dtypes=DTYPES, formulas=_formulas,
           rubric=Path(__file__).resolve().parents[2] / "rubrics" / "mytorch.toml")
