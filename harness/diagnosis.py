"""Diagnosis: from a failing verdict to a list of likely causes, most likely first.

Each cause has a stable `code` (for scripts and rubrics) and a plain-English `message`
(for a tired student at 2 a.m.). This module covers what the failure itself shows: the kind
of comparison failure, exceptions and stubs.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.evaluate import Verdict


@dataclass(frozen=True)
class Cause:
    code: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


def _from_error(v: Verdict) -> list[Cause]:
    err = v.error or {}
    if v.status == "timeout":
        return [Cause("timeout", v.message)]
    if err.get("type") == "crashed":
        return [Cause("crashed", v.message)]
    if v.status == "not_implemented":
        return [Cause("not_implemented", v.message)]
    if err.get("stage") == "import":
        return [Cause("import_error", v.message)]
    text = v.message
    if err.get("type") == "AttributeError" and "numpy" in err.get("message", ""):
        return [Cause("old_numpy_api", f"{text}. This NumPy alias was removed in NumPy 1.24/2.0 "
                                       "(np.int -> int, np.float -> float, np.product -> np.prod)")]
    return [Cause("student_exception", text)]


def _from_comparison(v: Verdict) -> list[Cause]:
    cmp = v.comparison
    if cmp is None:
        return []
    kind = cmp.kind
    if kind == "mutated":
        return [Cause("input_mutated", cmp.message)]
    if kind == "type":
        return [Cause("wrong_type", v.message)]
    if kind == "shape":
        code = "reshape_match" if cmp.values_match_after_reshape else "wrong_shape"
        return [Cause(code, cmp.message)]
    if kind == "nonfinite":
        return [Cause("nan_inf", cmp.message)]
    if kind == "match":  # values right, type or dtype wrong
        code = "wrong_dtype" if "dtype" in v.message else "wrong_type"
        return [Cause(code, v.message)]
    return [Cause("value_mismatch", cmp.message)]


def diagnose(v: Verdict) -> list[Cause]:
    """Likely causes of a failing verdict, most likely first (empty for a pass)."""
    if v.passed:
        return []
    if v.error is not None or v.status in ("timeout", "not_implemented"):
        return _from_error(v)
    return _from_comparison(v)
