"""Harness self-test: deliberately buggy implementations must fail exactly where they should.

Each bug in tests/buggy_impls/ is checked over every op; the test asserts which
(op, output) items fail, with which status and finding kind, which cases fail (a bug that
needs stride > 1 must not fail at stride 1), and that the reported worst element is the one
where the buggy output really is furthest from PyTorch's.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from harness.cases import Case
from harness.conventions import get_profile
from harness.driver import run_op
from harness.evaluate import Checker, reference_outputs
from harness.registry import OPS, get_op
from harness.results import build_report
from harness.session import run_checks

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


def _border(index: dict, params: dict) -> bool:
    return index["row"] in (0, params["h"] - 1) or index["col"] in (0, params["w"] - 1)


BUGS = [
    Bug("sigmoid_backward_drops_dY", {("sigmoid", "dX"): "values"}),
    Bug("relu_forward_in_place", {("relu", "forward"): "mutated"}),
    Bug("softmax_without_max_shift",
        {("softmax", "forward"): "nonfinite", ("softmax", "dX"): "nonfinite"},
        failing_case=lambda p: p["scale"] == "large"),
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
        with Checker(BUGS_DIR / bug.name, get_profile(bug.profile)) as checker:
            records = list(run_checks(checker, list(OPS.values()), CASES, seed=0))
        report = build_report(records, impl=bug.name, seed=0, profile=bug.profile,
                              tolerance="", cases_per_op=CASES)
        out[key] = (report, records)
    return out


def _buggy_outputs(bug: Bug, spec, case: Case) -> dict:
    """Run the buggy class here, in-process, to find its worst element independently."""
    path = BUGS_DIR / bug.name / "neural_networks" / f"{spec.module}.py"
    base = importlib.import_module(f"student_nn.{spec.module}")
    saved = dict(vars(base))  # a bug may patch the bundled module; undo that afterwards
    try:
        mod_spec = importlib.util.spec_from_file_location(f"buggy_{bug.name}", path)
        module = importlib.util.module_from_spec(mod_spec)
        mod_spec.loader.exec_module(module)
        inputs = {k: v.copy() for k, v in spec.inputs(case).items()}
        return run_op(spec.kind, getattr(module, spec.cls), spec.ctor(case), inputs,
                      spec.outputs).outputs
    finally:
        vars(base).clear()
        vars(base).update(saved)


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
            assert loc["mismatched"] == int((err > 1e-6 * (1 + np.abs(want))).sum())
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
