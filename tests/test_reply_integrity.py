"""Issue #21 point 2: verdicts from the bytes the child sends, not from what it says.

The sandboxed child runs in the submission's own process, so a submission can rewrite any
answer it sends (tests/submissions/forges_reply does, graded in tests/test_grading.py). Here
a real answer of the child is tampered with the way such a submission would, and the parent
judges it (`harness.check.checker.received`): a claim never earns what the bytes do not, and
a missing piece (an array, a copy of the inputs, a created parameter) fails the output."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from harness.check.checker import Checker, _Prepared
from harness.core.conventions import get_profile
from harness.core.registry import get_op
from harness.core.verdict import Verdict

Answer = tuple[dict, dict[str, np.ndarray]]
SUBMISSIONS = Path(__file__).parent / "submissions"


@pytest.fixture(scope="module")
def checker():
    with Checker(profile=get_profile("strict")) as c:
        yield c


def judged(checker: Checker, op: str, tamper: Callable[[dict, dict], None] = lambda h, a: None
           ) -> dict[str, Verdict]:
    """One case of `op` run by student_nn in its child, its answer tampered, then judged."""
    spec = checker.spec_of(get_op(op))
    case = next(iter(spec.cases(1, 0)))
    run = _Prepared.of(spec, case)
    header, arrays = checker.sandbox_for(spec, case).run(run.request, run.inputs)
    header, arrays = copy.deepcopy(header), dict(arrays)
    tamper(header, arrays)
    return checker._verdicts(spec, run, (header, arrays))


def test_an_honest_answer_passes(checker) -> None:
    for op in ("sigmoid", "fully_connected", "cross_entropy"):
        assert all(v.passed for v in judged(checker, op).values()), op


def _as(dtype: str) -> Callable[[dict, dict], None]:
    def tamper(header: dict, arrays: dict) -> None:
        arrays["out/forward"] = arrays["out/forward"].astype(dtype)
        header["outputs"]["forward"].update(dtype="float64", complex=False,
                                            type="numpy.ndarray")
    return tamper


@pytest.mark.parametrize(("dtype", "says"), [
    ("float32", "returned dtype float32; the contract is float64"),
    ("complex128", "returned dtype complex128; the contract is float64 (the values match "
                   "within tolerance (its real part matches))"),
    ("int64", "mismatched elements")])
def test_the_dtype_is_read_from_the_bytes_not_from_the_claim(checker, dtype, says) -> None:
    forward = judged(checker, "sigmoid", _as(dtype))["forward"]
    assert forward.status == "fail" and says in forward.message


@pytest.mark.parametrize(("tamper", "says"), [
    (lambda h, a: a.pop("out/forward"),
     "Sigmoid.forward returned a numpy.ndarray, but no array of it came back"),
    (lambda h, a: (a.pop("out/forward"), h["outputs"].pop("forward")),
     "Sigmoid.forward: no value came back"),
    (lambda h, a: a.update({"out/forward": np.array(["0.5"] * 4)}),
     "Sigmoid.forward returned a numpy.ndarray, but no array of it came back"),
    (lambda h, a: h.update(outputs="forged", errors=["forged"]),
     "Sigmoid.forward: no value came back"),
], ids=["no array", "no value", "not numeric", "malformed header"])
def test_an_output_without_its_array_is_a_protocol_error(checker, tamper, says) -> None:
    forward = judged(checker, "sigmoid", tamper)["forward"]
    assert forward.status == "error" and forward.message.startswith(says)
    assert "(not compared: the sandboxed process's answer is incomplete)" in forward.message


def _without(prefix: str, stage_list: list[str] | None = None) -> Callable[[dict, dict], None]:
    def tamper(header: dict, arrays: dict) -> None:
        for name in [n for n in arrays if n.startswith(prefix)]:
            del arrays[name]
        header["snapshots"] = stage_list or ["forward", "backward"]   # claims: not read
    return tamper


@pytest.mark.parametrize(("prefix", "failed"), [
    ("after/backward/", {"dX", "dW", "db"}),
    ("after/forward/", {"forward", "dX", "dW", "db"}),
    ("after/backward/dY", {"dX", "dW", "db"})])
def test_no_copy_of_the_inputs_after_a_call_fails_what_it_computed(checker, prefix,
                                                                   failed) -> None:
    verdicts = judged(checker, "fully_connected", _without(prefix))
    assert {o for o, v in verdicts.items() if not v.passed} == failed
    for output in failed:
        assert verdicts[output].status == "error"
        assert "no copy of the inputs after the call came back" in verdicts[output].message


def test_a_loss_function_computes_both_values_in_its_forward(checker) -> None:
    """CS231n's softmax_loss returns (loss, dx) from one call: dX needs only the copies made
    after that call, and an honest child sends no others."""
    with Checker(api="cs231n", profile=get_profile("strict")) as c:
        assert all(v.passed for v in judged(c, "cs231n:softmax_loss").values())
        verdicts = judged(c, "cs231n:softmax_loss", _without("after/forward/"))
    assert {v.status for v in verdicts.values()} == {"error"}


def test_created_shapes_come_from_the_created_arrays(checker) -> None:
    def claim_but_send_none(header: dict, arrays: dict) -> None:
        header["created"] = {k: list(arrays.pop(f"created/{k}").shape) for k in ("W", "b")}

    def send_transposed(header: dict, arrays: dict) -> None:
        header["created"] = {"W": list(arrays["created/W"].shape)}
        arrays["created/W"] = arrays["created/W"].T

    forward = judged(checker, "fully_connected", claim_but_send_none)["forward"]
    assert forward.status == "fail" and "created no W array (none came back" in forward.message
    forward = judged(checker, "fully_connected", send_transposed)["forward"]
    assert forward.status == "fail" and "created W with shape (2, 3)" in forward.message


def test_a_type_name_lie_earns_what_an_honest_asarray_would(checker) -> None:
    """The name of the returned type is the child's word (the parent sees bytes): a list
    described as an ndarray is judged as `np.asarray(list)` returned honestly would be."""
    def list_sent_as_ndarray(header: dict, arrays: dict) -> None:
        header["outputs"]["forward"]["type"] = "numpy.ndarray"

    def list_told_truly(header: dict, arrays: dict) -> None:
        header["outputs"]["forward"]["type"] = "builtins.list"

    lie = judged(checker, "tanh", list_sent_as_ndarray)["forward"]
    honest_asarray = judged(checker, "tanh")["forward"]
    truth = judged(checker, "tanh", list_told_truly)["forward"]
    assert lie.passed and honest_asarray.passed
    assert truth.status == "fail" and "returned a builtins.list" in truth.message


def test_the_forging_submission_earns_nothing_its_bytes_do_not(tmp_path) -> None:
    """tests/submissions/forges_reply rewrites every reply of its child: a float32 Sigmoid
    claimed float64, the copies of dY hidden after an in-place ReLU.backward, a transposed W
    claimed right and not sent. Strict profile: each fails; what its bytes earn passes."""
    with Checker(SUBMISSIONS / "forges_reply", profile=get_profile("strict")) as c:
        got = {(op, o): v for op in ("sigmoid", "tanh", "relu", "fully_connected")
               for case in get_op(op).cases(2, 0) for o, v in c.check(get_op(op), case).items()
               if not v.passed}
    assert set(got) >= {("sigmoid", "forward"), ("relu", "dX"),
                                ("fully_connected", "forward")}
    assert not set(got) & {("tanh", "forward"), ("relu", "forward"),
                                   ("fully_connected", "dX")}
    assert "returned dtype float32" in got["sigmoid", "forward"].message
    assert "no copy of the inputs after the call" in got["relu", "dX"].message
    assert "created no W array" in got["fully_connected", "forward"].message
