"""Harness self-test: deliberately buggy implementations must fail exactly where they should.

Each bug in tests/buggy_impls/ is checked over every op; the test asserts which
(op, output) items fail, with which status and finding kind, which cases fail (a bug that
needs stride > 1 must not fail at stride 1), and that the reported worst element is the one
where the buggy output really is furthest from PyTorch's.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from harness import cli
from harness.apis.known import OPS
from harness.check.checker import Checker
from harness.check.investigate import check_and_investigate
from harness.check.session import run_checks
from harness.core.cases import Case, for_profile
from harness.core.conventions import get_profile
from harness.core.driver import run_op
from harness.core.registry import get_op, select_ops
from harness.core.results import build_report
from harness.core.twin import reference_outputs

BUGS_DIR = Path(__file__).parent / "buggy_impls"
CASES = 10


@dataclass(frozen=True)
class Bug:
    name: str
    fails: dict[tuple[str, str], str]          # (op, output) -> finding kind
    status: str = "fail"
    profile: str = "homework"
    failing_case: Callable[[dict], bool] | None = None  # which cases must fail (None: any)
    where: Callable[[dict, dict], bool] | None = None   # (worst index, params) -> holds
    notes: dict[tuple[str, str], str] = field(default_factory=dict)  # passing, with a note
    offset: float | None = None   # a constant added to every element (the finding says so)


def _border(index: dict, params: dict) -> bool:
    return index["row"] in (0, params["h"] - 1) or index["col"] in (0, params["w"] - 1)


BUGS = [
    Bug("sigmoid_backward_drops_dY", {("sigmoid", "dX"): "values"}),
    # Right values, its input modified in place: a warning under the homework profile, a
    # failure under the strict one.
    Bug("relu_forward_in_place", {},
        notes={("relu", "forward"): "ReLU.forward modifies its input Z in place"}),
    Bug("relu_forward_in_place", {("relu", "forward"): "mutated"}, profile="strict"),
    # Wrong values and dY modified in place: the verdict (and its worst element, checked
    # below) is about what backward returned, under either profile.
    Bug("relu_backward_in_place_doubles", {("relu", "dX"): "values"}),
    Bug("relu_backward_in_place_doubles", {("relu", "dX"): "values"}, profile="strict"),
    Bug("softmax_without_max_shift",
        {("softmax", "forward"): "nonfinite", ("softmax", "dX"): "nonfinite"},
        failing_case=lambda p: p["scale"] != "normal"),
    Bug("softmax_shift_by_batch_max",
        {("softmax", "forward"): "nonfinite", ("softmax", "dX"): "nonfinite"},
        failing_case=lambda p: p["scale"] == "mixed"),
    Bug("linear_backward_stub", {("linear", "dX"): "not_implemented"},
        status="not_implemented"),
    Bug("fc_skips_activation_derivative",
        {("fully_connected", o): "values" for o in ("dX", "dW", "db")},
        failing_case=lambda p: p["act"] != "linear"),
    Bug("conv_db_first_item_only", {("conv2d", "db"): "values"},
        failing_case=lambda p: p["n"] > 1),
    Bug("conv_dx_drops_first_row", {("conv2d", "dX"): "values"},
        where=lambda i, p: i["row"] == 0),
    Bug("avgpool_excludes_padding",
        {("pool2d_average", "forward"): "values", ("pool2d_average", "dX"): "values"},
        failing_case=lambda p: p["pad"] not in (0, "valid") and max(p["k"]) > 1
        and (p["pad"] != "same" or max(p["k"]) > 2),
        where=_border),
    Bug("maxpool_pads_with_zero", {},
        notes={("pool2d_max", "forward"): "maxpool_pad=zero"}),
    Bug("maxpool_pads_with_zero", {("pool2d_max", "forward"): "values",
                                   ("pool2d_max", "dX"): "values"}, profile="strict"),
    Bug("fc_db_flat_vector", {}, notes={("fully_connected", "db"): "broadcast"}),
    Bug("fc_db_flat_vector", {("fully_connected", "db"): "shape"}, profile="strict"),
    Bug("flatten_backward_channels_first", {("flatten", "dX"): "values"},
        failing_case=lambda p: p["shape"][3] > 1 and p["shape"][1] * p["shape"][2] > 1),
    Bug("cross_entropy_divides_by_size", {("cross_entropy", "forward"): "values"}),
    Bug("l2_backward_missing_two", {("l2", "dX"): "values"}),
    Bug("l2_backward_missing_two", {("l2", "dX"): "values"}, profile="strict"),
    # A correct 2020 submission: the contract's (batch_size, 1) targets pass; only the strict
    # profile's several-column cases tell the two reductions apart.
    Bug("l2_mean_over_batch", {}),
    Bug("l2_mean_over_batch", {("l2", "forward"): "values", ("l2", "dX"): "values"},
        profile="strict", failing_case=lambda p: p["classes"] > 1),
    # fully_connected's act=softmax cases fail through SoftMax alone: rerun with it substituted
    # they pass (each root cause charged once: harness/check/substitute.py)
    Bug("softmax_backward_diagonal", {("softmax", "dX"): "values"}),
    # 1e-9 added to every probability: within the tolerance, failed as a constant offset
    Bug("softmax_adds_epsilon", {("softmax", "forward"): "values"}, offset=1e-9,
        failing_case=lambda p: p["n"] * p["classes"] >= 4),
    Bug("fc_init_rows_from_batch", {("fully_connected", "forward"): "created"},
        failing_case=lambda p: p["n"] != p["n_in"]),
    Bug("conv_init_bias_flat", {}, notes={("conv2d", "forward"): "_init_parameters creates b"}),
    Bug("conv_init_bias_flat", {("conv2d", "forward"): "created"}, profile="strict"),
    Bug("losses_syntax_error",
        {(op, o): "exception" for op in ("cross_entropy", "l2") for o in ("forward", "dX")},
        status="error"),
]


@pytest.fixture(scope="module")
def reports() -> dict[tuple[str, str], tuple[dict, list[dict]]]:
    """Every bug's report and raw records, computed once."""
    out = {}
    for bug in BUGS:
        key = (bug.name, bug.profile)
        if key in out:
            continue
        profile = get_profile(bug.profile)
        specs = [for_profile(spec, profile) for spec in OPS.values()]
        with Checker(BUGS_DIR / bug.name, profile) as checker:
            records = list(run_checks(checker, specs, CASES, seed=0))
        report = build_report(records, impl=bug.name, seed=0, profile=bug.profile,
                              tolerance="", cases_per_op=CASES)
        out[key] = (report, records)
    return out


