"""Which function holds a wrong value (harness/diagnosis/suspects.py, issue #27 point 1).

Spectrum-based localisation: failing and passing reruns of an op, with the lines of the
student's files each ran, rank the functions; the fix list opens a helper only when it
scores above the op's own method. Pure-function tests on hand-made runs over a small source
file, the child's line recorder, then `nnparity check` on a fixture whose bugs are in
helpers.
"""

from __future__ import annotations

import math
import re
import textwrap
from pathlib import Path

import pytest

from harness.core.verdict import _trace
from harness.diagnosis.suspects import (
    Score,
    _and,
    _Functions,
    _hands_over,
    ochiai,
    reached,
    shared,
    suspect,
)
from harness.sandbox.lines import LineTrace

FIXTURE = Path(__file__).resolve().parent / "report_fixtures" / "helper_bugs"

SOURCE = textwrap.dedent("""\
    def pad(X, p):
        if p == 0:
            return X
        return X + p

    def mean(w):
        return w.sum() / 2

    class Pool:
        def forward(self, X, p, mode):
            Xp = pad(X, p)
            if mode == "average":
                return mean(Xp)
            return Xp.max()

    def make_pool(mode):
        if mode == "average":
            return Pool()
        return Pool()
    """)
# lines of SOURCE: pad 1-4 (its padding line 4), mean 6-7, Pool.forward 10-14, make_pool 16-19
METHOD = [("m.py", n) for n in (10, 11)]
PAD_NONE = [("m.py", n) for n in (2, 3)]
PAD_SOME = [("m.py", n) for n in (2, 4)]
MAX = [("m.py", n) for n in (12, 14)]
AVERAGE = [("m.py", 12), ("m.py", 13), ("m.py", 7)]
MADE_AVERAGE = [("m.py", 17), ("m.py", 18)]
REACHED = {("m.py", "pad"), ("m.py", "mean")}   # what Pool.forward calls


@pytest.fixture
def functions(tmp_path: Path) -> _Functions:
    (tmp_path / "m.py").write_text(SOURCE)
    return _Functions(tmp_path)


def _suspect(runs, functions, reach=REACHED):
    return suspect(runs, "Pool.forward", reach, "pkg", functions)


def test_ochiai_is_one_for_a_line_run_by_every_failing_run_and_no_passing_one() -> None:
    assert ochiai(3, 0, 3) == 1.0
    assert ochiai(3, 3, 3) == pytest.approx(1 / math.sqrt(2))
    assert ochiai(0, 5, 3) == 0.0


def test_a_helper_run_only_by_the_failing_runs_is_opened(functions: _Functions) -> None:
    """Padded cases fail, unpadded pass: pad's padding line goes with failing."""
    runs = [(True, METHOD + PAD_SOME + MAX)] * 3 + [(False, METHOD + PAD_NONE + MAX)] * 3
    found = _suspect(runs, functions)
    assert found is not None
    assert (found["file"], found["function"], found["line"]) == ("pkg/m.py", "pad", 4)
    assert found["score"] == 1.0 and found["method_score"] < 1.0
    assert found["runs"] == {"failed": 3, "passed": 3}


def test_a_helper_every_run_calls_leaves_the_method_open(functions: _Functions) -> None:
    """Both pad's lines and the method's run in every case: the runs cannot tell them apart,
    so nothing is named beyond the method."""
    runs = [(True, METHOD + PAD_SOME + MAX)] * 2 + [(False, METHOD + PAD_SOME + MAX)] * 4
    assert _suspect(runs, functions) is None


def test_nothing_is_named_when_every_run_fails(functions: _Functions) -> None:
    runs = [(True, METHOD + PAD_SOME + AVERAGE)] * 4
    assert _suspect(runs, functions) is None


def test_a_helper_beats_the_branch_that_only_calls_it(functions: _Functions) -> None:
    """Average cases fail, max cases pass: the method's average branch and mean both score 1,
    and all the method does there is `return mean(Xp)`."""
    runs = [(True, METHOD + PAD_NONE + AVERAGE)] * 3 + [(False, METHOD + PAD_NONE + MAX)] * 3
    found = _suspect(runs, functions)
    assert found is not None and found["function"] == "mean"


def test_the_method_keeps_a_bug_on_its_own_failing_only_line(functions: _Functions) -> None:
    """Max cases fail through the method's own `Xp.max()` line, a line no passing run ran;
    pad and mean are run by passing runs too."""
    runs = [(True, METHOD + PAD_NONE + MAX)] * 3 + [(False, METHOD + PAD_NONE + AVERAGE)] * 3
    assert _suspect(runs, functions) is None


def test_a_function_the_method_never_reached_is_not_opened(functions: _Functions) -> None:
    """The factory that built the pool in average mode runs on exactly the failing cases,
    but the method never called it: it chose, it computed nothing."""
    runs = ([(True, MADE_AVERAGE + METHOD + PAD_NONE + AVERAGE)] * 3
            + [(False, METHOD + PAD_NONE + MAX)] * 3)
    assert _suspect(runs, functions)["function"] == "mean"
    assert _suspect(runs, functions, reach={("m.py", "pad")}) is None


