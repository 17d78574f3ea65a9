"""CS231n assignment 3's rnn_layers.py under --api cs231n: the twins, the cases, the bundled
implementation, the buggy implementations made from it and what their reports say.

Each buggy implementation is a folder made at test time (`_buggy`): a copy of
student_nn/cs231n/rnn_layers.py with one bug, made by the exact text replacements of `BUGS`
(the comment above each says which bug), and no layers.py, as an assignment 3 checkout from
2021 on: it must fail exactly the (op, output) items named in `EXPECTED`, its first failing
output's top diagnosis must name the bug, and a message must say at which time step an element
is wrong."""

from __future__ import annotations

import json
import re
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

from harness.apis.cs231n import rnn
from harness.apis.cs231n.rnn_formulas import CATALOGUE, OUTPUTS, RIGHT_WAY
from harness.apis.known import CS231N, detect_api
from harness.cli import main
from harness.core.registry import get_op

HERE = Path(__file__).parent
BUNDLED = HERE.parent / "student_nn" / "cs231n"
CASES = 10
RNN_OPS = tuple(f"cs231n:{name}" for name, *_ in rnn.OPS)
SEQUENCE_GRADS = ("dX", "dh0", "dWx", "dWh", "db")
LSTM_STEP_GRADS = ("dX", "dprev_h", "dprev_c", "dWx", "dWh", "db")


# bug -> the (old, new) exact replacements, each old text once in the bundled rnn_layers.py,
# that put the bug in
BUGS: dict[str, tuple[tuple[str, str], ...]] = {
    # backpropagation through time gives step t only dh[:, t], not what step t + 1 sends back
    # through the hidden state
    "bptt_truncated": (("dstate[0] + dh", "dh"),),
    # the time loop of the backward runs forwards: step t is given step t − 1's dprev_h
    "bptt_forward_order": (("for t in reversed(range(dh.shape[1])):",
                            "for t in range(dh.shape[1]):"),
                           ("np.stack(dxs[::-1], axis=1)", "np.stack(dxs, axis=1)")),
    # lstm_backward starts every step with dnext_c = 0: the cell's gradient is not carried
    # back in time
    "lstm_cell_not_carried": (("= rest", "= [rest[0], np.zeros_like(rest[0])]"),),
    # the candidate g goes through a sigmoid, like the three other gates
    "lstm_g_sigmoid": ((", np.tanh", ", sigmoid"),),
    # the LSTM's gates are split and stacked as i, f, g, o (torch's order) instead of
    # CS231n's i, f, o, g
    "lstm_gates_ifgo": (("a_o, a_g", "a_g, a_o"),
                        ("dnext_h * tanh_c * o * (1 - o), dc * i * (1 - g**2",
                         "dc * i * (1 - g**2), dnext_h * tanh_c * o * (1 - o")),
    # lstm_step_backward takes dc = dnext_c, forgetting that next_h = o·tanh(next_c) depends
    # on the cell too
    "lstm_no_cell_path": (("dnext_c + dnext_h * o * (1 - tanh_c**2)", "dnext_c"),),
    # rnn_step_backward computes dWh with next_h instead of prev_h
    "rnn_dwh_next_h": (("), x, prev_h", "), x, next_h"),),
    # temporal_softmax_loss ignores the mask: padded steps count in the loss and get gradients
    "temporal_softmax_mask_ignored": (("mask[..., None]", "1.0"),),
    # temporal_softmax_loss divides by the number of steps the mask keeps instead of N
    "temporal_softmax_mean_over_kept": (("n, _, v = x.shape",
                                         "_, _, v = x.shape\n    n = mask.sum()"),),
    # word_embedding_backward uses dW[x] += dout, which adds a repeated word's gradient only
    # once
    "word_embedding_overwrites": (("np.add.at(dW, x, dout)", "dW[x] += dout"),),
}


def _buggy(bug: str, tmp_path: Path) -> Path:
    """tmp_path/<bug>, holding cs231n/rnn_layers.py: the bundled one with BUGS[bug] applied."""
    source = edited((BUNDLED / "rnn_layers.py").read_text(), BUGS[bug], bug)
    folder = tmp_path / bug
    (folder / "cs231n").mkdir(parents=True)
    (folder / "cs231n" / "rnn_layers.py").write_text(source)
    return folder


