"""The expected outputs of a case: what the op's PyTorch twin computes on its inputs.

`reference_outputs` runs the twin through the same driver as the student's code
(`harness.core.driver`); `cached_reference` keeps a seeded case's outputs in memory and on
disk (harness/core/refcache.py), as grading reuses the same cases for every submission.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

import reference
from harness.core import refcache
from harness.core.cases import Case, Kwargs
from harness.core.conventions import Conventions
from harness.core.driver import run_op
from harness.core.opspec import OpSpec
from harness.core.registry import get_api, get_op, judge_of
from reference.laws import Law

# An output's expected value: an array, or an initialiser's law (what its draws must follow).
Expected = dict[str, np.ndarray | Law]


def reference_outputs(spec: OpSpec, ctor: Kwargs, inputs: dict[str, np.ndarray],
                      conventions: Conventions, partial: bool = False) -> Expected:
    """The PyTorch twin's outputs; a failure here is nnparity's bug, so it raises.

    With `partial`, the outputs it could compute (diagnosis recomputes a case under another
    convention, whose output shape dY may not fit).
    """
    judge = judge_of(spec)
    if judge is not None:  # a kind its API judges (HW6's whole models, optimisers, ...)
        return judge.reference_outputs(spec, ctor, inputs, conventions)
    if spec.twin is not None:  # an adapter's op: the op it maps to computes the expected
        found = reference_outputs(get_op(spec.twin), spec.twin_ctor(ctor, conventions),
                                  inputs, conventions, partial)
        return {k: v for k, v in found.items() if k in spec.outputs}
    with reference.one_torch_thread():   # tiny tensors: torch's thread pool costs ~10×
        run = run_op(spec.kind, spec.twin_target(), spec.twin_ctor(ctor, conventions),
                     {k: v.copy() for k, v in inputs.items()}, spec.outputs, **spec.how())
    for _, exc in run.errors.values():
        if isinstance(exc, KeyboardInterrupt):  # the driver keeps what student code raises;
            raise exc                            # here, in our own process, Ctrl-C must stop
    if run.errors and not partial:
        name, (stage, exc) = next(iter(run.errors.items()))
        raise RuntimeError(f"reference {spec.name} failed in {stage} for {name}") from exc
    return {k: np.asarray(v, dtype=np.float64) for k, v in run.outputs.items()}


# Large enough for every case of a rubric with its convention alternatives: grading reuses the
# same cases for every submission (an LRU cache smaller than one cycle would always miss).
@lru_cache(maxsize=8192)
def cached_reference(op: str, case: Case, conventions: Conventions, edition: str = ""
                     ) -> Expected:
    """The twin's outputs for a seeded case: from this process's memory, else from the
    on-disk cache (harness/core/refcache.py), else computed (and stored there). `edition`:
    the year that redefines the op (`Edition.redefines`: mytorch 2022–23's activations),
    whose twin it is then."""
    spec = get_op(op)
    if edition:
        year = next(e for e in get_api(spec.api).editions if e.name == edition)
        spec = year.redefines[op](spec)
    key = f"{op}@{edition}" if edition else op
    on_disk = not get_api(spec.api).adapter   # a user adapter's twins are not cached
    if on_disk:
        found = refcache.load(key, case.id, conventions)
        if found is not None:
            return found
    value = reference_outputs(spec, spec.ctor(case), spec.inputs(case), conventions)
    if on_disk:
        refcache.store(key, case.id, conventions, value)
    return value
