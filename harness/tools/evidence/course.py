"""The course-style baseline: six fixed configurations per op, `numpy.testing.assert_allclose`.

Homework test suites check each op on a handful of hand-picked configurations (small square
kernels, mostly stride 1 and no padding, one seed each) against the staff solution's
outputs, with ``assert_allclose``'s default rtol = 1e-7. Here the expected values come from
the PyTorch twins (the staff solution student_nn passes them all), and every output of the
op (forward, dX, dW, db) is compared, as the homework's own tests do; an exception, a
missing output or a wrong shape fails the test.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from harness.check.checker import Checker
from harness.core.cases import Case
from harness.core.conventions import DEFAULT_PROFILE
from harness.core.registry import OpSpec
from harness.core.twin import reference_outputs
from harness.sandbox.parent import Outage

_ELEMENTWISE = ["shape=2x3", "shape=4x5", "shape=1x10", "shape=8x16", "shape=3x4x4x2",
                "shape=2x5x5x3"]
_POOL = ["n=2,h=4,w=4,c=1,k=2x2,s=2,pad=0", "n=2,h=6,w=6,c=3,k=2x2,s=2,pad=0",
         "n=1,h=5,w=5,c=2,k=3x3,s=1,pad=0", "n=2,h=6,w=6,c=2,k=3x3,s=3,pad=0",
         "n=3,h=4,w=4,c=2,k=2x2,s=1,pad=0", "n=2,h=5,w=5,c=1,k=3x3,s=2,pad=1"]
CONFIGS: dict[str, list[str]] = {
    **{op: _ELEMENTWISE for op in ("linear", "sigmoid", "tanh", "relu")},
    "softmax": ["n=2,classes=3,scale=normal", "n=4,classes=5,scale=normal",
                "n=1,classes=10,scale=normal", "n=8,classes=2,scale=normal",
                "n=3,classes=7,scale=normal", "n=5,classes=4,scale=normal"],
    "fully_connected": ["n=2,n_in=3,n_out=4,act=linear", "n=4,n_in=5,n_out=3,act=relu",
                        "n=3,n_in=6,n_out=2,act=sigmoid", "n=5,n_in=4,n_out=4,act=tanh",
                        "n=2,n_in=3,n_out=5,act=softmax", "n=8,n_in=10,n_out=6,act=relu"],
    "conv2d": ["n=2,h=5,w=5,cin=3,cout=2,k=3x3,s=1,pad=same,act=relu",
               "n=2,h=6,w=6,cin=1,cout=4,k=3x3,s=1,pad=valid,act=linear",
               "n=1,h=7,w=7,cin=2,cout=2,k=5x5,s=1,pad=same,act=tanh",
               "n=2,h=8,w=8,cin=3,cout=3,k=3x3,s=2,pad=1,act=linear",
               "n=3,h=4,w=4,cin=2,cout=3,k=1x1,s=1,pad=valid,act=sigmoid",
               "n=2,h=6,w=6,cin=2,cout=2,k=3x3,s=2,pad=valid,act=relu"],
    "pool2d_max": _POOL,
    "pool2d_average": _POOL,
    "flatten": ["shape=2x3x3x2", "shape=1x4x4x1", "shape=5x2x2x3", "shape=3x1x1x7",
                "shape=2x5x4x3", "shape=4x3x3x3"],
    "cross_entropy": [f"n={n},classes={k},target=onehot"
                      for n, k in ((2, 3), (4, 5), (1, 2), (8, 7), (3, 4), (6, 6))],
    "l2": [f"n={n},classes=1,target=real" for n in (2, 4, 1, 8, 16, 5)],
}


def covers(op: str) -> bool:
    """Whether the baseline has configurations for `op` (HW6's single ops)."""
    return op in CONFIGS


def cases(op: str) -> list[Case]:
    """The six fixed configurations of `op`, seeds 1 to 6."""
    return [Case.from_id(f"{op}/{body},seed={seed}")
            for seed, body in enumerate(CONFIGS[op], 1)]


def raw_outputs(checker: Checker, spec: OpSpec, case: Case
                ) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """What the implementation returns for `case` in its sandbox: (arrays by output, errors
    by output), without nnparity's judging (no tolerance, no conventions)."""
    request = {"cmd": "run", "kind": spec.kind, "module": spec.module, "cls": spec.cls,
               "ctor": spec.ctor(case), "outputs": list(spec.outputs), **spec.request()}
    answer = checker.sandbox_for(spec).run(request, spec.inputs(case))
    if isinstance(answer, Outage):
        return {}, {o: f"{answer.status}: {answer.detail}" for o in spec.outputs}
    header, arrays = answer
    got = {o: arrays[f"out/{o}"] for o in spec.outputs if f"out/{o}" in arrays}
    errors = {o: f"{e['type']}: {e['message']}" for o, e in header["errors"].items()}
    for o in spec.outputs:
        if o not in got and o not in errors:
            errors[o] = f"returned {header['outputs'].get(o, {}).get('type', 'nothing')}"
    return got, errors


def course_test(checker: Checker, spec: OpSpec) -> list[str]:
    """The failures of the course-style tests of one op (empty: all six pass)."""
    failures = []
    for case in cases(spec.name):
        got, errors = raw_outputs(checker, spec, case)
        want = reference_outputs(spec, spec.ctor(case), spec.inputs(case),
                                 DEFAULT_PROFILE.preferred)
        for output in spec.outputs:
            if output in errors:
                failures.append(f"{case.id} {output}: {errors[output]}")
                continue
            try:
                expected = want[output]
                assert isinstance(expected, np.ndarray)   # the course's ops: arrays, no laws
                np.testing.assert_allclose(np.asarray(got[output], dtype=np.float64), expected)
            except AssertionError as exc:
                first = next((line for line in str(exc).splitlines() if line.strip()), "")
                failures.append(f"{case.id} {output}: {first.strip()}")
    return failures


def describe() -> dict[str, Any]:
    """The configurations, for the evidence report."""
    return {op: [c.id for c in cases(op)] for op in CONFIGS}