def _all(op: str) -> dict[tuple[str, str], str | None]:
    return {(op, o): None for o in get_op(f"cs231n:{op}").outputs}


# bug -> ({(op, output): top diagnosis code or None for any}, words of the top message of
# the first item, which names the bug)
EXPECTED: dict[str, tuple[dict[tuple[str, str], str | None], str]] = {
    "lstm_gates_ifgo": ({**_all("lstm_step"), ("lstm_step", "forward"): "wrong_formula"},
                        "split as i, f, g, o"),
    "lstm_g_sigmoid": ({**_all("lstm_step"), ("lstm_step", "forward"): "wrong_formula",
                        ("lstm_step", "next_c"): "wrong_formula"},
                       "gate g = sigmoid(a_g)"),
    "bptt_truncated": ({(op, o): "wrong_formula" for op in ("rnn", "lstm")
                        for o in SEQUENCE_GRADS},
                       "backpropagation through time is truncated"),
    "bptt_forward_order": ({(op, o): "wrong_formula" for op in ("rnn", "lstm")
                            for o in SEQUENCE_GRADS},
                           "runs through time in reverse"),
    "lstm_cell_not_carried": ({("lstm", o): "wrong_formula" for o in SEQUENCE_GRADS},
                              "the cell state is carried from step to step"),
    "lstm_no_cell_path": ({("lstm_step", o): "wrong_formula" for o in LSTM_STEP_GRADS},
                          "dc = dnext_c + dnext_h·o·(1 − tanh²(next_c))"),
    "rnn_dwh_next_h": ({("rnn_step", "dWh"): "wrong_formula"}, "with h_{t−1}"),
    "temporal_softmax_mask_ignored": ({("temporal_softmax_loss", "forward"): "wrong_formula",
                                       ("temporal_softmax_loss", "dX"): "wrong_formula"},
                                      "the mask is ignored"),
    "temporal_softmax_mean_over_kept": ({("temporal_softmax_loss", "forward"): "wrong_formula",
                                         ("temporal_softmax_loss", "dX"): "wrong_formula"},
                                        "averaged over the N sequences"),
    "word_embedding_overwrites": ({("word_embedding", "dW"): "wrong_formula"}, "np.add.at"),
}


# A step's bug is charged to the step alone: the whole-sequence function that calls it is
# rerun with the bundled step in its place (inside rnn_layers.py) and passes on its own code.
CHARGED_TO_THE_STEP = {"lstm_gates_ifgo": "lstm", "lstm_g_sigmoid": "lstm",
                       "lstm_no_cell_path": "lstm", "rnn_dwh_next_h": "rnn"}


def _report(impl: Path | None, tmp_path: Path, *args: str) -> tuple[int, dict]:
    out = tmp_path / "report.json"
    argv = ["check", "--cases", str(CASES), "--report", str(tmp_path / "r"), "--json", str(out)]
    code = main([*argv, *(["--impl", str(impl)] if impl else []), *args])
    return code, json.loads(out.read_text())


def _failing(report: dict) -> dict[tuple[str, str], dict]:
    return {(r["op"].split(":")[1], r["output"]): r for r in report["results"]
            if r["status"] != "pass"}