def _buggy_outputs(bug: Bug, spec, case: Case) -> dict:
    """Run the buggy class here, in-process, to find its worst element independently.

    The bug's package is imported as `neural_networks` (its modules may import each other)
    and removed again afterwards, with any patch it made to the bundled modules."""
    bundled = {m: importlib.import_module(f"student_nn.{m}")
               for m in ("activations", "layers", "losses")}
    saved = {m: dict(vars(mod)) for m, mod in bundled.items()}  # a bug may patch these
    sys.path.insert(0, str(BUGS_DIR / bug.name))
    try:
        importlib.invalidate_caches()
        module = importlib.import_module(f"neural_networks.{spec.module}")
        inputs = {k: v.copy() for k, v in spec.inputs(case).items()}
        return run_op(spec.kind, getattr(module, spec.cls), spec.ctor(case), inputs,
                      spec.outputs).outputs
    finally:
        sys.path.remove(str(BUGS_DIR / bug.name))
        for name in [n for n in sys.modules if n.split(".")[0] == "neural_networks"]:
            del sys.modules[name]
        for m, mod in bundled.items():
            vars(mod).clear()
            vars(mod).update(saved[m])


@pytest.mark.parametrize("bug", BUGS, ids=[f"{b.name}-{b.profile}" for b in BUGS])
def test_bug_fails_exactly_where_it_should(bug: Bug, reports) -> None:
    report, records = reports[(bug.name, bug.profile)]
    failing = {(r["op"], r["output"]): r for r in report["results"] if r["status"] != "pass"}
    assert set(failing) == set(bug.fails), f"failing items: {sorted(failing)}"

    for (op, output), kind in bug.fails.items():
        item = failing[(op, output)]
        finding = item["finding"]
        assert item["status"] == bug.status
        assert finding["kind"] == kind, finding["message"]
        assert finding["diagnosis"], "a failing item must carry a diagnosis"

        if bug.failing_case is not None:
            for rec in records:
                if (rec["op"], rec["output"]) == (op, output):
                    params = Case.from_id(rec["case_id"]).p
                    assert (rec["status"] != "pass") == bug.failing_case(params), rec["case_id"]

        if kind == "values":
            case = Case.from_id(finding["case_id"])
            spec = get_op(op)
            loc = finding["localization"]
            got = np.asarray(_buggy_outputs(bug, spec, case)[output], dtype=float)
            conv = get_profile(bug.profile).preferred
            want = reference_outputs(spec, spec.ctor(case), spec.inputs(case), conv)[output]
            err = np.abs(got - want)
            worst = np.unravel_index(np.argmax(err), err.shape)
            assert tuple(loc["index"].values()) == tuple(int(i) for i in worst)
            assert loc["got"] == pytest.approx(got[worst])
            assert loc["expected"] == pytest.approx(want[worst])
            if bug.offset is None:
                assert loc["mismatched"] == int((err > 1e-6 * (1 + np.abs(want))).sum())
            else:   # every element, however small the constant (compare.constant_offset)
                assert loc["mismatched"] == err.size
                assert f"adds about {bug.offset:.3g} to every element" in finding["message"]
            if bug.where is not None:
                assert bug.where(loc["index"], case.p), loc

    for (op, output), note in bug.notes.items():
        item = next(r for r in report["results"] if (r["op"], r["output"]) == (op, output))
        assert item["status"] == "pass"
        assert any(note in n for n in item["notes"]), item["notes"]