def test_what_a_right_run_ran_is_cleared(functions: _Functions) -> None:
    """mean run by a passing check of another op scores below the method's own line."""
    runs = [(True, METHOD + PAD_NONE + AVERAGE)] * 3 + [(False, METHOD + PAD_NONE + MAX)] * 3
    cleared = runs + [(False, [("m.py", 7)])] * 6
    assert _suspect(cleared, functions) is None


def test_the_calls_say_what_a_method_reached() -> None:
    calls = {("m.py", "Pool.forward", "m.py", "pad"), ("m.py", "pad", "u.py", "helper"),
             ("m.py", "make_pool", "m.py", "Pool.__init__")}
    assert reached("Pool.forward", calls) == {("m.py", "pad"), ("u.py", "helper")}


def test_the_child_records_its_package_lines_and_calls_in_order(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text(
        "def f(x):\n    y = g(x) + 1\n    return y\n\n\ndef g(x):\n    return x\n")
    (tmp_path / "other.py").write_text("def h(f, x):\n    return f(x)\n")
    namespace: dict = {}
    for name in ("pkg/mod.py", "other.py"):
        path = tmp_path / name
        exec(compile(path.read_text(), str(path), "exec"), namespace)   # noqa: S102
    f, h = namespace["f"], namespace["h"]
    with LineTrace(tmp_path / "pkg") as trace:
        h(f, 1)                 # other.py is not the package's: f is called from nothing
        trace.cut("forward")
        h(len, [2])
        trace.cut("backward")
    assert trace.stages == {"forward": [("mod.py", 1), ("mod.py", 2), ("mod.py", 6),
                                        ("mod.py", 7), ("mod.py", 3)],
                            "backward": []}
    assert list(trace.calls) == [("mod.py", "f", "mod.py", "g")]


def test_the_parent_keeps_only_well_formed_traces() -> None:
    """The trace is the child's word: anything not shaped as (file, int) lines or
    four-name calls is dropped."""
    sent = {"lines": {"forward": [["a.py", 3], ["a.py", "x"], "junk", ["b.py", 4, 5]],
                      "backward": "no", "odd": [[1, 2]]},
            "calls": [["a.py", "f", "a.py", "g"], ["a.py", "f"], "junk"]}
    trace = _trace(sent)
    assert trace.lines == {"forward": [("a.py", 3)], "odd": [("1", 2)]}
    assert trace.calls == {("a.py", "f", "a.py", "g")}
    assert _trace({"lines": "nothing", "calls": {"a": 1}}).lines == {}


@pytest.fixture(scope="module")
def helper_bugs(failing_check) -> dict:
    return failing_check(FIXTURE / "neural_networks", "pool2d_max,pool2d_average", 20)


def test_the_fix_list_opens_the_helpers_that_hold_the_bugs(helper_bugs: dict) -> None:
    opens = {e["function"]: e for e in helper_bugs["fix_list"]}
    assert set(opens) == {"pad_image", "spread_average"}
    pad = opens["pad_image"]
    assert pad["open"].startswith("neural_networks/layers.py:19 · pad_image, called from "
                                  "Pool2D.forward")
    assert ("pool2d_max", "forward") in {(i["op"], i["output"]) for i in pad["items"]}
    spread = opens["spread_average"]
    assert spread["open"].startswith("neural_networks/layers.py:23 · spread_average, "
                                     "called from Pool2D.backward")
    assert [(i["op"], i["output"]) for i in spread["items"]] == [("pool2d_average", "dX")]


def test_an_op_whose_every_run_fails_names_nothing_whatever_others_clear(
        functions: _Functions) -> None:
    """Other ops' right runs clear lines, but only the op's own runs can tell its lines
    apart: a network whose every predict fails keeps its method."""
    runs = [(True, METHOD + PAD_SOME + AVERAGE)] * 3 + [(False, [("m.py", 2), ("m.py", 3)])] * 5
    assert suspect(runs, "Pool.forward", REACHED, "pkg", functions, own_runs=3) is None


def test_a_call_of_another_objects_method_is_no_hand_over(tmp_path: Path) -> None:
    """`self.loss.forward(...)` is the loss's forward, not the network's own `forward`."""
    (tmp_path / "n.py").write_text(textwrap.dedent("""\
        class Net:
            def forward(self, X):
                return X

            def predict(self, X, Y):
                Y_hat = self.forward(X)
                return Y_hat.argmax(1), self.loss.forward(Y_hat, Y)
        """))
    functions = _Functions(tmp_path)
    where = ("n.py", "Net.predict")
    assert _hands_over(where, [6], "Net.forward", functions)
    assert not _hands_over(where, [6, 7], "Net.forward", functions)


# ---------------------------------------------------------------- a helper several classes share
def _score(best: float) -> Score:
    return Score(best, (1,), 1.0)


def test_a_helper_behind_two_classes_wrong_values_is_their_common_cause() -> None:
    """tap is in every failing run of Conv2D.backward's dX and of Pool2D.forward, and scores
    highest over all of them: both go to it; pad2d, which right runs ran too, scores lower."""
    tap, pad = ("u.py", "tap"), ("u.py", "pad2d")
    candidates = {0: ("Conv2D.backward", {tap, pad}), 1: ("Pool2D.forward", {tap, pad})}
    score = {tap: _score(0.9), pad: _score(0.5), ("l.py", "Conv2D.backward"): _score(0.7),
             ("l.py", "Pool2D.forward"): _score(0.6)}
    assert shared(candidates, score, anchored={1}) == {0: tap, 1: tap}
    assert shared(candidates, score, anchored=set()) == {}   # nothing pointed below a method


def test_a_helper_behind_one_class_only_is_left_to_that_class() -> None:
    """Pool2D.forward and Pool2D.backward are one class: what they share says nothing more
    than one layer's runs do."""
    size = ("u.py", "out_size")
    candidates = {0: ("Pool2D.forward", {size}), 1: ("Pool2D.backward", {size})}
    assert shared(candidates, {size: _score(1.0)}, anchored={0, 1}) == {}


def test_a_shared_helper_needs_to_beat_the_items_other_candidates_and_method() -> None:
    tap, other = ("u.py", "tap"), ("u.py", "other")
    candidates = {0: ("Conv2D.backward", {tap, other}), 1: ("Pool2D.forward", {tap})}
    tied = {tap: _score(0.8), other: _score(0.8)}
    assert shared(candidates, tied, anchored={1}) == {1: tap}   # item 0 cannot tell them apart
    beaten = {tap: _score(0.8), ("l.py", "Pool2D.forward"): _score(0.9)}
    assert shared({1: candidates[1], 2: ("Conv2D.forward", {tap})}, beaten, {1}) == {2: tap}


SHARED = Path(__file__).resolve().parent / "report_fixtures" / "shared_helpers"


def _check(failing_check, name: str) -> dict:
    return failing_check(SHARED / name / "neural_networks", "conv2d,pool2d_max,pool2d_average",
                         30)


def test_a_helper_two_layers_share_is_opened_once_for_both(failing_check) -> None:
    """`window` ignores the stride, in Conv2D.forward and under Pool2D._max_pool: one entry,
    opening it, for every failing output of both layers. Conv2D's values name it (it
    returned a wrong window where what it was given was right); Pool2D's only point at
    `_max_pool`, beneath which the two layers' failing runs share `window`."""
    report = _check(failing_check, "window")
    entries = report["fix_list"]
    assert len(entries) == 1
    (entry,) = entries
    assert entry["function"] == "window"
    source = (SHARED / "window" / "neural_networks" / "layers.py").read_text().splitlines()
    line = source.index("def window(Xp, r, c, kh, kw, s):") + 2   # its one line
    assert entry["open"].startswith(f"neural_networks/layers.py:{line} · window, called from ")
    assert entry["open"].endswith(": it returned a wrong slice of the windows from right "
                                  "inputs")
    pool = next(i for i in report["results"]
                if (i["op"], i["output"]) == ("pool2d_max", "forward"))
    assert pool["finding"]["suspect"]["why"] == (
        "every failing run of Conv2D.forward and Pool2D.forward went through it: one bug "
        "here would explain them all")
    assert sorted(f"{i['op']} {i['output']}" for i in entry["items"]) == [
        "conv2d dW", "conv2d dX", "conv2d db", "conv2d forward", "pool2d_max forward"]


def test_the_helper_that_returned_the_wrong_sizes_is_opened(failing_check) -> None:
    """Every case fails through `out_size` (no right run to learn from): the output's wrong
    sizes are what out_size returned from the case's own sizes."""
    entries = _check(failing_check, "out_size")["fix_list"]
    assert len(entries) == 1   # max pooling's backward raises on the argmax forward cached
    first = entries[0]
    assert first["function"] == "out_size"
    assert re.search(r"out_size, called from Pool2D\.forward: it returned (\d), the wrong size "
                     r"of the forward output \(it should be (\d)\)$", first["open"])
    size = re.search(r"returned (\d).*should be (\d)", first["open"])
    assert int(size[2]) == int(size[1]) + 1   # the +1 it forgot
    assert sorted(f"{i['op']} {i['output']}" for i in first["items"]) == [
        "pool2d_average forward", "pool2d_max dX", "pool2d_max forward"]


def test_the_methods_a_shared_helper_explains_read_as_a_list() -> None:
    assert _and(["Conv2D.forward"]) == "Conv2D.forward"
    assert _and(["A.f", "B.g", "C.h"]) == "A.f, B.g and C.h"
