"""The CS231n API end to end: cases, the sandboxed child, the twins, verdicts, diagnoses.

Each buggy folder under tests/cs231n_impls must fail exactly the (op, output) items its
README names, with the diagnosis named here where there is one;
the bundled student_nn.cs231n and the flat layout pass everything."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.apis.known import CS231N, HW6, detect_api
from harness.check.checker import Checker
from harness.cli import main
from harness.core.registry import get_op, select_ops
from harness.diagnosis.causes import FUNCTION_API_CODES

HERE = Path(__file__).parent
IMPLS = HERE / "cs231n_impls"
CASES = 8
CHECKED = select_ops(None, "cs231n")
RNN_OPS = {s.name for s in CHECKED if s.module == "rnn_layers"}   # assignment 3's

# folder -> {(op, output): top diagnosis code, or None for any}
EXPECTED: dict[str, dict[tuple[str, str], str | None]] = {
    "affine_dx_flat": {("affine", "dX"): None},
    "batchnorm_backward_ignores_mean_var": {("batchnorm", "dX"): "wrong_formula"},
    "batchnorm_eps_outside_sqrt": {
        ("batchnorm", "forward"): "wrong_formula", ("batchnorm", "dX"): None,
        ("batchnorm", "dgamma"): None, ("batchnorm_alt", "dX"): None,
        ("batchnorm_alt", "dgamma"): None, ("batchnorm_test", "forward"): "wrong_formula"},
    "batchnorm_momentum_swapped": {("batchnorm", "running_mean"): "wrong_formula",
                                   ("batchnorm", "running_var"): "wrong_formula"},
    "batchnorm_test_uses_batch_stats": {("batchnorm_test", "forward"): "wrong_formula"},
    "batchnorm_unbiased_variance": {
        ("batchnorm", "forward"): "wrong_formula", ("batchnorm", "dX"): None,
        ("batchnorm", "dgamma"): None, ("batchnorm", "running_var"): None,
        ("batchnorm_alt", "dX"): None, ("batchnorm_alt", "dgamma"): None},
    # the HW6 layer rules, through the NCHW bridge (harness/apis/cs231n/layouts.py)
    "conv_dw_unpadded_input": {("conv2d", "dW"): "conv_unpadded_input"},
    "conv_kernel_flipped": {("conv2d", "forward"): "conv_kernel_rotated"},
    "layernorm_over_batch": {("layernorm", "forward"): "wrong_formula",
                             ("layernorm", "dX"): None, ("layernorm", "dgamma"): None},
    "maxpool_backward_whole_window": {("pool2d_max", "dX"): "maxpool_routing"},
    "softmax_loss_summed": {("softmax_loss", "forward"): None, ("softmax_loss", "dX"): None},
    "softmax_loss_without_max_shift": {("softmax_loss", "forward"): "nan_inf",
                                       ("softmax_loss", "dX"): None},
    "spatial_batchnorm_reshape_without_transpose": {
        ("spatial_batchnorm", o): "wrong_formula" if o == "forward" else None
        for o in ("forward", "dX", "dgamma", "running_mean", "running_var")},
    "svm_loss_counts_correct_class": {("svm_loss", "forward"): "wrong_formula",
                                      ("svm_loss", "dX"): None},
    "dropout_p_is_drop_probability": {("dropout", "forward"): None, ("dropout", "dX"): None,
                                      ("dropout", "mask"): "random_draw"},
    "dropout_without_scale": {("dropout", "forward"): "wrong_formula", ("dropout", "dX"): None},
    "flat_layout": {},
}


def _report(impl: Path | None, tmp_path: Path, *args: str) -> tuple[int, dict]:
    import json
    out = tmp_path / "report.json"
    argv = ["check", "--cases", str(CASES), "--report", str(tmp_path / "r"), "--json", str(out)]
    if impl is not None:
        argv += ["--impl", str(impl)]
    code = main([*argv, *args])
    return code, json.loads(out.read_text())


def test_the_bundled_cs231n_implementation_passes_every_op(tmp_path) -> None:
    code, report = _report(None, tmp_path, "--api", "cs231n")
    assert code == 0
    assert report["api"] == "cs231n"
    assert {(r["op"], r["output"]) for r in report["results"]} == {
        (s.name, o) for s in CHECKED for o in s.outputs}
    assert all(r["status"] == "pass" for r in report["results"])


def test_every_expected_folder_exists() -> None:
    folders = {p.name for p in IMPLS.iterdir() if p.is_dir()}
    assert set(EXPECTED) == folders


@pytest.mark.parametrize("folder", sorted(EXPECTED))
def test_bug_fails_exactly_where_expected(folder: str, tmp_path) -> None:
    code, report = _report(IMPLS / folder, tmp_path)   # the API is detected from the files
    assert report["api"] == "cs231n"
    failing = {(r["op"].split(":")[1], r["output"]): r for r in report["results"]
               if r["status"] != "pass"}
    assert set(failing) == set(EXPECTED[folder]), sorted(failing)
    assert code == (1 if failing else 0)
    for key, code_named in EXPECTED[folder].items():
        item = failing[key]
        assert item["status"] == "fail"
        diagnosis = item["finding"]["diagnosis"]
        assert diagnosis and diagnosis[0]["message"]
        if code_named is not None:
            assert diagnosis[0]["code"] == code_named, diagnosis
        where = item["finding"]
        assert where["repro"].startswith("nnparity repro 'cs231n:")


def test_the_fix_list_opens_the_students_function(tmp_path) -> None:
    _, report = _report(IMPLS / "batchnorm_backward_ignores_mean_var", tmp_path,
                        "--ops", "batchnorm")
    (entry,) = report["fix_list"]
    assert entry["open"] == "cs231n/layers.py · batchnorm_backward"
    assert "depend on x" in entry["message"]


def test_stubs_and_missing_functions_are_not_implemented(tmp_path) -> None:
    code, report = _report(HERE / "cs231n_layouts" / "skeleton", tmp_path)
    status = {(r["op"].split(":")[1], r["output"]): r["status"] for r in report["results"]}
    assert code == 1
    assert status[("affine", "forward")] == status[("affine", "dX")] == "pass"
    assert status[("relu", "forward")] == "pass"
    assert status[("relu", "dX")] == "not_implemented"
    assert {status[("conv2d", o)] for o in ("forward", "dX", "dW", "db")} == {"not_implemented"}
    missing = next(r for r in report["results"] if r["op"] == "cs231n:batchnorm")
    assert missing["status"] == "not_implemented"
    assert "has no function batchnorm_forward" in missing["finding"]["message"]
    assert all(r["status"] in ("pass", "not_implemented") for r in report["results"])


def test_layers_py_itself_can_be_named(tmp_path) -> None:
    code, report = _report(IMPLS / "flat_layout" / "layers.py", tmp_path, "--ops", "affine")
    assert code == 0 and report["api"] == "cs231n"


def test_the_api_is_detected_from_the_files() -> None:
    assert detect_api(IMPLS / "conv_kernel_flipped") is CS231N
    assert detect_api(IMPLS / "flat_layout") is CS231N
    assert detect_api(HERE / "buggy_impls" / "sigmoid_backward_drops_dY") is HW6
    assert detect_api(None) is HW6
    # student_nn holds both (its cs231n/ twin): HW6's layout wins
    assert detect_api(HERE.parent / "student_nn") is HW6


def test_repro_of_a_cs231n_case(capsys) -> None:
    case_id = next(get_op("cs231n:batchnorm").cases(1)).id
    code = main(["repro", case_id, "--impl", str(IMPLS / "batchnorm_momentum_swapped")])
    out = capsys.readouterr().out
    assert code == 1
    assert "momentum weighs the wrong term" in out


@pytest.mark.parametrize("argv", [["check", "--api", "tensorflow"],
                                  ["check", "--api", "cs231n", "--impl", "/nonexistent"],
                                  ["check", "--api", "cs231n", "--ops", "sigmoid"]])
def test_unusable_input_exits_2(argv, capsys) -> None:
    try:
        code = main(argv)
    except SystemExit as exc:   # argparse refuses an unknown --api choice itself
        code = exc.code
    assert code == 2
    assert capsys.readouterr().err


def test_checker_runs_the_twin_and_the_student_through_the_same_calls() -> None:
    spec = get_op("cs231n:batchnorm")
    case = next(spec.cases(1))
    with Checker(IMPLS / "batchnorm_momentum_swapped", api="cs231n") as checker:
        verdicts = checker.check(spec, case)
    assert verdicts["forward"].passed and not verdicts["running_mean"].passed
    assert verdicts["running_mean"].expected.shape == (case.p["d"],)


def test_an_untouched_skeleton_is_not_implemented_down_to_its_running_statistics(
        tmp_path) -> None:
    code, report = _report(HERE / "cs231n_layouts" / "unfinished_batchnorm", tmp_path,
                           "--ops", "batchnorm")
    assert code == 1
    assert {r["output"]: r["status"] for r in report["results"]} == {
        o: "not_implemented" for o in get_op("cs231n:batchnorm").outputs}
    assert [e["open"] for e in report["fix_list"]] == [
        "cs231n/layers.py · batchnorm_forward", "cs231n/layers.py · batchnorm_backward"]


def test_every_function_api_code_is_named_first_by_a_buggy_folder() -> None:
    assert set(FUNCTION_API_CODES) <= {c for e in EXPECTED.values() for c in e.values()}


def test_dropout_mask_message_says_what_p_means(tmp_path) -> None:
    _, report = _report(IMPLS / "dropout_p_is_drop_probability", tmp_path, "--ops", "dropout")
    mask = next(r for r in report["results"] if r["output"] == "mask")
    assert "probability of keeping" in mask["finding"]["diagnosis"][0]["message"]
    # the draws of a correct dropout pass the binomial test on every default case
    _, ok = _report(None, tmp_path / "ok", "--api", "cs231n", "--ops", "dropout")
    assert all(r["status"] == "pass" for r in ok["results"])


def test_maps_of_an_nchw_failure_use_its_axes(tmp_path) -> None:
    _, report = _report(IMPLS / "maxpool_backward_whole_window", tmp_path, "--ops", "pool2d_max")
    maps = next(r for r in report["results"] if r["output"] == "dX")["finding"]["maps"]
    titles = [g["title"] for g in maps["grids"]]
    assert titles[0] == "wrong elements by h × w (summed over n and c)"
    assert any(t.startswith("kernel taps") for t in titles)   # which taps feed wrong pixels


def test_an_optional_op_the_file_does_not_define_is_left_out_and_said_so(tmp_path) -> None:
    code, report = _report(HERE / "cs231n_layouts" / "without_svm_loss", tmp_path)
    assert code == 0
    left_out = {"cs231n:svm_loss", "cs231n:layernorm", *RNN_OPS}   # no rnn_layers.py either
    assert {s["op"] for s in report["skipped"]} == left_out
    assert not any(r["op"] in left_out for r in report["results"])
    md = (tmp_path / "r" / "report.md").read_text()
    assert "Not checked: cs231n:layernorm (layers.py has no layernorm_forward" in md
    assert "cs231n:svm_loss (layers.py has no svm_loss, which not every year" in md
    # a required op that is missing is still not_implemented (the skeleton's batchnorm above)


# Dropouts whose forward and dX match the twin given their own draw, which fails dropout's
# law (harness/apis/dropout.py): forward, dX and mask all fail, as one bug in the fix list.
LAWLESS_DROPOUTS = {
    "keeps_nothing": "out = np.zeros_like(x)",
    "keeps_everything": "out = x / p",
    "keeps_half_whatever_p": "out = x * (np.arange(x.size).reshape(x.shape) % 2 == 0) / p",
    "one_mask_for_the_batch": "out = x * (np.random.rand(x.shape[1]) < p) / p",
}
LAWLESS = '''"""{doc}"""
import numpy as np
from student_nn.cs231n.layers import *  # noqa: F403


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    if mode == "test":
        return x.copy(), None
    {train}
    return out, (out != 0) / p


def dropout_backward(dout, cache):
    return dout.copy() if cache is None else dout * cache
'''


@pytest.mark.parametrize("year", ["2018+", "2017"])
@pytest.mark.parametrize("name", sorted(LAWLESS_DROPOUTS))
def test_a_dropout_whose_draw_breaks_the_law_earns_nothing(name: str, year: str,
                                                           tmp_path) -> None:
    doc = "We drop each neuron output with probability p." if year == "2017" else name
    layers = tmp_path / name / "cs231n" / "layers.py"
    layers.parent.mkdir(parents=True)
    layers.write_text(LAWLESS.format(doc=doc, train=LAWLESS_DROPOUTS[name]))
    code, report = _report(layers.parent.parent, tmp_path, "--ops", "dropout")
    assert code == 1 and report["edition"]["name"] == year
    items = {r["output"]: r for r in report["results"]}
    assert {o: r["status"] for o, r in items.items()} == dict.fromkeys(
        ("forward", "dX", "mask"), "fail")
    for output in ("forward", "dX"):
        finding = items[output]["finding"]
        assert finding["message"].startswith("matches the twin only given its own random "
                                             "draw, which fails: ")
        assert finding["diagnosis"][0]["code"] in ("random_draw", "caused_by_forward")
    (entry,) = report["fix_list"]   # one bug: the draw, in dropout_forward
    assert entry["code"] == "random_draw" and len(entry["items"]) == 3