# ---------------------------------------------------------------- the twins and the cases
def test_the_twins_are_torchs_cells_with_cs231ns_layout() -> None:
    """CS231n's Wx (D, 4H) with gates i, f, o, g is nn.LSTMCell's weight_ih (4H, D) with gates
    i, f, g, o, transposed; the RNN step is nn.RNNCell's (tanh) likewise."""
    import torch

    from reference import cs231n_rnn as twin

    rng = np.random.default_rng(0)
    n, d, h = 3, 4, 2
    x, prev_h, prev_c = rng.standard_normal((n, d)), rng.standard_normal((n, h)), \
        rng.standard_normal((n, h))
    for gates, cell in ((4, torch.nn.LSTMCell(d, h)), (1, torch.nn.RNNCell(d, h))):
        Wx, Wh = rng.standard_normal((d, gates * h)), rng.standard_normal((h, gates * h))
        b = rng.standard_normal(gates * h)
        torch_order = np.r_[0:2 * h, 3 * h:4 * h, 2 * h:3 * h] if gates == 4 else np.arange(h)
        cell = cell.double()
        with torch.no_grad():
            for name, value in (("weight_ih", Wx[:, torch_order].T),
                                ("weight_hh", Wh[:, torch_order].T),
                                ("bias_ih", b[torch_order]), ("bias_hh", 0 * b)):
                getattr(cell, name).copy_(torch.from_numpy(value))
            if gates == 4:
                want = cell(torch.from_numpy(x), (torch.from_numpy(prev_h),
                                                  torch.from_numpy(prev_c)))
                got = twin.lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)[:2]
            else:
                want = (cell(torch.from_numpy(x), torch.from_numpy(prev_h)),)
                got = twin.rnn_step_forward(x, prev_h, Wx, Wh, b)[:1]
        for mine, theirs in zip(got, want, strict=True):
            np.testing.assert_allclose(mine, theirs.numpy(), rtol=1e-12)


@pytest.mark.parametrize("op", sorted(OUTPUTS))
def test_the_formulas_catalogues_right_way_is_the_twin(op: str) -> None:
    """The NumPy cells every wrong formula is a variant of compute the twins' values when
    nothing is wrong."""
    assert_right_way_is_the_twin(op, OUTPUTS[op], RIGHT_WAY, cases=6)


def test_an_lstm_step_returns_next_c_from_forward_and_takes_dnext_c_in_backward() -> None:
    spec = get_op("cs231n:lstm_step")
    assert spec.module == "rnn_layers" and spec.optional
    assert [spec.stage_of(o) for o in spec.outputs[:3]] == ["forward", "forward", "backward"]
    assert spec.function("next_c") == "lstm_step_forward"
    assert spec.call_of("next_c") == "lstm_step_forward (next_c, value 2 of 3)"
    assert spec.call_of("dprev_c") == "lstm_step_backward (dprev_c, value 3 of 6)"
    assert spec.axes("dWx", 2) == ("d", "4h:ifog")


@pytest.mark.parametrize("op", RNN_OPS)
def test_cases_are_informative(op: str) -> None:
    """Sizes of 1 and sequences of one step among the edge cases; words and labels are
    integers, a sequence of several words repeats one; masks pad; no gate saturates."""
    spec = get_op(op)
    cases = list(spec.cases(20, seed=0))
    assert any(min(v for v in case.p.values() if isinstance(v, int)) == 1 for case in cases)
    if "t" in spec.family.shrink and "t" in cases[0].p:
        assert any(case.p["t"] == 1 for case in cases) and any(case.p["t"] > 1 for case in cases)
    for case in cases:
        x = spec.inputs(case)
        if op.endswith("word_embedding") and x["x"].size > 1:
            assert x["x"].dtype.kind == "i" and len(np.unique(x["x"])) < x["x"].size
        if op.endswith("softmax_loss"):
            assert x["y"].dtype.kind == "i" and x["mask"].dtype == bool
            assert x["mask"][:, 0].all() and (case.p["t"] == 1 or not x["mask"][0].all())
        if "Wx" in x:
            h = x["Wh"].shape[0]
            inputs = x["x"].reshape(-1, x["x"].shape[-1])
            state = x.get("prev_h", x.get("h0"))
            a = np.abs(inputs @ x["Wx"]).max() + np.abs(state @ x["Wh"]).max() + \
                np.abs(x["b"]).max()
            assert a < 6 and x["Wx"].shape[1] in (h, 4 * h)


@pytest.mark.parametrize("op", sorted(o for o in CATALOGUE if o in RNN_OPS))
def test_every_rnn_formula_is_recognised_as_itself(op: str) -> None:
    cases = catalogue_cases(op, 12, seed=3)
    for formula in CATALOGUE[op]:
        differs, named = recognitions(op, formula, cases)
        assert named == differs >= 6, f"{formula.computes}: named {named} of {differs}"
    assert_right_outputs_are_not_named(op, cases, {f.output for f in CATALOGUE[op]})