def test_syntax_error_names_file_and_line(reports) -> None:
    report, _ = reports[("losses_syntax_error", "homework")]
    finding = next(r for r in report["results"] if r["op"] == "l2")["finding"]
    assert finding["error"]["type"] == "SyntaxError"
    assert finding["error"]["file"].endswith("losses.py")
    assert finding["error"]["line"] == 6


# ---------------------------------------------------------------- investigated reports
def _item(report: dict, op: str, output: str) -> dict:
    return next(i for i in report["results"] if (i["op"], i["output"]) == (op, output))


def test_softmax_backward_bug_is_investigated_and_reported(tmp_path, capsys) -> None:
    """Issue #8: shrinking fully_connected's act=softmax failures proposed a softmax over one
    unit, which cannot be built; `nnparity check` crashed and wrote no report."""
    code = cli.main(["check", "--impl", str(BUGS_DIR / "softmax_backward_diagonal"),
                     "--ops", "softmax,fully_connected", "--cases", "10",
                     "--report", str(tmp_path)])
    assert code == 1
    assert all((tmp_path / f"report.{ext}").stat().st_size for ext in ("json", "md", "html"))
    report = json.loads((tmp_path / "report.json").read_text())
    item = _item(report, "softmax", "dX")
    assert item["status"] == "fail" and item["finding"]["smallest"]
    assert not any("stopped" in n for n in item["notes"])
    for output in ("dX", "dW", "db"):   # charged once, on SoftMax
        item = _item(report, "fully_connected", output)
        assert item["status"] == "pass" and item["depends_on"][0]["op"] == "softmax"
    assert "investigation stopped" not in capsys.readouterr().out


def test_batch_mean_l2_passes_the_contract_and_is_named_a_convention_beyond_it() -> None:
    with Checker(BUGS_DIR / "l2_mean_over_batch", get_profile("homework")) as checker:
        homework = check_and_investigate(checker, select_ops("l2"), 20)
    assert homework["summary"]["verdict"] == "pass"
    with Checker(BUGS_DIR / "l2_mean_over_batch", get_profile("strict")) as checker:
        strict = check_and_investigate(checker, select_ops("l2"), 8)
    assert "l2_reduction=elements" in strict["profile"] and "l2_columns" in strict["profile"]
    for output in ("forward", "dX"):
        finding = _item(strict, "l2", output)["finding"]
        assert finding["params"]["classes"] > 1
        top = finding["diagnosis"][0]
        assert top["code"] == "convention" and "l2_reduction=batch" in top["message"], top
        assert finding["smallest"]["params"]["classes"] == 2
        assert {"factor": "convention", "change": "l2_reduction=batch", "outcome": "pass"}.items() \
            <= next(t for t in finding["ablation"] if t["factor"] == "convention").items()
