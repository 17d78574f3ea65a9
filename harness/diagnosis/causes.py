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
    "created_shape": "parameters created with the wrong shape",
    "caused_by_forward": "caused by a failing forward",
    # Whole models (harness/apis/hw6/model_localize.py): a layer, or the model's own code.
    "caused_by_layer": "caused by a layer that fails on its own",
    "caused_by_optimizer": "caused by an optimiser that fails on its own",
    "model_backward_order": "layers visited in the wrong order in backward",
    "model_layer_skipped": "a layer never called in forward or backward",
    "model_forward_order": "layers called in the wrong order in forward",
    "model_not_chained": "results not passed from layer to layer",
    "model_loss_args_swapped": "loss arguments swapped in backward",
    "model_predict_args_swapped": "arguments swapped in predict",
    "model_loss_in_forward": "loss computed in forward",
    "model_gradients_not_cleared": "gradients not cleared between steps",
    "model_update_before_backward": "update made before backward",
    "model_gradient_shape": "a gradient not of its parameter's shape",
    "model_update_sign": "update adds the step",
    "model_optimizer_state_shared": "one optimiser state for several parameters",
    "model_layer_differs": "a layer differs only inside the model",
    # Optimisers (harness/apis/hw6/optim_diagnose.py).
    "optimizer_bias_correction_missing": "Adam without bias correction",
    "optimizer_bias_correction_step": "bias correction at the wrong step",
    "optimizer_eps_inside_sqrt": "epsilon inside the square root",
    "optimizer_lr_twice": "learning rate applied twice",
    "optimizer_wrong_sign": "step with the wrong sign",
    "optimizer_state_shared": "optimiser state shared between parameters",
    "optimizer_momentum": "momentum wrong",
    "optimizer_clip_missing": "gradient not clipped",
    "optimizer_betas_swapped": "beta1 and beta2 swapped",
    # Weight initialisers (harness/diagnosis/init_stats.py).
    "init_kernel_fans": "wrong fans for a kernel",
    "init_gain": "wrong gain",
    "init_fans_swapped": "fan_in and fan_out swapped",
    "init_fan_rule": "wrong fan in the formula",
    "init_distribution_mixed": "uniform and normal mixed up",
    "init_scale_sqrt": "variance used as the scale",
    # Training parity and the model's code in general.
    "training_separates": "training separates from PyTorch's",
    "model_code": "the bug is in the model's code",
    "student_exception": "exception in the implementation",
    # Right values under another named convention.
    "convention": "matches under another convention",
    # What the returned value shows.
    "input_mutated": "input modified in place",
    "wrong_type": "wrong return type",
    "random_draw": "random draws that do not follow the parameters",
    "wrong_formula": "a recognisable wrong formula (harness/diagnosis/fingerprints.py)",
    # A layer's wrong rule, recomputed and matched (harness/diagnosis/layer_rules.py).
    "maxpool_routing": "max-pool gradient not routed to the maximum",
    "avgpool_count": "average pooling divides by the wrong count",
    "conv_unpadded_input": "gradient computed from the unpadded input",
    "conv_stride_ignored": "stride ignored in a gradient",
    "conv_kernel_rotated": "kernel rotated by 180 degrees (a true convolution)",
    "conv_bias_per_tap": "bias added once per kernel tap",
    "permuted_axes": "axes transposed or permuted",
    "reshape_match": "wrong shape, right values",
    "nan_inf": "NaN or Inf (overflow?)",
    "all_zeros": "all zeros (gradient not stored?)",
    "sign_flip": "sign flipped",
    "upstream_ignored": "upstream gradient dY not applied",
    # A constant factor that changes with m, kh, kw, ... (harness/diagnosis/factors.py)
    "factor_tracks": "off by a factor that follows a parameter",
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


# The codes of whole models, optimizers, initializers and training
# (harness/apis/hw6/model_localize.py, optim_diagnose.py, init_stats.py, model_eval.py);
# tests/model_impls exercises each.
WHOLE_MODEL_CODES: tuple[str, ...] = tuple(
    code for code in CODES if code.startswith(("model_", "optimizer_", "init_", "training_"))
) + ("caused_by_layer", "caused_by_optimizer")


# The codes only a function API's ops give (tests/test_cs231n_api.py exercises each).
FUNCTION_API_CODES: tuple[str, ...] = ("random_draw",)


def rank(causes: list[Cause]) -> list[Cause]:
    """Causes in order of precedence, one per code (the first message of a code wins)."""
    unique: dict[str, Cause] = {}
    for cause in causes:
        unique.setdefault(cause.code, cause)
    return sorted(unique.values(), key=lambda c: list(CODES).index(c.code) if c.code in CODES
                  else len(CODES))
