"""The wrong formulas of HW3P1's CTC code (harness/apis/mytorch/ctc_formulas.py): the
catalogue's right way is the twin, every row is recognised as itself, and each of BUGS, an
edit of the handout-style checkout tests/mytorch_hw3_impls/correct, fails exactly the items
named here, each with the catalogued diagnosis on top (CTCLoss runs the student's own CTC, so
a step's mistake is named in the loss and dY too, with the step it is in)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from formula_models import (
    assert_right_outputs_are_not_named,
    assert_right_way_is_the_twin,
    catalogue_cases,
    recognitions,
)
from hw3_checkouts import checkout

from harness.apis.mytorch.ctc_formulas import CATALOGUE, MISTAKES, OUTPUTS, RIGHT_WAY
from harness.cli import main
from harness.core.registry import get_op

CTC_OPS = tuple(f"mytorch:ctc_{name}" for name in ("extend", "forward_probs",
                                                   "backward_probs", "posterior", "loss"))
LOSS = frozenset({"ctc_loss forward", "ctc_loss dX"})
IN_LOSS = "which CTCLoss runs"   # what a loss item of a step's mistake adds
Edits = tuple[tuple[str, str], ...]

# The handout-style CTC/CTC.py's lines each bug edits.
ALPHA_STEP = "alpha[t][r] = total * logits[t, extended_symbols[r]]"
BETA_STEPS = tuple(f"beta[t + 1][{r}] * logits[t + 1, extended_symbols[{r}]]"
                   for r in ("r", "r + 1", "r + 2"))
DY_STEP = "dY[t, b, ext[r]] -= gamma[t][r] / logits_b[t, ext[r]]"
NORMALISED = "            gamma[t] /= sumgamma[t]\n"
DIVERGENCE = ("            for t in range(gamma.shape[0]):\n"
              "                for r in range(gamma.shape[1]):\n"
              "                    total_loss[b] -= gamma[t][r] * np.log(logits_b[t, ext[r]])\n")

# bug -> (its exact (old, new) edits of CTC/CTC.py, applied in order; the items it fails,
# "op output"; words of the diagnosis on top of each)
BUGS: dict[str, tuple[Edits, frozenset[str], str]] = {
    # [∅, s1, ∅, s2, ..., ∅, sL]: a blank before each symbol, none after the last
    "extend_no_trailing_blank": ((
        ("extended_symbols = [self.BLANK]\n", "extended_symbols = []\n"),
        ("            extended_symbols.append(symbol)\n"
         "            extended_symbols.append(self.BLANK)\n",
         "            extended_symbols.append(self.BLANK)\n"
         "            extended_symbols.append(symbol)\n"),
    ), frozenset({"ctc_extend extended", "ctc_extend skip"}) | LOSS,
        "the trailing blank is missing"),
    "extend_no_leading_blank": ((
        ("extended_symbols = [self.BLANK]\n", "extended_symbols = []\n"),
    ), frozenset({"ctc_extend extended", "ctc_extend skip"}) | LOSS,
        "the leading blank is missing"),
    # a skip at every symbol: the ext[r] != ext[r − 2] test left out
    "extend_skips_repeats": ((
        (" and extended_symbols[r] != extended_symbols[r - 2]", ""),
    ), frozenset({"ctc_extend skip"}) | LOSS, "a skip is allowed between two equal symbols"),
    "extend_never_skips": ((
        ("skip_connect[r] = 1", "skip_connect[r] = 0"),
    ), frozenset({"ctc_extend skip"}) | LOSS, "no skip is ever allowed"),
    "alpha_starts_at_blank": ((
        ("        alpha[0][1] = logits[0, extended_symbols[1]]\n", ""),
    ), frozenset({"ctc_forward_probs alpha"}) | LOSS,
        "the path may start at the first symbol too"),
    "alpha_no_skip": ((
        ("                if r >= 2 and skip_connect[r]:\n"
         "                    total += alpha[t - 1][r - 2]\n", ""),
    ), frozenset({"ctc_forward_probs alpha"}) | LOSS, "the skip term is missing"),
    # log y added where y multiplies, α[0] = log y[0]
    "alpha_adds_log": ((
        *((f"alpha[0][{r}] = logits[0, extended_symbols[{r}]]",
           f"alpha[0][{r}] = np.log(logits[0, extended_symbols[{r}]])") for r in (0, 1)),
        (ALPHA_STEP, "alpha[t][r] = total + np.log(logits[t, extended_symbols[r]])"),
    ), frozenset({"ctc_forward_probs alpha"}) | LOSS,
        "probabilities and log-probabilities are mixed"),
    "beta_ends_at_blank": ((
        ("        beta[T - 1][S - 2] = 1\n", ""),
    ), frozenset({"ctc_backward_probs beta"}) | LOSS,
        "the path may end at the last symbol too"),
    "beta_no_skip": ((
        ("                if r + 2 < S and skip_connect[r + 2]:\n"
         f"                    total += {BETA_STEPS[2]}\n", ""),
    ), frozenset({"ctc_backward_probs beta"}) | LOSS, "the skip term is missing"),
    # β[t] from y[t]: the backward recursion misaligned by one step
    "beta_own_step": (tuple(
        (step, step.replace("logits[t + 1,", "logits[t,")) for step in BETA_STEPS
    ), frozenset({"ctc_backward_probs beta"}) | LOSS, "β is misaligned by one step"),
    # torch's (and the lecture's) β: β[t] includes y[t]
    "beta_includes_y": ((
        *((f"beta[T - 1][S - {k}] = 1", f"beta[T - 1][S - {k}] = logits[T - 1, "
           f"extended_symbols[S - {k}]]") for k in (1, 2)),
        *((step, step.split(" * ")[0]) for step in BETA_STEPS),
        ("beta[t][r] = total\n", "beta[t][r] = total * logits[t, extended_symbols[r]]\n"),
    ), frozenset({"ctc_backward_probs beta"}) | LOSS, "β[t] must not include y[t]"),
    "gamma_not_normalised": ((
        (NORMALISED, ""),
    ), frozenset({"ctc_posterior gamma"}) | LOSS, "γ is not normalised"),
    "gamma_over_everything": ((
        (NORMALISED, ""), ("        return gamma\n", "        return gamma / np.sum(gamma)\n"),
    ), frozenset({"ctc_posterior gamma"}) | LOSS, "normalised over every step at once"),
    "gamma_over_time": ((
        (NORMALISED, ""),
        ("        return gamma\n", "        return gamma / np.sum(gamma, axis=0)\n"),
    ), frozenset({"ctc_posterior gamma"}) | LOSS, "normalised over the time steps (axis 0)"),
    # torch's loss: −log P
    "loss_nll": ((
        (DIVERGENCE, "            total_loss[b] = -np.log(alpha[-1][-1] + alpha[-1][-2])\n"),
    ), frozenset({"ctc_loss forward"}), "that is torch's CTC loss"),
    "loss_without_log": ((
        ("gamma[t][r] * np.log(logits_b[t, ext[r]])", "gamma[t][r] * logits_b[t, ext[r]]"),
    ), frozenset({"ctc_loss forward"}), "the log is missing"),
    "loss_summed_over_batch": ((
        ("return np.sum(total_loss) / B", "return np.sum(total_loss)"),
    ), frozenset({"ctc_loss forward"}), "the loss is their mean over the batch"),
    # input_lengths never used: every sequence runs over the padding steps too
    "loss_not_cut": ((
        ("logits_b = logits[:input_lengths[b], b, :]", "logits_b = logits[:, b, :]"),
        ("logits_b = self.logits[:self.input_lengths[b], b, :]",
         "logits_b = self.logits[:, b, :]"),
        ("for t in range(self.input_lengths[b]):", "for t in range(T):"),
    ), LOSS, "sequence b has input_lengths[b] steps: cut it"),
    "dy_overwrites": ((
        (DY_STEP, "dY[t, b, ext[r]] = -gamma[t][r] / logits_b[t, ext[r]]"),
    ), frozenset({"ctc_loss dX"}), "gets only its last r's term"),
    "dy_without_y": ((
        (DY_STEP, "dY[t, b, ext[r]] -= gamma[t][r]"),
    ), frozenset({"ctc_loss dX"}), "the ÷ y is missing"),
    # torch's gradient w.r.t. the logits before a softmax: y − γ
    "dy_softmax": ((
        (DY_STEP, "dY[t, b, ext[r]] -= gamma[t][r]"),
        ("            for t in range(self.input_lengths[b]):\n",
         "            for t in range(self.input_lengths[b]):\n"
         "                dY[t, b] += logits_b[t]\n"),
    ), frozenset({"ctc_loss dX"}), "gradient w.r.t. the logits before a softmax"),
    "dy_over_batch": ((
        ("        return dY\n", "        return dY / B\n"),
    ), frozenset({"ctc_loss dX"}), "dY is not divided by the batch size"),
}



def _checkout(tmp_path: Path, bug: str | None = None) -> Path:
    """A copy of tests/mytorch_hw3_impls/correct in tmp_path, CTC/CTC.py with BUGS[bug]."""
    return checkout(tmp_path, bug or "correct", {"CTC/CTC.py": BUGS[bug][0]} if bug else None)


def _check(tmp_path: Path, impl: Path) -> tuple[int, dict]:
    out = tmp_path / "report.json"
    code = main(["check", "--api", "mytorch", "--impl", str(impl), "--ops", ",".join(CTC_OPS),
                 "--cases", "6", "--report", str(tmp_path / "r"), "--json", str(out)])
    return code, json.loads(out.read_text())


def _items(report: dict) -> dict[str, dict]:
    return {f"{r['op'].partition(':')[2]} {r['output']}": r for r in report["results"]}


def _failing(report: dict) -> dict[str, dict]:
    return {key: r for key, r in _items(report).items() if r["status"] != "pass"}


def _top(item: dict) -> dict:
    return item["finding"]["diagnosis"][0]


# ---------------------------------------------------------------- the catalogue
@pytest.mark.parametrize("op", CTC_OPS)
def test_the_catalogues_right_way_is_the_twin(op: str) -> None:
    assert_right_way_is_the_twin(op, OUTPUTS[op], RIGHT_WAY, cases=30)


@pytest.mark.parametrize("op", CTC_OPS)
def test_every_ctc_formula_is_recognised_as_itself(op: str) -> None:
    """Where a row differs from the twin it is named, or a row before it that computes the
    same values there is (a skip read at r never reaches r + 2 on a short target: it is then
    no skip at all); and it is named itself somewhere. A right output is never named."""
    cases = catalogue_cases(op, 40, seed=4)
    for formula in CATALOGUE[op]:
        _, named = recognitions(op, formula, cases, rtol=1e-7, atol=0)
        assert named, f"{formula.computes} is never named"
    assert_right_outputs_are_not_named(op, cases, get_op(op).outputs)


def test_every_step_mistake_is_also_a_row_of_the_loss() -> None:
    # each variant of a step, in the words of its first row (CTCLoss runs the student's steps)
    loss = CATALOGUE["mytorch:ctc_loss"]
    first: dict[object, str] = {}
    for op, _, how, _, wrong in MISTAKES:
        if op != "mytorch:ctc_loss":
            first.setdefault(how, wrong)
    assert set(first.values()) <= {f.wrong.partition(" (in ")[0] for f in loss}
    assert {f.output for f in loss} == {"forward", "dX"}


# ---------------------------------------------------------------- check, end to end
def test_a_correct_checkout_gets_no_ctc_diagnosis(tmp_path: Path) -> None:
    code, report = _check(tmp_path, _checkout(tmp_path))
    assert code == 0 and not _failing(report)
    assert {r["op"] for r in report["results"]} == set(CTC_OPS)
    assert not report["fix_list"]


# Items whose diagnosis is not the bug's words: the skips of an extension that lost a blank
# are the same, whichever end lost it, on a target without two different neighbours (one row
# names both ends); the extended output of the same method names the end.
NAMED_BY_ANOTHER_OUTPUT = {"extend_no_trailing_blank": {"ctc_extend skip"},
                           "extend_no_leading_blank": {"ctc_extend skip"}}


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_each_bug_fails_exactly_its_items_with_the_catalogued_diagnosis(
        bug: str, tmp_path: Path) -> None:
    _, expected, words = BUGS[bug]
    code, report = _check(tmp_path, _checkout(tmp_path, bug))
    failing = _failing(report)
    # a step's bug is charged to the step alone: CTCLoss, rerun with the bundled CTC in its
    # file, passes on its own code (the loss's rows name a step's mistake where a CTCLoss
    # computes the recursions itself)
    charged = expected - LOSS or expected
    assert code == 1 and set(failing) == charged, sorted(failing)
    steps = {f"mytorch:{key.split()[0]}" for key in charged}
    for key in expected - charged:
        item = _items(report)[key]
        assert item["status"] == "pass" and {d["op"] for d in item["depends_on"]} <= steps
    for key, item in failing.items():
        if key in NAMED_BY_ANOTHER_OUTPUT.get(bug, ()):
            continue
        top = _top(item)
        assert top["code"] == "wrong_formula", (key, item["finding"]["diagnosis"])
        assert words in top["message"] and IN_LOSS not in top["message"], (key, top["message"])
    opens = {e["open"].partition(" (")[0] for e in report["fix_list"]}   # (which value)
    assert opens == {f"CTC/CTC.py · {get_op(item['op']).function(item['output'], detail=False)}"
                     for item in failing.values()}