# ---------------------------------------------------------------- check, end to end
def test_the_bundled_implementation_passes_every_rnn_output(tmp_path) -> None:
    ops = ",".join(name for name, *_ in rnn.OPS)
    code, report = _report(None, tmp_path, "--api", "cs231n", "--ops", ops)
    assert code == 0
    assert {(r["op"], r["output"]) for r in report["results"]} == {
        (op, o) for op in RNN_OPS for o in get_op(op).outputs}
    assert all(r["status"] == "pass" for r in report["results"])


def test_every_expected_bug_is_made(tmp_path) -> None:
    assert set(BUGS) == set(EXPECTED)
    bundled = (BUNDLED / "rnn_layers.py").read_text()
    for bug in BUGS:
        source = (_buggy(bug, tmp_path) / "cs231n" / "rnn_layers.py").read_text()
        assert source != bundled
        compile(source, bug, "exec")


@pytest.mark.parametrize("folder", sorted(EXPECTED))
def test_bug_fails_exactly_where_expected_and_is_named(folder: str, tmp_path) -> None:
    expected, words = EXPECTED[folder]
    # API and edition from the files (a3-2021: no layers.py); the temporal loss is the course's
    # own code in an assignment checkout, so its bugs are a library's: the full contract
    given = folder.startswith("temporal_")
    code, report = _report(_buggy(folder, tmp_path), tmp_path, *(
        ("--edition", "2018+", "--ops", ",".join(sorted(RNN_OPS))) if given else ()))
    assert report["api"] == "cs231n"
    assert report["edition"]["name"] == ("2018+" if given else "a3-2021")
    assert not any(r["op"] not in RNN_OPS for r in report["results"])   # assignment 2's: left out
    failing = _failing(report)
    assert set(failing) == set(expected), sorted(failing)
    assert code == 1
    for key, named in expected.items():
        item = failing[key]
        assert item["status"] == "fail"
        top = item["finding"]["diagnosis"][0]
        if named is not None:
            assert top["code"] == named, (key, item["finding"]["diagnosis"])
    first = failing[next(iter(expected))]["finding"]
    assert words in first["diagnosis"][0]["message"]
    assert any(words in entry["message"] for entry in report["fix_list"])
    assert all(e["open"].startswith("cs231n/rnn_layers.py") for e in report["fix_list"])
    sequence = [r for (op, o), r in failing.items() if o in ("forward", "dX")
                and get_op(f"cs231n:{op}").axes(o, 3)[:2] == ("n", "t")]
    assert all(" t=" in r["finding"]["message"] for r in sequence)   # the time step
    if folder in CHARGED_TO_THE_STEP:
        op = CHARGED_TO_THE_STEP[folder]
        rerun = [r for r in report["results"] if r["op"] == f"cs231n:{op}"]
        assert rerun and all(r["status"] == "pass" for r in rerun)
        assert any([d["op"] for d in r.get("depends_on", [])] == [f"cs231n:{op}_step"]
                   for r in rerun)


def test_a_truncated_bptt_opens_the_time_loop_and_shrinks_to_two_steps(tmp_path) -> None:
    _, report = _report(_buggy("bptt_truncated", tmp_path), tmp_path, "--ops", "rnn")
    dx = _failing(report)[("rnn", "dX")]["finding"]
    assert "worst at n=" in dx["message"] and " t=" in dx["message"]
    (entry,) = report["fix_list"]
    assert entry["open"].endswith("· _backward_in_time, called from rnn_backward")
    # the map is time × the last axis: every step but the last is wrong
    grid = dx["maps"]["grids"][0]
    assert grid["title"] == "wrong elements by t × d (summed over n)"
    steps = [sum(row) for row in grid["values"]]
    assert all(steps[:-1]) and steps[-1] == 0
    smallest = dx["smallest"]   # two steps: the first one's gradient misses the second's
    assert smallest["params"]["t"] == 2
    assert [sum(row) for row in smallest["maps"]["grids"][0]["values"]] == [1, 0]
    assert "t=0" in smallest["message"]
    assert {(i["op"], i["output"]) for i in entry["items"]} == {
        ("cs231n:rnn", o) for o in SEQUENCE_GRADS}


