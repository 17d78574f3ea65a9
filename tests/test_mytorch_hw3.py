"""CMU 11-785's mytorch HW3P1 under --api mytorch: RNNCell, GRUCell, CTC and CTCLoss.

The twins agree with torch where torch has the op (nn.GRUCell, F.ctc_loss); the bundled
implementation and a handout-style checkout (tests/mytorch_hw3_impls/correct, CTC/CTC.py
beside mytorch/ as from Fall 2024) pass; each of BUGS, an edit of that checkout, fails
exactly the outputs named here, with a message that names the wrong element or the bug; a HW1P1
checkout leaves HW3P1's ops out; a 2022–23 GRUCell is judged by its year's row vectors; the
cells run with their year's handout activation.py, whatever the checkout's is."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hw3_checkouts import HANDOUT, checkout

from harness.apis.mytorch import LOADER, rnn_cases
from harness.apis.mytorch import SPEC as MYTORCH
from harness.apis.mytorch.ops import HW3, MYTORCH_OPS
from harness.apis.mytorch.runners import Call, _values
from harness.cli import main
from harness.core.cases import UnbuildableCase, build_inputs
from harness.core.registry import get_op
from harness.diagnosis.ablation import _param_variants
from harness.diagnosis.shrink import variants
from reference import mytorch_rnn as twins

HANDOUT_2022_23 = HANDOUT / "activation_2022_23.py"

HERE = Path(__file__).parent
BUNDLED = HERE.parent / "student_nn" / "mytorch"
HW3_OPS = tuple(f"mytorch:{name}" for name in HW3)
CASES = "6"


# Each bug: the file of tests/mytorch_hw3_impls/correct it breaks, and the exact (old, new)
# replacements, applied in order, that break it.
BUGS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    # GRUCell's reset and update gates swapped (r from the z weights, z from the r weights).
    "gru_rz_swapped": ("mytorch/gru_cell.py", (
        ("self.r_act.forward(self.Wrx @ x + self.brx + self.Wrh @ h_prev_t + self.brh)",
         "self.r_act.forward(self.Wzx @ x + self.bzx + self.Wzh @ h_prev_t + self.bzh)"),
        ("self.z_act.forward(self.Wzx @ x + self.bzx + self.Wzh @ h_prev_t + self.bzh)",
         "self.z_act.forward(self.Wrx @ x + self.brx + self.Wrh @ h_prev_t + self.brh)"),
    )),
    # RNNCell.backward: the weights' gradients summed over the batch, not averaged
    # (no / batch_size).
    "rnn_no_batch_mean": ("mytorch/rnn_cell.py", (
        ("        batch_size = delta.shape[0]\n", ""),
        ("np.dot(dz.T, h_prev_l) / batch_size", "np.dot(dz.T, h_prev_l)"),
        ("np.dot(dz.T, h_prev_t) / batch_size", "np.dot(dz.T, h_prev_t)"),
        ("self.db_ih += np.sum(dz, axis=0) / batch_size", "self.db_ih += np.sum(dz, axis=0)"),
        ("self.db_hh += np.sum(dz, axis=0) / batch_size", "self.db_hh += np.sum(dz, axis=0)"),
    )),
    # CTC.get_forward_probs ignores the skip connections (α[t−1, r−2]; beta keeps them).
    "ctc_no_skip": ("CTC/CTC.py", (
        ("                if r >= 2 and skip_connect[r]:\n"
         "                    total += alpha[t - 1][r - 2]\n", ""),
    )),
    # The classifier's logits from layer 1's state, not the top layer's (right only when
    # num_layers = 2, the handout's default).
    "classifier_layer_1": ("models/rnn_classifier.py", (
        ("logits = self.output_layer(hidden[-1])", "logits = self.output_layer(hidden[1])"),
    )),
    # BPTT gives the upper layers the state below from the step before (an off-by-one in
    # hiddens: the layer below's input at step t is hiddens[t + 1], after that step).
    "classifier_below_off_by_one": ("models/rnn_classifier.py", (
        ("h_prev_l = self.hiddens[t + 1][i - 1]", "h_prev_l = self.hiddens[t][i - 1]"),
    )),
    # BPTT never passes dx down to the layer below.
    "classifier_no_dx_down": ("models/rnn_classifier.py", (
        ("                if i != 0:\n                    dh[i - 1] += dx\n", ""),
    )),
    # dh returned as the sum over the batch (no / batch_size).
    "classifier_dh_not_averaged": ("models/rnn_classifier.py", (
        ("return dh / batch_size", "return dh"),
    )),
    # CTCLoss.backward's dY with the wrong sign (+γ/y instead of −γ/y).
    "ctc_loss_dy_sign": ("CTC/CTC.py", (
        ("dY[t, b, ext[r]] -= gamma", "dY[t, b, ext[r]] += gamma"),
    )),
}


def _checkout(tmp_path: Path, bug: str | None = None) -> Path:
    """A copy of tests/mytorch_hw3_impls/correct in tmp_path, with BUGS[bug] applied."""
    return checkout(tmp_path, bug or "correct", dict([BUGS[bug]]) if bug else None)


def _check(tmp_path: Path, impl: Path, *args: str, ops: tuple[str, ...] = HW3_OPS
           ) -> tuple[int, dict]:
    out = tmp_path / "report.json"
    code = main(["check", "--api", "mytorch", "--impl", str(impl), "--cases", CASES,
                 "--ops", ",".join(ops), "--report", str(tmp_path / "r"), "--json", str(out),
                 *args])
    return code, json.loads(out.read_text())


def _failing(report: dict) -> set[str]:
    return {f"{r['op']} {r['output']}" for r in report["results"] if r["status"] != "pass"}


def _item(report: dict, op: str, output: str) -> dict:
    return next(r for r in report["results"] if r["op"] == op and r["output"] == output)


# ---------------------------------------------------------------- the twins against torch
def _ctc_batch(seed: int) -> dict[str, np.ndarray]:
    op = get_op("mytorch:ctc_loss")
    case = next(c for i, c in enumerate(op.cases(8, seed)) if i == 2)
    return op.inputs(case)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_ctc_twins_agree_with_torchs_ctc_loss(seed: int) -> None:
    """P from α is exp(−F.ctc_loss); torch's gradient w.r.t. its log-probabilities is
    y − γ̃ (it assumes a log_softmax before it), so the handout's dY = −γ̃/y is that gradient
    ÷ y, minus 1, and its loss the expected divergence −Σ γ̃ log y, not −log P."""
    x = _ctc_batch(seed)
    y, target = x["logits"], x["target"]
    lengths, target_lengths = x["input_lengths"], x["target_lengths"]
    B = len(target)
    ctc = twins.CTC()
    for b in range(B):
        ext, skip = ctc.extend_target_with_blank(target[b, :target_lengths[b]])
        alpha = ctc.get_forward_probs(y[:lengths[b], b], ext, skip)
        beta = ctc.get_backward_probs(y[:lengths[b], b], ext, skip)
        P = alpha[-1, -2:].sum()
        assert np.allclose((alpha * beta).sum(axis=1), P)   # the same P at every step
        nll = F.ctc_loss(torch.log(torch.tensor(y[:lengths[b], b:b + 1])),
                         torch.tensor(target[b:b + 1, :target_lengths[b]]),
                         torch.tensor(lengths[b:b + 1]), torch.tensor(target_lengths[b:b + 1]),
                         reduction="sum")
        assert np.isclose(-np.log(P), nll.item())

    log_probs = torch.log(torch.tensor(y)).requires_grad_()
    F.ctc_loss(log_probs, torch.tensor(target), torch.tensor(lengths),
               torch.tensor(target_lengths), reduction="sum").backward()
    assert log_probs.grad is not None
    steps = np.arange(len(y))[:, None] < lengths[None, :]          # (T, B): t < input_length
    gamma = np.where(steps[..., None], y - log_probs.grad.numpy(), 0.0)   # γ̃, summed over r
    loss = twins.CTCLoss()
    divergence = loss.forward(y, target, lengths, target_lengths)
    assert np.isclose(divergence, -(gamma * np.log(y)).sum() / B)
    assert np.allclose(loss.backward(), -gamma / y)


def test_the_gru_twin_is_torchs_gru_cell_with_its_gates_stacked_r_z_n() -> None:
    x = get_op("mytorch:gru_cell").inputs(next(iter(get_op("mytorch:gru_cell").cases(1))))
    h = len(x["h_prev_t"])
    cell = torch.nn.GRUCell(len(x["x"]), h).double()
    with torch.no_grad():
        for name, parts in (("weight_ih", "Wrx Wzx Wnx"), ("weight_hh", "Wrh Wzh Wnh"),
                            ("bias_ih", "brx bzx bnx"), ("bias_hh", "brh bzh bnh")):
            getattr(cell, name).copy_(torch.tensor(np.concatenate([x[p] for p in parts.split()])))
    inputs = torch.tensor(x["x"])[None].requires_grad_()
    hidden = torch.tensor(x["h_prev_t"])[None].requires_grad_()
    out = cell(inputs, hidden)
    out.backward(torch.tensor(x["delta"])[None])
    twin = twins.GRUCell(len(x["x"]), h)
    twin.init_weights(*(x[name] for name in rnn_cases.GRU_WEIGHTS))
    assert np.allclose(twin.forward(x["x"], x["h_prev_t"]), out.detach().numpy()[0])
    dx, dh = twin.backward(x["delta"])
    assert inputs.grad is not None and hidden.grad is not None and cell.weight_hh.grad is not None
    assert np.allclose(dx, inputs.grad.numpy()[0]) and np.allclose(dh, hidden.grad.numpy()[0])
    assert np.allclose(twin.dWnh, cell.weight_hh.grad.numpy()[2 * h:])


def test_the_rnn_twins_backward_reads_tanh_from_the_h_t_it_is_given() -> None:
    """Not from its last forward: dz = delta·(1 − h_t²); the weights' gradients are batch
    means and add up over calls."""
    x = get_op("mytorch:rnn_cell").inputs(next(iter(get_op("mytorch:rnn_cell").cases(1))))
    cell = twins.RNNCell(*x["W_ih"].shape[::-1])
    cell.init_weights(x["W_ih"], x["W_hh"], x["b_ih"], x["b_hh"])
    cell.forward(x["x_2"], x["h_prev_t_2"])   # another step's forward
    dx, dh = cell.backward(x["delta"], x["h_t"], x["x"], x["h_prev_t"])
    dz = x["delta"] * (1 - x["h_t"] ** 2)
    assert np.allclose(dx, dz @ x["W_ih"]) and np.allclose(dh, dz @ x["W_hh"])
    cell.backward(x["delta"], x["h_t"], x["x"], x["h_prev_t"])
    assert np.allclose(cell.dW_ih, 2 * dz.T @ x["x"] / len(dz))


# ---------------------------------------------------------------- the cases
def test_ctc_cases_have_paths_and_skips_both_taken_and_not() -> None:
    for name in ("ctc_forward_probs", "ctc_loss"):
        op = get_op(f"mytorch:{name}")
        for case in op.cases(20, seed=3):
            x = op.inputs(case)
            if "logits" in x:
                assert np.allclose(x["logits"].sum(axis=-1), 1.0)   # probabilities
            target = x["target"] if x["target"].ndim == 1 else x["target"][0]
            same = target[1:] == target[:-1]
            if len(target) >= 3 and int(case.p["symbols"]) >= 3:
                assert same.any() and (~same).any(), case.id
    op = get_op("mytorch:ctc_posterior")
    for case in op.cases(10):
        x = op.inputs(case)
        both = x["alpha"] * x["beta"]
        assert np.allclose(both.sum(axis=1), x["alpha"][-1, -2:].sum())   # as real ones


@pytest.mark.parametrize("op", HW3_OPS)
def test_every_case_and_every_shrunk_variant_builds(op: str) -> None:
    """Shrinking and ablation propose only what `valid` accepts, and that builds (as
    tests/test_cases.py asks of HW6's ops); the edge cases come first: T = 1, a batch of 1."""
    spec = get_op(op)
    for seed in (0, 1):
        for case in spec.cases(25, seed=seed):
            assert spec.family.valid(case.p), case.id
            for variant in (*variants(case, spec.family),
                            *(case.replace(**changes) for _, changes in
                              _param_variants(spec, case))):
                if spec.family.valid(variant.p):
                    build_inputs(spec.family, variant)
                else:
                    with pytest.raises(UnbuildableCase):
                        build_inputs(spec.family, variant)
    smallest = list(spec.cases(2))[1].p
    assert smallest.get("t", 1) == 1 and smallest.get("n", 1) == 1 \
        and smallest.get("batch", 1) == 1


def test_a_cell_backward_that_returns_one_array_is_told_what_the_handout_returns() -> None:
    call = Call("backward", ("delta",), ("dX", "dh"), ("dx", "dh_prev_t"))
    with pytest.raises(TypeError, match=r"returned a ndarray; .* 2 values \(dx, dh_prev_t\)"):
        _values(call, np.zeros(3))
    assert _values(call, (1, 2)) == (1, 2)


# ---------------------------------------------------------------- implementations
def test_the_bundled_mytorch_passes_hw3p1(tmp_path: Path) -> None:
    code, report = _check(tmp_path, BUNDLED)
    assert code == 0 and not _failing(report)
    assert {r["op"] for r in report["results"]} == set(HW3_OPS)


def test_a_fall_2024_checkout_is_found_beside_mytorch_and_passes(tmp_path: Path) -> None:
    impl = _checkout(tmp_path)
    assert LOADER.module_files(impl / "mytorch")["CTC"] == impl / "CTC" / "CTC.py"
    code, report = _check(tmp_path, impl)
    assert code == 0, _failing(report)
    assert report["edition"]["name"] == "hw3p1"
    assert report["modules"]["CTC"]["reason"] == "graded: ../CTC/CTC.py"
    assert {r["op"] for r in report["results"]} == set(HW3_OPS)


RNN_GRADS = {f"mytorch:rnn_cell {g}" for g in ("dW_ih", "dW_hh", "db_ih", "db_hh")}


def test_gru_gates_swapped_fail_its_forward(tmp_path: Path) -> None:
    _, report = _check(tmp_path, _checkout(tmp_path, "gru_rz_swapped"))
    failing = _failing(report)
    assert "mytorch:gru_cell forward" in failing
    assert {f.split()[0] for f in failing} == {"mytorch:gru_cell"}
    entry, = report["fix_list"]
    assert entry["open"] == "mytorch/gru_cell.py · GRUCell.forward"
    assert "worst at h=" in entry["message"]


def test_rnn_gradients_not_averaged_fail_exactly_the_weights(tmp_path: Path) -> None:
    _, report = _check(tmp_path, _checkout(tmp_path, "rnn_no_batch_mean"))
    assert _failing(report) == RNN_GRADS
    entry, = report["fix_list"]
    assert entry["code"] == "factor_tracks" and "batch mean is missing" in entry["message"]
    assert entry["open"] == "mytorch/rnn_cell.py · RNNCell.backward (self.dW_ih)"
    for case in _item(report, "mytorch:rnn_cell", "dW_ih")["failed_cases"]:
        assert "n=1," not in case   # a batch of one has nothing to average


def test_ctc_without_skip_connections_fails_the_forward_probabilities(tmp_path: Path) -> None:
    _, report = _check(tmp_path, _checkout(tmp_path, "ctc_no_skip"))
    failing = _failing(report)
    # CTCLoss runs the student's CTC: rerun with the bundled CTC in its file, it passes
    assert failing == {"mytorch:ctc_forward_probs alpha"}
    loss = _item(report, "mytorch:ctc_loss", "forward")
    assert [d["op"] for d in loss["depends_on"]] == ["mytorch:ctc_forward_probs"]
    item = _item(report, "mytorch:ctc_forward_probs", "alpha")
    assert "worst at t=" in item["finding"]["message"] and " r=" in item["finding"]["message"]
    assert any(e["open"] == "CTC/CTC.py · CTC.get_forward_probs" for e in report["fix_list"])


def test_ctc_loss_backward_with_the_wrong_sign_fails_dy(tmp_path: Path) -> None:
    _, report = _check(tmp_path, _checkout(tmp_path, "ctc_loss_dy_sign"))
    assert _failing(report) == {"mytorch:ctc_loss dX"}
    entry, = report["fix_list"]
    assert entry["code"] == "sign_flip" and "opposite sign" in entry["message"]
    assert entry["open"] == "CTC/CTC.py · CTCLoss.backward"


CLASSIFIER = ("mytorch:rnn_classifier",)
CLASSIFIER_BUGS = {   # bug -> the outputs it fails (and the words its message has)
    "classifier_layer_1": ({"forward"}, "num_layers=3"),
    "classifier_below_off_by_one": ({"dW_ih_up"}, "layer-1="),
    "classifier_no_dx_down": ({"dh", "dW_ih", "dW_ih_up", "dW_hh", "db_ih", "db_hh"}, ""),
    "classifier_dh_not_averaged": ({"dh"}, "times the expected"),
}


@pytest.mark.parametrize("bug", sorted(CLASSIFIER_BUGS))
def test_classifier_bptt_bugs_fail_exactly_their_outputs(tmp_path: Path, bug: str) -> None:
    outputs, words = CLASSIFIER_BUGS[bug]
    code, report = _check(tmp_path, _checkout(tmp_path, bug), ops=CLASSIFIER)
    assert code == 1 and _failing(report) == {f"mytorch:rnn_classifier {o}" for o in outputs}
    first = _item(report, "mytorch:rnn_classifier", sorted(outputs)[0])
    assert words in json.dumps(first["finding"], ensure_ascii=False)


def test_the_classifier_is_not_charged_for_its_cells_bug(tmp_path: Path) -> None:
    # RNNCell's gradients not averaged: the classifier's gradients are wrong through it, but
    # its own BPTT is right: rerun with the bundled RNNCell, it passes
    impl = _checkout(tmp_path, "rnn_no_batch_mean")
    _, report = _check(tmp_path, impl, ops=("mytorch:rnn_cell", *CLASSIFIER))
    assert _failing(report) == RNN_GRADS
    dw = _item(report, "mytorch:rnn_classifier", "dW_hh")
    assert dw["status"] == "pass"
    assert [d["op"] for d in dw["depends_on"]] == ["mytorch:rnn_cell"]


def test_the_classifier_twin_is_torchs_multilayer_rnn_and_linear() -> None:
    rng = np.random.default_rng(3)
    n, t, d, h, o, layers = 3, 4, 2, 5, 3, 3
    rnn, linear = torch.nn.RNN(d, h, layers, batch_first=True).double(), \
        torch.nn.Linear(h, o).double()
    x, delta = rng.standard_normal((n, t, d)), rng.standard_normal((n, o))
    h0 = torch.zeros(layers, n, h, dtype=torch.float64, requires_grad=True)
    out, _ = rnn(torch.from_numpy(x), h0)
    logits = linear(out[:, -1])
    logits.backward(torch.from_numpy(delta))
    twin = twins.RNNPhonemeClassifier(d, h, o, layers)
    weights = [[getattr(rnn, f"{w}_l{layer}").detach().numpy()
                for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
               for layer in range(layers)]
    twin.init_weights(weights, [linear.weight.detach().numpy(), linear.bias.detach().numpy()])
    np.testing.assert_allclose(twin.forward(x), logits.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(twin.backward(delta), h0.grad.numpy() / n, rtol=1e-12)
    for layer, cell in enumerate(twin.rnn):
        for mine, theirs in (("dW_ih", "weight_ih"), ("dW_hh", "weight_hh"),
                             ("db_ih", "bias_ih"), ("db_hh", "bias_hh")):
            grad = getattr(rnn, f"{theirs}_l{layer}").grad.numpy()
            np.testing.assert_allclose(getattr(cell, mine), grad / n, rtol=1e-12)


def test_a_hw1p1_checkout_leaves_hw3p1_out(tmp_path: Path) -> None:
    package = tmp_path / "hw1" / "mytorch"
    shutil.copytree(BUNDLED, package, ignore=shutil.ignore_patterns(
        "__pycache__", "rnn_cell.py", "gru_cell.py", "CTC.py"))
    code, report = _check(tmp_path, package.parent,
                          ops=("mytorch:linear", "mytorch:rnn_cell", "mytorch:ctc_loss"))
    assert code == 0
    assert {r["op"] for r in report["results"]} == {"mytorch:linear"}
    skipped = {s["op"]: s["reason"] for s in report["skipped"]}
    assert "no RNNCell" in skipped["mytorch:rnn_cell"] and "no CTCLoss" in skipped[
        "mytorch:ctc_loss"]


def test_a_2022_23_gru_is_judged_by_its_years_row_vectors(tmp_path: Path) -> None:
    # GRUCell(in_dim, hidden_dim): that year's backward took delta (1, H) and returned
    # dx (1, D), dh_prev_t (1, H) (and called that year's handout activations)
    gru = {"mytorch/gru_cell.py": CELLS_2022_23["mytorch/gru_cell.py"]}
    impl = checkout(tmp_path, "correct", gru)
    (impl / "mytorch" / "nn" / "activation.py").write_text(HANDOUT_2022_23.read_text())
    code, report = _check(tmp_path, impl, ops=("mytorch:gru_cell",))
    assert report["edition"]["name"] == "hw3p1-2022-23"
    assert code == 0, _failing(report)


def test_row_vectors_from_a_gru_of_today_are_the_wrong_shape(tmp_path: Path) -> None:
    impl = checkout(tmp_path, "correct", {"mytorch/gru_cell.py": (
        ("return dx, dh_prev_t", "return dx.reshape(1, self.d), dh_prev_t.reshape(1, self.h)"),
    )})
    _, today = _check(tmp_path, impl, ops=("mytorch:gru_cell",))
    assert today["edition"]["name"] == "hw3p1"
    # (dh_prev_t's (1, H) passes as a broadcast-equal gradient under the homework profile)
    assert "mytorch:gru_cell dX" in _failing(today) <= {"mytorch:gru_cell dX",
                                                         "mytorch:gru_cell dh"}
    assert "wrong shape" in _item(today, "mytorch:gru_cell", "dX")["finding"]["message"]


# HW1P1's activation.py (2024 on, and 2022–23's): what a checkout that holds every homework
# has in nn/activation.py. Neither has the state= that HW3P1's handout Tanh takes; 2022–23's
# activations are not callable.
HW1_ACTIVATION = """import numpy as np


class Sigmoid:
    def forward(self, Z):
        self.A = 1 / (1 + np.exp(-Z))
        return self.A

    def backward(self, {arg}):
        return {dA}self.A * (1 - self.A)


class Tanh:
    def forward(self, Z):
        self.A = np.tanh(Z)
        return self.A

    def backward(self, {arg}):
        return {dA}(1 - self.A ** 2)
"""
HW1_2024 = HW1_ACTIVATION.format(arg="dLdA", dA="dLdA * ")
HW1_2022_23 = HW1_ACTIVATION.format(arg="", dA="").replace("(self, )", "(self)")
# The cells as a 2022–23 student writes them against that year's HW3P1 handout: activations
# called, their backward(state=...) (derivative() in Fall 2022) returning dA/dZ.
CELLS_2022_23 = {
    "mytorch/rnn_cell.py": (
        ("return self.activation.forward(z)", "return self.activation(z)"),
        ("dz = self.activation.backward(delta, state=h_t)",
         "dz = delta * self.activation.derivative(state=h_t)")),
    "mytorch/gru_cell.py": (
        ("def __init__(self, input_size, hidden_size):", "def __init__(self, in_dim, hidden_dim):"),
        ("h, d = hidden_size, input_size", "h, d = hidden_dim, in_dim"),
        ("self.d = input_size", "self.d = in_dim"), ("self.h = hidden_size", "self.h = hidden_dim"),
        ("self.r_act.forward(", "self.r_act("), ("self.z_act.forward(", "self.z_act("),
        ("self.h_act.forward(", "self.h_act("),
        ("dn = self.h_act.backward(delta * (1 - self.z), state=self.n)",
         "dn = delta * (1 - self.z) * self.h_act.backward(state=self.n)"),
        ("dz = self.z_act.backward(delta * (self.hidden - self.n))",
         "dz = delta * (self.hidden - self.n) * self.z_act.backward()"),
        ("dr = self.r_act.backward(dn * self.nh)", "dr = dn * self.nh * self.r_act.backward()"),
        ("return dx, dh_prev_t", "return dx.reshape(1, self.d), dh_prev_t.reshape(1, self.h)")),
}


@pytest.mark.parametrize("bug", [None, "rnn_no_batch_mean"])
def test_cells_run_with_hw3p1s_activation_not_the_hw1p1_one_a_checkout_has(
        tmp_path: Path, bug: str | None) -> None:
    # a checkout of every homework: nn/activation.py is HW1P1's, whose Tanh takes no state=
    impl = _checkout(tmp_path, bug)
    (impl / "mytorch" / "nn" / "activation.py").write_text(HW1_2024)
    code, report = _check(tmp_path, impl, ops=("mytorch:rnn_cell", "mytorch:gru_cell"))
    if bug is None:
        assert code == 0, _failing(report)
        note = _item(report, "mytorch:rnn_cell", "forward")["notes"]
        assert any("HW3P1's activation.py" in n for n in note)
    else:   # the cell's own bug is still found, and charged to it alone
        assert _failing(report) == {f"mytorch:rnn_cell {g}" for g in
                                    ("dW_ih", "dW_hh", "db_ih", "db_hh")}


def test_2022_23_cells_run_with_that_years_handout_activation(tmp_path: Path) -> None:
    impl = checkout(tmp_path, "correct", CELLS_2022_23)
    (impl / "mytorch" / "nn" / "activation.py").write_text(HW1_2022_23)
    code, report = _check(tmp_path, impl, ops=("mytorch:rnn_cell", "mytorch:gru_cell"))
    assert report["edition"]["name"] == "hw3p1-2022-23"
    assert code == 0, _failing(report)
    # run with today's handout instead, the same cells cannot even call their activations
    _, today = _check(tmp_path, impl, "--edition", "hw3p1", ops=("mytorch:rnn_cell",))
    assert "not callable" in _item(today, "mytorch:rnn_cell", "forward")["finding"]["message"]


def test_a_checkout_keeps_its_own_hw3p1_activation_py_even_edited(tmp_path: Path) -> None:
    # HW3P1's own activation.py (its Tanh takes BPTT's state), edited: Sigmoid's backward
    # takes a state too, which the student's GRUCell relies on
    impl = checkout(tmp_path, "correct", CELLS_2022_23)
    edited = HANDOUT_2022_23.read_text().replace(
        "    def derivative(self):\n        return self.state * (1 - self.state)",
        "    def derivative(self, state=None):\n"
        "        a = self.state if state is None else state\n        return a * (1 - a)")
    (impl / "mytorch" / "nn" / "activation.py").write_text(edited)
    gru = impl / "mytorch" / "gru_cell.py"
    gru.write_text(gru.read_text().replace("self.z_act.backward()", "self.z_act.backward(self.z)"))
    code, report = _check(tmp_path, impl, ops=("mytorch:gru_cell",))
    assert code == 0, _failing(report)   # with the stand-in, backward(self.z) would raise


def test_a_cell_keeps_activations_it_defines_in_its_own_file(tmp_path: Path) -> None:
    # Tanh written into rnn_cell.py (no nn/activation.py): it is the student's, and used
    impl = _checkout(tmp_path)
    rnn = impl / "mytorch" / "rnn_cell.py"
    (impl / "mytorch" / "nn" / "activation.py").unlink()
    rnn.write_text(rnn.read_text().replace(
        "from nn.activation import Tanh\n",
        "\n\nclass Tanh:\n    def forward(self, Z):\n        self.A = np.tanh(Z)\n"
        "        return self.A\n\n    def backward(self, dLdA, state=None):\n"
        "        return dLdA * (1 - state ** 3)\n"))
    _, report = _check(tmp_path, impl, ops=("mytorch:rnn_cell",))
    assert "mytorch:rnn_cell dX" in _failing(report)


def test_the_op_table_names_each_call_as_the_handout_does() -> None:
    rnn, loss = MYTORCH_OPS["mytorch:rnn_cell"], MYTORCH_OPS["mytorch:ctc_loss"]
    assert rnn.call_of("dh") == "RNNCell.backward (dh_prev_t, value 2 of 2)"
    assert rnn.call_of("dW_hh") == "RNNCell.backward (self.dW_hh)"
    assert loss.call_of("dX") == "CTCLoss.backward" and loss.scalar("forward")
    assert MYTORCH.edition(BUNDLED) is not None


def test_grading_charges_a_ctc_step_bug_to_the_step_alone(tmp_path: Path) -> None:
    # graded, the child holds no solution: the bundled CTC it runs CTCLoss with is a copy
    impl = _checkout(tmp_path, "ctc_no_skip")
    out = tmp_path / "out"
    assert main(["grade", str(impl), "--api", "mytorch", "--out", str(out),
                 "--workers", "1"]) in (0, 1)
    result = json.loads((out / impl.name / "result.json").read_text())
    scores = {t["name"]: (t["score"], t["max_score"]) for t in result["tests"]}
    alpha = next(v for k, v in scores.items() if k.startswith("ctc_forward_probs"))
    assert alpha[0] < alpha[1]
    assert all(score == top for k, (score, top) in scores.items() if k.startswith("ctc_loss"))


def test_a_classifier_beside_mytorch_at_the_checkouts_root(tmp_path: Path) -> None:
    # 2023's layout: rnn_classifier.py beside mytorch/, at the checkout's root
    impl = _checkout(tmp_path)
    (impl / "models" / "rnn_classifier.py").rename(impl / "rnn_classifier.py")
    assert LOADER.locate(impl) == impl / "mytorch"
    code, report = _check(tmp_path, impl, ops=("mytorch:rnn_classifier",))
    assert code == 0, _failing(report)
    assert report["modules"]["rnn_classifier"]["reason"] == "graded: ../rnn_classifier.py"


def test_another_apis_package_name_does_not_hide_what_is_beside_mytorch(tmp_path: Path) -> None:
    # an adapter whose package is "nn" registered in the same process (a pytest session, a
    # notebook): mytorch/nn is not that package, and CTC/ beside mytorch/ stays visible
    from dataclasses import replace

    from harness.core.registry import APIS
    APIS["nn_library"] = replace(MYTORCH, name="nn_library", package="nn")
    try:
        code, report = _check(tmp_path, _checkout(tmp_path), ops=("mytorch:ctc_extend",))
    finally:
        del APIS["nn_library"]
    assert code == 0, _failing(report)
