"""Diagnosis codes: the catalogue of likely causes, each with a stable code and a title.

A `Cause` is one likely cause of a failure: a stable ``code`` (for scripts, rubrics and
tests) and a one-sentence plain-English ``message``. `CODES` lists every code in order of
precedence, most specific and most actionable first, with a short title for summaries;
`rank` sorts a list of causes by that order. Codes are never renamed: add new ones.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cause:
    code: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


CODES: dict[str, str] = {
    # The implementation could not run the case at all.
    "timeout": "time limit exceeded",
    "crashed": "the process died",
    "import_error": "the module does not import",
    "not_implemented": "not implemented yet",
    "old_numpy_api": "uses a removed NumPy alias",
    "caused_by_activation": "caused by a failing activation",
    "caused_by_forward": "caused by a failing forward",
    "student_exception": "exception in the implementation",
    # Right values under another named convention.
    "convention": "matches under another convention",
    # What the returned value shows.
    "input_mutated": "input modified in place",
    "wrong_type": "wrong return type",
    "permuted_axes": "axes transposed or permuted",
    "reshape_match": "wrong shape, right values",
    "nan_inf": "NaN or Inf (overflow?)",
    "all_zeros": "all zeros (gradient not stored?)",
    "sign_flip": "sign flipped",
    "upstream_ignored": "upstream gradient dY not applied",
    "scale_factor": "off by a constant factor",
    "flipped_axes": "reversed along an axis",
    "shift_by_one": "shifted by one",
    "bias_offset": "off by a constant per unit (bias)",
    "border_only": "wrong only at the border (padding)",
    "stride_periodic": "wrong with the stride's period",
    # What rerunning the case with one factor changed shows (ablation).
    "activation_use": "wrong only with a nonlinear activation",
    "kernel_axes": "wrong only with a non-square kernel",
    "stride": "wrong only with stride > 1",
    "padding": "wrong only with (or without) padding",
    "channel_axis": "wrong only with several channels",
    "batch_axis": "wrong only with batch > 1",
    "large_inputs": "wrong only with large inputs",
    # Fallbacks.
    "wrong_shape": "wrong shape",
    "wrong_dtype": "wrong dtype",
    "value_mismatch": "wrong values",
}


def rank(causes: list[Cause]) -> list[Cause]:
    """Causes in order of precedence, one per code (the first message of a code wins)."""
    unique: dict[str, Cause] = {}
    for cause in causes:
        unique.setdefault(cause.code, cause)
    return sorted(unique.values(), key=lambda c: list(CODES).index(c.code) if c.code in CODES
                  else len(CODES))
