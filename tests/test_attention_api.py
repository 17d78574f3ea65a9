"""The attention API (--api attention, attention.py): the twins against torch's two
attentions, the cases and their masks, the wrong formulas, the bundled implementation, the
buggy copies of it made from BUGS and what their reports say, detection, and an adapter
mapping a library's class to attention:scaled_dot_product.

Each buggy folder is made at test time (_buggy) from student_nn/attention/attention.py with
one bug, BUGS' exact replacements: it must fail exactly the (op, output) items named here, the
top diagnosis of its forward items must name the bug, and the fix list must open
attention.py's forward."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from edits import edited
from formula_models import (
    assert_right_outputs_are_not_named,
    assert_right_way_is_the_twin,
    catalogue_cases,
    recognitions,
)

from harness.apis.attention import ATTENTION_OPS, MHA_ARGS, MHA_GRADS, lengths
from harness.apis.attention.formulas import CATALOGUE, OUTPUTS, RIGHT_WAY
from harness.apis.known import ATTENTION, CS231N, HW6, detect_api
from harness.cli import main
from harness.core.registry import get_op
from harness.reports.view import format_array

HERE = Path(__file__).parent
BUNDLED = HERE.parent / "student_nn" / "attention"
ADAPTER = HERE / "adapter_impls" / "attention_layer" / "attention_layer.toml"
CASES = 10
SDPA, MHA = "attention:scaled_dot_product", "attention:multihead"
SDPA_OUT = ("forward", "dq", "dk", "dv")
MHA_OUT = ("forward", *MHA_GRADS)
# while each query's weights still sum to 1 over the keys, dbk (0) and dbv do not change
NORMALISED = tuple(o for o in MHA_OUT if o not in ("dbk", "dbv", "dbo"))

# bug -> its edits of student_nn/attention/attention.py, (old text, new text) each, applied
# in order by _buggy; each old text occurs exactly once.
BUGS: dict[str, tuple[tuple[str, str], ...]] = {
    # The heads are split as reshape(N, T, d, heads) (and merged back so).
    "heads_split_wrong": (
        ("num_heads, e // num_heads).transpose(0, 2, 1, 3)",
         "e // num_heads, num_heads).transpose(0, 3, 1, 2)"),
        ("x.transpose(0, 2, 1, 3)", "x.transpose(0, 2, 3, 1)")),
    # The mask zeroes the weights after the softmax, which are not renormalised.
    "mask_after_softmax": (
        ("np.where(mask, q @ np.swapaxes(k, -1, -2) * scale, -np.inf)\n"
         "    weights = softmax(scores)",
         "q @ np.swapaxes(k, -1, -2) * scale\n"
         "    weights = softmax(scores) * mask"),),
    # The mask is ignored.
    "mask_ignored": (
        ("np.where(mask, q @ np.swapaxes(k, -1, -2) * scale, -np.inf)",
         "q @ np.swapaxes(k, -1, -2) * scale"),),
    # The output projection's bias bo is left out.
    "no_output_bias": ((" + bo", ""),),
    # The scores are not scaled at all.
    "not_scaled": (("1 / np.sqrt(q.shape[-1])", "1.0"),),
    # The scores are divided by d instead of √d.
    "scale_by_d": (("np.sqrt(q.shape[-1])", "q.shape[-1]"),),
    # The softmax (and its backward) runs over the queries, axis -2.
    "softmax_over_queries": (
        ("weights = softmax(scores)", "weights = softmax(scores, axis=-2)"),
        ("sum(axis=-1", "sum(axis=-2")),
}

# folder -> ({(op, output) that fails}, words of the forward items' top diagnosis)
EXPECTED: dict[str, tuple[set[tuple[str, str]], str]] = {
    "scale_by_d": ({(SDPA, o) for o in SDPA_OUT} | {(MHA, o) for o in NORMALISED},
                   "the scores are divided by d, not √d"),
    "not_scaled": ({(SDPA, o) for o in SDPA_OUT} | {(MHA, o) for o in NORMALISED},
                   "the scores are not scaled"),
    "softmax_over_queries": ({(SDPA, o) for o in SDPA_OUT}
                             | {(MHA, o) for o in MHA_OUT if o != "dbo"},
                             "the softmax runs over the wrong axis"),
    "mask_after_softmax": ({(SDPA, o) for o in SDPA_OUT}
                           | {(MHA, o) for o in MHA_OUT if o != "dbo"},
                           "the mask is applied after the softmax"),
    "mask_ignored": ({(SDPA, o) for o in SDPA_OUT} | {(MHA, o) for o in NORMALISED},
                     "the mask is ignored"),
    "heads_split_wrong": ({(MHA, o) for o in NORMALISED}, "the heads are split the wrong way"),
    "no_output_bias": ({(MHA, "forward")}, "the output projection's bias is missing"),
}


def _edited(name: str, edits: tuple[tuple[str, str], ...], tmp_path: Path) -> Path:
    """tmp_path/<name>/attention.py: the bundled attention.py with `edits` applied."""
    folder = tmp_path / name
    folder.mkdir()
    (folder / "attention.py").write_text(edited((BUNDLED / "attention.py").read_text(), edits,
                                                name))
    return folder


def _buggy(bug: str, tmp_path: Path) -> Path:
    return _edited(bug, BUGS[bug], tmp_path)


def _report(impl: Path | None, tmp_path: Path, *args: str) -> tuple[int, dict]:
    out = tmp_path / "report.json"
    argv = ["check", "--cases", str(CASES), "--report", str(tmp_path / "r"), "--json", str(out)]
    code = main([*argv, *(["--impl", str(impl)] if impl else []), *args])
    return code, json.loads(out.read_text())


def test_num_heads_reaches_the_function_as_an_int(tmp_path: Path) -> None:
    head = "    the heads' outputs, side by side, are projected by Wo, bo.\"\"\"\n"
    folder = _edited("strict", ((head, head + "    assert type(num_heads) is int\n"),),
                     tmp_path)
    code, report = _report(folder, tmp_path, "--api", "attention", "--ops", "multihead")
    assert code == 0, _failing(report)


def _failing(report: dict) -> dict[tuple[str, str], dict]:
    return {(r["op"], r["output"]): r for r in report["results"] if r["status"] != "pass"}


def _inputs(rng: np.random.Generator, n: int, tq: int, tk: int, e: int) -> dict:
    """Attention's arrays at sizes given, with a mask that pads every sample's last key."""
    mask = np.ones((n, tq, tk), dtype=bool)
    mask[:, :, -1] = tk == 1
    return {"q": rng.standard_normal((n, tq, e)), "k": rng.standard_normal((n, tk, e)),
            "v": rng.standard_normal((n, tk, e)), "mask": mask,
            "dout": rng.standard_normal((n, tq, e))}


# ---------------------------------------------------------------- the twins against torch's
@pytest.mark.parametrize("masked", [False, True])
def test_the_twin_is_torchs_scaled_dot_product_attention(masked: bool) -> None:
    """F.scaled_dot_product_attention takes a boolean attn_mask with True = may attend, as the
    contract does: the same output and the same autograd gradients."""
    import torch
    import torch.nn.functional as F

    from reference import attention as twin

    x = _inputs(np.random.default_rng(0), 2, 3, 4, 5)
    if not masked:
        x["mask"][:] = True
    out, cache = twin.scaled_dot_product_attention_forward(x["q"], x["k"], x["v"], x["mask"])
    grads = twin.scaled_dot_product_attention_backward(x["dout"], cache)
    leaves = [torch.tensor(x[n], requires_grad=True) for n in "qkv"]
    want = F.scaled_dot_product_attention(*leaves, attn_mask=torch.from_numpy(x["mask"]))
    want.backward(torch.from_numpy(x["dout"]))
    np.testing.assert_allclose(out, want.detach().numpy(), rtol=1e-12, atol=1e-14)
    for mine, leaf in zip(grads, leaves, strict=True):
        np.testing.assert_allclose(mine, leaf.grad.numpy(), rtol=1e-10, atol=1e-13)


def test_the_twin_is_torchs_multihead_attention_with_the_weights_rearranged() -> None:
    """nn.MultiheadAttention(E, heads, batch_first=True) is the contract with in_proj_weight
    = [Wqᵀ; Wkᵀ; Wvᵀ] (3E, E) applied as x·Wᵀ, in_proj_bias = [bq; bk; bv], out_proj = (Woᵀ,
    bo), and attn_mask = ~mask (True = NOT allowed) repeated for each head (N·heads, Tq, Tk):
    the same output and the same gradients of the inputs and of every weight."""
    import torch

    from reference import attention as twin

    rng = np.random.default_rng(1)
    n, tq, tk, heads, e = 2, 3, 4, 2, 6
    x = {"query": rng.standard_normal((n, tq, e)), "key": rng.standard_normal((n, tk, e)),
         "value": rng.standard_normal((n, tk, e)), "dout": rng.standard_normal((n, tq, e)),
         **{f"{p}{w}": rng.standard_normal((e, e) if p == "W" else (e,)) / 2
            for w in "qkvo" for p in "Wb"},
         "mask": _inputs(rng, n, tq, tk, 1)["mask"], "num_heads": np.array(heads)}
    out, cache = twin.multihead_attention_forward(*(x[a] for a in MHA_ARGS))
    grads = dict(zip(MHA_GRADS, twin.multihead_attention_backward(x["dout"], cache),
                     strict=True))
    mha = torch.nn.MultiheadAttention(e, heads, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.from_numpy(np.concatenate([x[f"W{w}"].T for w in "qkv"])))
        mha.in_proj_bias.copy_(torch.from_numpy(np.concatenate([x[f"b{w}"] for w in "qkv"])))
        mha.out_proj.weight.copy_(torch.from_numpy(x["Wo"].T))
        mha.out_proj.bias.copy_(torch.from_numpy(x["bo"]))
    inputs = [torch.tensor(x[name], requires_grad=True) for name in ("query", "key", "value")]
    not_allowed = torch.from_numpy(~x["mask"]).repeat_interleave(heads, dim=0)
    want, _ = mha(*inputs, attn_mask=not_allowed, need_weights=False)
    want.backward(torch.from_numpy(x["dout"]))
    np.testing.assert_allclose(out, want.detach().numpy(), rtol=1e-10, atol=1e-13)
    in_w, in_b = mha.in_proj_weight.grad.numpy(), mha.in_proj_bias.grad.numpy()
    torch_grads = {"dquery": inputs[0].grad, "dkey": inputs[1].grad, "dvalue": inputs[2].grad,
                   "dWo": mha.out_proj.weight.grad.T, "dbo": mha.out_proj.bias.grad,
                   **{f"dW{w}": in_w[i * e:(i + 1) * e].T for i, w in enumerate("qkv")},
                   **{f"db{w}": in_b[i * e:(i + 1) * e] for i, w in enumerate("qkv")}}
    for name, theirs in torch_grads.items():
        np.testing.assert_allclose(grads[name], np.asarray(theirs), rtol=1e-9, atol=1e-12,
                                   err_msg=name)


@pytest.mark.parametrize("op", sorted(OUTPUTS))
def test_the_formulas_catalogues_right_way_is_the_twin(op: str) -> None:
    assert_right_way_is_the_twin(op, OUTPUTS[op], RIGHT_WAY, cases=12)


# ---------------------------------------------------------------- the ops and their cases
def test_the_ops_calls_and_axes() -> None:
    sdpa, mha = get_op(SDPA), get_op(MHA)
    assert ATTENTION.ops is ATTENTION_OPS and sdpa.module == mha.module == "attention"
    assert sdpa.outputs == SDPA_OUT and mha.outputs == MHA_OUT
    assert sdpa.function("forward") == "scaled_dot_product_attention_forward"
    assert sdpa.call_of("dk") == "scaled_dot_product_attention_backward (dk, value 2 of 3)"
    assert mha.call_of("dWo") == "multihead_attention_backward (dWo, value 10 of 11)"
    assert mha.calls.args == MHA_ARGS and MHA_ARGS[-2:] == ("mask", "num_heads")
    assert sdpa.axes("dk", 3) == ("n", "tk", "d") and mha.axes("dWq", 2) == ("in", "hd")


@pytest.mark.parametrize("op", [SDPA, MHA])
def test_cases_cover_the_masks_and_the_sizes_of_one(op: str) -> None:
    """Every mask kind; N, Tq, Tk and d of 1; no row of a mask without a key (outside the
    contract); causal masks lower triangular, padding ones a per-sample length of keys (sample
    0 padded whenever Tk > 1); no score beyond 3 (no softmax saturates)."""
    spec = get_op(op)
    cases = list(spec.cases(50, seed=0))
    assert {case.p["mask"] for case in cases} == {"none", "causal", "padding"}
    for key in ("n", "d"):
        assert any(case.p[key] == 1 for case in cases) and any(case.p[key] > 1 for case in cases)
    assert any(lengths(case.p) == (1, 1) for case in cases)
    for case in cases:
        x = spec.inputs(case)
        mask, (tq, tk) = x["mask"], lengths(case.p)
        assert mask.dtype == bool and mask.shape == (case.p["n"], tq, tk)
        assert mask.any(axis=-1).all()
        if case.p["mask"] == "causal":
            assert tq == tk and (mask == np.tril(np.ones((tq, tk), dtype=bool))).all()
        if case.p["mask"] == "padding":
            kept = mask[:, 0, :].sum(axis=-1)
            assert (mask == (np.arange(tk) < kept[:, None])[:, None, :]).all()
            assert tk == 1 or kept[0] < tk
        if case.p["mask"] == "none":
            assert mask.all()
        if op == MHA:
            assert x["num_heads"].shape == () and x["num_heads"].dtype.kind == "i"
            assert x["Wq"].shape == (x["query"].shape[-1],) * 2
        assert spec.family.informative(case.p, x)


def test_shrinking_goes_to_no_mask_and_keeps_a_causal_case_square() -> None:
    spec = get_op(SDPA)
    valid = spec.family.valid
    assert spec.family.shrink[:2] == ("scale", "mask")
    assert spec.family.simplest == {"scale": "normal", "mask": "none"}
    assert not valid({"mask": "none", "n": 1, "t": 2, "d": 2, "dv": 1, "scale": "mixed"})
    assert valid({"mask": "none", "n": 1, "t": 2, "d": 1, "dv": 1})   # a causal case's t
    assert not valid({"mask": "causal", "n": 1, "tq": 2, "tk": 3, "d": 1, "dv": 1})
    assert not valid({"mask": "sliding", "n": 1, "t": 2, "d": 1, "dv": 1})


@pytest.mark.parametrize("op", sorted(CATALOGUE))
def test_every_attention_formula_is_recognised_as_itself(op: str) -> None:
    cases = catalogue_cases(op, 16, seed=3)
    for formula in CATALOGUE[op]:
        _, named = recognitions(op, formula, cases)
        assert named >= 4, f"{formula.output}: {formula.computes} is named on too few cases"
    assert_right_outputs_are_not_named(op, cases, {f.output for f in CATALOGUE[op]})


def test_the_catalogue_names_every_usual_mistake() -> None:
    said = {f.wrong.split(":")[0] for formulas in CATALOGUE.values() for f in formulas}
    assert said == {"the scores are divided by d, not √d", "the scores are not scaled",
                    "each head's scores are divided by √E, the model's width",
                    "the softmax runs over the wrong axis", "the mask is applied after the softmax",
                    "the mask is ignored", "the heads are split the wrong way",
                    "the output projection's bias is missing"}


# ---------------------------------------------------------------- check, end to end
def test_the_bundled_implementation_passes_every_output(tmp_path) -> None:
    code, report = _report(None, tmp_path, "--api", "attention")
    assert code == 0 and report["api"] == "attention"
    assert {(r["op"], r["output"]) for r in report["results"]} == {
        (op, o) for op in (SDPA, MHA) for o in get_op(op).outputs}
    assert all(r["status"] == "pass" for r in report["results"])


def test_every_expected_folder_exists(tmp_path) -> None:
    for bug in BUGS:
        _buggy(bug, tmp_path)
    assert {p.name for p in tmp_path.iterdir() if p.is_dir()} == set(EXPECTED)


@pytest.mark.parametrize("folder", sorted(EXPECTED))
def test_bug_fails_exactly_where_expected_and_is_named(folder: str, tmp_path) -> None:
    expected, words = EXPECTED[folder]
    code, report = _report(_buggy(folder, tmp_path), tmp_path)   # the API from the files
    assert report["api"] == "attention"
    failing = _failing(report)
    assert set(failing) == expected, sorted(failing)
    assert code == 1
    for (op, output), item in failing.items():
        assert item["status"] == "fail"
        top = item["finding"]["diagnosis"][0]
        if output == "forward":
            assert top["code"] == "wrong_formula" and words in top["message"], (op, top)
        else:   # the forward's bug, or the same formula in the gradient
            assert top["code"] in ("caused_by_forward", "wrong_formula"), (op, output, top)
    named = [e for e in report["fix_list"] if words in e["message"]]
    assert {e["open"] for e in named} == {
        f"{folder}/attention.py · {get_op(op).calls.forward}" for op in {op for op, _ in expected}}
    where = failing[min(key for key in expected if key[1] == "forward")]["finding"]["message"]
    assert "worst at n=" in where and " tq=" in where   # the query step of the worst element


def test_repro_of_a_causal_case_shrinks_it(capsys, tmp_path) -> None:
    case_id = next(get_op(SDPA).cases(1)).id
    assert "mask=causal" in case_id
    code = main(["repro", case_id, "--impl", str(_buggy("mask_ignored", tmp_path))])
    out = capsys.readouterr().out
    assert code == 1
    assert "likely bug [wrong_formula]" in out and "the mask is ignored" in out
    assert f"smallest failing case: {SDPA}/mask=causal,n=1,t=2,d=1,dv=1" in out


# ---------------------------------------------------------------- detection
def test_attention_py_and_its_folders_are_detected(tmp_path) -> None:
    folder = tmp_path / "hw" / "attention"
    shutil.copytree(BUNDLED, folder)
    assert detect_api(folder / "attention.py") is ATTENTION
    assert detect_api(folder) is ATTENTION
    assert detect_api(folder.parent) is ATTENTION   # a folder holding attention/attention.py
    assert ATTENTION.loader.locate(folder.parent) == folder
    assert detect_api(tmp_path / "hw" / "attention" / "__init__.py") is HW6   # not its file
    (folder / "layers.py").write_text("def affine_forward(x, w, b):\n    return x @ w + b, 0\n")
    assert detect_api(folder) is CS231N   # CS231n's layers.py beside it wins
    empty = tmp_path / "empty"
    empty.mkdir()
    assert detect_api(empty) is HW6


# ---------------------------------------------------------------- an adapter's class
def test_an_adapter_maps_a_class_to_scaled_dot_product_attention(tmp_path) -> None:
    """Attention.forward(q, k, v, mask) and .backward(dout) -> dq, with dk, dv in attributes,
    through an adapter file (twin = "attention:scaled_dot_product"); a copy that divides the
    scores by d is named by the twin's catalogue."""
    library = ADAPTER.parent
    args = ("--api", str(ADAPTER))
    code, report = _report(library, tmp_path / "right", *args)
    assert code == 0
    assert {(r["op"], r["output"]) for r in report["results"]} == {
        ("attention_layer:attention", o) for o in SDPA_OUT}
    buggy = tmp_path / "lib"
    shutil.copytree(library, buggy)
    layers = buggy / "nn" / "layers.py"
    right = "        scale = 1.0 / np.sqrt(q.shape[-1])\n"
    assert layers.read_text().count(right) == 1
    layers.write_text(layers.read_text().replace(right, "        scale = 1.0 / q.shape[-1]\n"))
    code, report = _report(buggy, tmp_path / "wrong", *args)
    assert code == 1
    failing = _failing(report)
    assert set(failing) == {("attention_layer:attention", o) for o in SDPA_OUT}
    top = failing[("attention_layer:attention", "forward")]["finding"]["diagnosis"][0]
    assert top["code"] == "wrong_formula" and "divided by d, not √d" in top["message"]
    opens = {e["open"] for e in report["fix_list"]}
    assert opens == {"nn/layers.py · Attention.forward"}


def test_a_mask_and_num_heads_print_as_what_they_are() -> None:
    # a repro's inputs: booleans and integers as such, numbers to 4 decimals
    assert format_array([[True, False]]) == "[[ True False]]"
    assert format_array(2) == "2"
    assert format_array([0.123456]) == "[0.1235]"


def test_a_softmax_without_its_max_shift_fails_the_shifted_cases(tmp_path: Path) -> None:
    # exp(scores) unshifted: the same values on scores within 3, NaN once a sample's scores
    # are all 800 higher (what no softmax changes but exp overflows on)
    shifted = "np.exp(scores - scores.max(axis=axis, keepdims=True))"
    folder = _edited("unshifted", ((shifted, "np.exp(scores)"),), tmp_path)
    _, report = _report(folder, tmp_path, "--api", "attention", "--ops", "scaled_dot_product")
    failing = _failing(report)
    assert ("attention:scaled_dot_product", "forward") in failing
    for item in failing.values():
        assert all("scale=mixed" in case for case in item["failed_cases"])
    # a correct implementation passes every shifted case
    _, right = _report(None, tmp_path / "right", "--api", "attention", "--ops",
                       "scaled_dot_product", "--cases", "200")
    assert not _failing(right)