def test_an_assignment_2_checkout_leaves_the_rnn_ops_out(tmp_path) -> None:
    _, report = _report(HERE / "cs231n_layouts" / "without_svm_loss", tmp_path, "--ops",
                        ",".join(name for name, *_ in rnn.OPS))
    assert report["results"] == []   # not failed: left out, and said so
    assert {s["op"] for s in report["skipped"]} == set(RNN_OPS)
    assert {s["why"] for s in report["skipped"]} == {"absent"}


def test_an_assignment_3_folder_is_found_and_detected(tmp_path) -> None:
    """--impl path/to/assignment3 (cs231n/ holding rnn_layers.py; until 2020 beside the course's
    layers.py, which has no convolution)."""
    a3 = _buggy("rnn_dwh_next_h", tmp_path).rename(tmp_path / "assignment3")
    assert detect_api(a3) is CS231N
    assert detect_api(a3 / "cs231n" / "rnn_layers.py") is CS231N
    assert detect_api(tmp_path) is CS231N   # a checkout holding it one level deeper
    package = CS231N.loader.locate(a3)
    assert package == a3 / "cs231n"
    assert CS231N.edition(package).edition.name == "a3-2021"
    (package / "layers.py").write_text("def affine_forward(x, w, b):\n    return x @ w + b, None\n")
    assert CS231N.edition(package).edition.name == "a3"
    code, report = _report(a3, tmp_path / "run", "--ops", "affine,rnn_step")
    assert code == 1
    assert [s["why"] for s in report["skipped"]] == ["edition"]   # affine: the course's
    assert set(_failing(report)) == {("rnn_step", "dWh")}
    # the bundled folder holds assignment 2's layers.py too: the full contract
    assert CS231N.edition(BUNDLED).edition.name == "2018+"


def test_repro_of_an_lstm_step_case(capsys, tmp_path) -> None:
    case_id = next(get_op("cs231n:lstm_step").cases(1)).id
    code = main(["repro", case_id, "--impl", str(_buggy("lstm_no_cell_path", tmp_path))])
    out = capsys.readouterr().out
    assert code == 1
    assert "likely bug [wrong_formula]" in out and "dc = dnext_c +" in out
    assert "smallest failing case: cs231n:lstm_step/n=1,d=1,h=1" in out


def test_an_assignment_checkout_is_not_charged_for_the_courses_temporal_layers(tmp_path) -> None:
    """temporal_affine_* and temporal_softmax_loss come complete in every year's rnn_layers.py:
    a checkout whose temporal loss is broken is not charged for it, and is told why."""
    _, report = _report(_buggy("temporal_softmax_mask_ignored", tmp_path), tmp_path)
    assert report["edition"]["name"] == "a3-2021"
    left_out = {s["op"] for s in report["skipped"]}
    assert {"cs231n:temporal_affine", "cs231n:temporal_softmax_loss"} <= left_out
    assert not [r for r in report["results"] if r["op"].startswith("cs231n:temporal_")]
    assert any("the course's own code" in n for n in report["edition"]["notes"])
    assert all(r["status"] == "pass" for r in report["results"])


def test_an_lstm_weights_element_names_its_gate(tmp_path) -> None:
    """A column of dWx is named by its gate and unit as well as its index."""
    _, report = _report(_buggy("lstm_g_sigmoid", tmp_path), tmp_path, "--ops", "lstm_step")
    message = _failing(report)[("lstm_step", "dWx")]["finding"]["message"]
    assert re.search(r"worst at d=\d+ 4h=\d+ \(gate [ifog], unit \d+\)", message), message


@pytest.mark.parametrize("k, gate, unit", [(0, "i", 0), (2, "i", 2), (3, "f", 0),
                                           (7, "o", 1), (11, "g", 2)])
def test_a_column_of_the_four_gates_is_its_gate_and_unit(k, gate, unit) -> None:
    from harness.core.compare import Element

    element = Element((1, k), ("d", "4h:ifog"), 0.0, 1.0, (2, 12))   # H = 3
    assert element.where == f"d=1 4h={k} (gate {gate}, unit {unit})"
