"""Issue #21 point 3: every output compared or counted as failed.

An item earns points only for the entries of its outputs that were compared and matched: an
exception in one phase of a case fails every output of that case computed after it, saying
so in the same words (one bug in the fix list), and an entry that simply did not come back
fails. Whole models run step 2 even when step 1 raised (its parameters are the case's
again), so a forward wrong from its second call is compared and fails.
(Dropout's draw, the other half of the point: tests/test_dropout_law.py and
tests/test_cs231n_api.py.)"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from test_reply_integrity import judged as tampered

from harness.check.checker import Checker
from harness.check.session import run_checks
from harness.cli import main
from harness.core.registry import get_op
from harness.core.results import build_report
from harness.core.verdict import Verdict
from harness.diagnosis.fixlist import fix_list_of

TESTS = Path(__file__).parent
NETWORK_RUBRIC = """\
[rubric]
name = "network"
seed = 3
cases = 6
graded_modules = ["models"]
missing_module = "bundled"
refuse_imports = ["torch"]
investigate = 0

[[item]]
op = "network"
points = { forward = 2, loss = 2, gradients = 3, predict = 2, update = 1 }
"""


def test_a_network_that_stops_early_earns_only_what_was_compared(tmp_path, capsys) -> None:
    """tests/hostile/network_stops_early (update raises, forward wrong from its second call,
    predict returns None) had 9 of 10 points; graded beside a correct model and an honest one
    whose update alone raises."""
    rubric = tmp_path / "rubric.toml"
    rubric.write_text(NETWORK_RUBRIC)
    subs = [TESTS / "hostile" / "network_stops_early", TESTS / "model_impls" / "update_raises",
            TESTS / "submissions" / "correct"]
    assert main(["grade", *map(str, subs), "--rubric", str(rubric), "--out",
                 str(tmp_path / "out"), "--workers", "1", "--no-progress"]) == 0
    capsys.readouterr()
    got = {p.name: json.loads((tmp_path / "out" / p.name / "result.json").read_text())
           for p in subs}
    lost = {name: {t["name"] for t in r["tests"] if t["score"] < t["max_score"]}
            for name, r in got.items()}
    assert got["correct"]["score"] == 10 and not lost["correct"]
    assert got["network_stops_early"]["score"] == 0
    assert "step 2 forward: mismatched" in got["network_stops_early"]["reason"]
    # an update that raises costs the update; what was compared and matched keeps its points
    assert got["update_raises"]["score"] == 9
    assert lost["update_raises"] == {"network update"}


def _network_report(impl: Path) -> dict:
    with Checker(impl) as checker:
        records = list(run_checks(checker, [get_op("network")], 6, seed=0))
    return build_report(records, impl=impl.name, seed=0, profile="homework", tolerance="",
                        cases_per_op=6)


def test_outputs_an_earlier_phase_kept_from_being_computed_say_so_as_one_bug() -> None:
    """backward raises in step 1 (and 2): loss and gradients are its own outputs; update,
    computed after it, was not compared, in words that name the phase, and the fix list
    holds one bug whose root is the backward's loss."""
    report = _network_report(TESTS / "model_impls" / "backward_wrong_order")
    items = {r["output"]: r for r in report["results"]}
    assert items["forward"]["status"] == items["predict"]["status"] == "pass"
    update = items["update"]["finding"]
    assert update["message"].startswith("not compared: NeuralNetwork.backward raised in step 1")
    assert update["caused_by"] == {"op": "network", "output": "loss"}
    assert items["loss"]["finding"]["message"].startswith("step 1 backward raised")
    (entry,) = fix_list_of(report["results"])
    assert entry["root"] == {"op": "network", "output": "loss"}
    assert {i["output"] for i in entry["items"]} == {"loss", "gradients", "update"}


# ------------------------------------------------------------------ answers cut short
def judged(op: str, tamper: Callable[[dict, dict], None], impl: Path | None = None
           ) -> dict[str, Verdict]:
    """One case of `op` run in its child, its answer cut the way a child could cut it."""
    with Checker(impl) as checker:
        return tampered(checker, op, tamper)


def _drop(*prefixes: str) -> Callable[[dict, dict], None]:
    def tamper(header: dict, arrays: dict) -> None:
        for name in [n for n in arrays if n.startswith(prefixes)]:
            arrays.pop(name)
            header["outputs"].pop(name.removeprefix("out/"), None)
    return tamper


@pytest.mark.parametrize(("op", "prefixes", "failed", "says"), [
    ("network", ("out/forward/2",), {"forward"}, "step 2 forward: no value"),
    ("network", ("out/gradients/2/",), {"gradients"}, "no value"),
    ("network", ("out/predict/",), {"predict"}, "predict Y_hat: no value"),
    ("sgd", ("out/update/2/",), {"update"}, "step 2, parameter"),
    ("training", ("out/parameters/",), {"parameters"}, "not reached"),
    ("xavier_uniform", ("out/draws/all",), {"scale", "distribution"}, "no draws came back"),
])
def test_an_entry_that_did_not_come_back_fails_its_output(op, prefixes, failed, says) -> None:
    verdicts = judged(op, _drop(*prefixes))
    assert {o for o, v in verdicts.items() if not v.passed} == failed
    for output in failed:
        assert verdicts[output].status == "fail" and says in verdicts[output].message


def test_an_optimizer_that_raises_in_a_later_step_is_an_error_not_a_pass(tmp_path) -> None:
    package = tmp_path / "neural_networks"
    package.mkdir()
    (package / "optimizers.py").write_text(
        "from student_nn.optimizers import *  # noqa: F403\n"
        "from student_nn.optimizers import OPTIMIZERS\n"
        "from student_nn.optimizers import SGD as _SGD\n\n\n"
        "class SGD(_SGD):\n"
        "    def update(self, param_name, param, grad, epoch):\n"
        "        if epoch > 0:\n"
        "            raise RuntimeError('step two')\n"
        "        return super().update(param_name, param, grad, epoch)\n\n\n"
        "def initialize_optimizer(name, lr, **kwargs):\n"
        "    return {**OPTIMIZERS, 'sgd': SGD}[name](lr, **kwargs)\n")
    (update,) = judged("sgd", lambda h, a: None, tmp_path).values()
    # (its first step's deltas were compared and matched: the verdict is the exception's)
    assert update.status == "error", update.message
    assert update.message.startswith("update (step 2, ") and "RuntimeError: step two" in \
        update.message
