"""Diagnosis: from a failing verdict to a list of likely causes, most likely first.

Each cause has a stable `code` (for scripts and rubrics; the catalogue is
`harness.diagnosis.causes.CODES`) and a plain-English `message` (for a tired student at 2 a.m.).
This module covers what one verdict shows: exceptions and stubs, the kind of comparison failure,
the formula or layer rule that reproduces the wrong values (`harness.diagnosis.fingerprints`,
`harness.diagnosis.layer_rules`) and the patterns in them (`harness.diagnosis.patterns`). Rerunning
variants of the case (shrinking, ablation, checking a rule on more cases) is
`harness.check.investigate`'s job.
"""

from __future__ import annotations

import re
from typing import Any

from harness.core.registry import get_op, judge_of
from harness.core.verdict import Verdict
from harness.diagnosis.causes import Cause, rank
from harness.diagnosis.fingerprints import catalogue, fingerprint
from harness.diagnosis.layer_rules import explain, rules
from harness.diagnosis.patterns import detect

__all__ = ["Cause", "diagnose"]

# A method nnparity called that the class lacks (raised where nnparity called it, so no
# frame of the student's files is in the traceback).
NO_ATTRIBUTE = re.compile(r"'(\w+)' object has no attribute '(\w+)'")
ABSTRACT = re.compile(r"Can't instantiate abstract class (\w+) with(?:out an implementation "
                      r"for)? abstract methods? '?(\w+)")


def missing_method(err: dict[str, Any] | None) -> tuple[str, str] | None:
    """(class, method) when an exception says nnparity called a method its class lacks
    ('NeuralNetwork' object has no attribute 'update'; an abstract method never written),
    raised where nnparity called it rather than in the student's files; else None."""
    err = err or {}
    if err.get("file") or "File " in str(err.get("traceback") or ""):
        return None
    text = str(err.get("message") or "")
    found = NO_ATTRIBUTE.search(text) or ABSTRACT.search(text)
    return (found[1], found[2]) if found else None


def missing_method_message(cls: str, method: str) -> str:
    return (f"{cls}.{method} does not exist: write it; nothing that calls it can run until "
            "it does")


NAN_HINT = ("; look for an overflow (exp of a large number: subtract the row maximum first), "
            "a log of 0 or a division by zero")


def _from_error(v: Verdict) -> list[Cause]:
    err: dict[str, Any] = v.error or {}   # the child's description, read as it is sent
    if v.status == "timeout":
        return [Cause("timeout", v.message)]
    if err.get("type") == "crashed":
        return [Cause("crashed", v.message)]
    if v.status == "not_implemented":
        return [Cause("not_implemented", v.message)]
    if err.get("stage") == "import":
        return [Cause("import_error", v.message)]
    missing = missing_method(err)
    if missing is not None:   # named before what follows from it (a gradient's shape, say)
        return [Cause("not_implemented", f"{missing_method_message(*missing)} ({v.message})")]
    text = v.message
    if err.get("type") == "AttributeError" and "numpy" in err.get("message", ""):
        return [Cause("old_numpy_api", f"{text}. This NumPy alias was removed in NumPy 1.24/2.0 "
                                       "(np.int -> int, np.float -> float, np.product -> np.prod)")]
    return [Cause("student_exception", text)]


def _patterns(v: Verdict) -> list[Cause]:
    if v.got is None or v.expected is None or judge_of(get_op(v.op)) is not None:
        return []  # whole models etc. are diagnosed while judged (harness/apis/hw6/model_eval.py)
    found = []
    spec = get_op(v.op)
    math = spec.twin or v.op   # an adapter's op: the catalogue of the op it maps to
    if math in catalogue():  # the formula the student computed, when it is a known wrong one
        inputs = spec.inputs(v.case)
        if spec.given is not None and v.output == "forward":  # e.g. the units dropout kept
            inputs = {**inputs, **spec.given({"forward": v.got}, inputs)}
        found = fingerprint(math, v.output, inputs, v.got, v.expected)
    if v.op in rules():  # the layer's rule, when it is a known wrong one
        found = explain(get_op(v.op), v.output, [(v.case, v.got, v.expected)])
    return [*found, *detect(get_op(v.op), v.case, v.output, v.got, v.expected)]


def _from_comparison(v: Verdict) -> list[Cause]:
    cmp = v.comparison
    if cmp is None:
        return []
    kind = cmp.kind
    if kind == "mutated":
        return [Cause("input_mutated", cmp.message)]
    if kind == "created":  # the parameters _init_parameters made: found while judging
        return []
    if kind == "type":
        return [Cause("wrong_type", v.message)]
    if kind == "dtype":   # the values match, not as float64
        return [Cause("wrong_dtype", v.message)]
    if kind == "shape":
        code = "reshape_match" if cmp.values_match_after_reshape else "wrong_shape"
        return [*_patterns(v), Cause(code, cmp.message)]
    if kind == "nonfinite":
        return [Cause("nan_inf", cmp.message + NAN_HINT)]
    return [*_patterns(v), Cause("value_mismatch", cmp.message)]


def diagnose(v: Verdict) -> list[Cause]:
    """Likely causes of a failing verdict, most likely first (empty for a pass)."""
    if v.passed:
        return []
    found = list(getattr(v, "causes", []))  # what judging found (whole models: localization)
    if v.error is not None or v.status in ("timeout", "not_implemented"):
        return rank(found + _from_error(v))
    return rank(found + _from_comparison(v))
