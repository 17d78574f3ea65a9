"""Does the top diagnosis name what a mutant changed? The table from operator to codes.

A mutation operator changes one kind of thing, and only some diagnoses describe that kind of
change: a dropped ``keepdims`` or a changed ``axis`` is a batch or channel axis problem (or
a wrong shape), a changed constant a scale, an offset, a shift, padding or stride... A code
that describes what the output shows whatever the bug (NaN, a wrong shape, an input modified
in place, a wrong dtype) is always right. An exception is right when it is raised inside
the mutated function or its traceback passes through it (the student sees the mutated
line). ``value_mismatch`` (wrong values, nothing more) is never right.
"""

from __future__ import annotations

from typing import Any

from harness.tools.evidence.mutants import Mutant

GEOMETRY = {"shift_by_one", "border_only", "padding", "stride", "stride_periodic",
            "kernel_axes", "convention", "conv_unpadded_input", "conv_stride_ignored"}
# The layer rules (harness/diagnosis/layer_rules.py): a recognised wrong rule of a layer's
# arithmetic.
LAYER_RULES = {"maxpool_routing", "avgpool_count", "conv_unpadded_input",
               "conv_stride_ignored", "conv_bias_per_tap"}
SCALE = {"scale_factor", "factor_tracks"}
ACCEPT: dict[str, set[str]] = {
    "constant": {"bias_offset", "sign_flip", "wrong_formula", "large_inputs", "all_zeros",
                 "channel_axis", "batch_axis", *SCALE, *GEOMETRY, *LAYER_RULES},
    "arith": {"wrong_formula", "sign_flip", "bias_offset", "upstream_ignored", "large_inputs",
              "activation_use", "all_zeros", *SCALE, *GEOMETRY, *LAYER_RULES},
    "compare": {"wrong_formula", "sign_flip", "large_inputs", "all_zeros", "bias_offset",
                *SCALE, *GEOMETRY, *LAYER_RULES},
    "axis": {"batch_axis", "channel_axis", "permuted_axes", "wrong_formula", "bias_offset",
             *SCALE},
    "keepdims": {"batch_axis", "channel_axis", "permuted_axes", "wrong_formula"},
    "slice": {"flipped_axes", "all_zeros", "permuted_axes", "channel_axis", "batch_axis",
              *GEOMETRY, *LAYER_RULES},
    "transpose": {"permuted_axes", "flipped_axes", "channel_axis", "kernel_axes", "batch_axis"},
    "drop_term": {"bias_offset", "upstream_ignored", "wrong_formula", "activation_use",
                  "all_zeros", "sign_flip", "large_inputs", "batch_axis", "border_only",
                  "padding", *SCALE, *LAYER_RULES},
}
FACTS = {"input_mutated", "wrong_type", "wrong_dtype", "nan_inf", "wrong_shape",
         "reshape_match", "timeout", "crashed"}
RAISED = {"student_exception", "old_numpy_api", "not_implemented", "import_error"}


def _in_function(mutant: Mutant, top: dict[str, Any]) -> bool:
    """Whether the exception was raised in the mutated function, or passed through it (a
    frame of its traceback, which shows the student that line, is in it)."""
    places = [(top.get("file"), top.get("line"))]
    places += [(f.get("file"), f.get("line")) for f in top.get("frames") or []]
    return any(str(file or "").endswith(f"/{mutant.module}.py") and isinstance(line, int)
               and mutant.first_line <= line <= mutant.last_line for file, line in places)


def diagnosis_matches(mutant: Mutant, top: dict[str, Any]) -> bool:
    """Whether the fix list's first root cause `top` describes `mutant`'s change."""
    code = str(top.get("code") or "")
    if code in RAISED:
        return _in_function(mutant, top)
    return code in FACTS or code in ACCEPT.get(mutant.operator, set())


def location_matches(mutant: Mutant, top: dict[str, Any]) -> bool:
    """Whether `top` names the mutated function's file and function (or a line in it). A
    method may be named with what it computes: 'GRUCell.backward (dx, value 1 of 2)' (an op
    driven by a plan of calls, mytorch's HW3P1) names GRUCell.backward."""
    if _in_function(mutant, top):
        return True
    file = str(top.get("file") or "")
    function = str(top.get("function") or "").split(" (")[0]
    return file.endswith(f"/{mutant.module}.py") and function == mutant.function
