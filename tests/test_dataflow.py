"""Which function made the first wrong value (harness/diagnosis/dataflow.py, issue #27
point 1).

The values the student's functions were given and returned, compared with the PyTorch
twin's intermediate values, name the helper that made a wrong value from right ones, where
line coverage cannot tell a helper every case runs from its caller. Pure-function tests on
hand-made runs, the child's value recorder, the parent's check of what the child sent, the
HW6 table of intermediates against the twins, then `nnparity check` on a fixture whose bugs
are in helpers every case runs.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from harness.apis.hw6.intermediates import intermediates
from harness.core.cases import Case
from harness.core.conventions import Conventions
from harness.core.registry import find_op
from harness.core.twin import reference_outputs
from harness.core.verdict import Trace, Value, Verdict, _trace
from harness.diagnosis.dataflow import (
    Role,
    Run,
    called_after,
    equal,
    first_wrong,
    made_floats,
    made_wrong,
    made_wrong_output,
    made_wrong_size,
    maker,
    part_of,
    roles,
    went_wrong_before,
    went_wrong_in,
)
from harness.sandbox.lines import LineTrace

FIXTURE = Path(__file__).resolve().parent / "report_fixtures" / "helper_values"
CASE = Case.from_id("conv2d/n=1,h=2,w=2,cin=1,cout=1,k=1x1,s=1,pad=0,act=linear,seed=1")


def _verdicts(passed: bool) -> dict[str, Verdict]:
    status = "pass" if passed else "fail"
    return {o: Verdict("conv2d", o, CASE, status, "") for o in ("forward", "dX")}


def _run(passed: bool, pads: tuple[int, int], padded: np.ndarray, made: np.ndarray,
         unpadded: np.ndarray | None = None, dX: np.ndarray | None = None) -> Run:
    """A run of a layer whose constructor calls pads(), whose forward calls pad(X) and whose
    backward calls unpad(dXp); `made` is what pad returned, `unpadded` what unpad did."""
    X = padded[1:-1] if pads[0] else padded
    values = [Value("forward", "m.py", "pads", "m.py:9", 0, "return", pads),
              Value("forward", "m.py", "pad", "m.py:12", 0, "X", X),
              Value("forward", "m.py", "pad", "m.py:12", 0, "return", made),
              Value("forward", "m.py", "Layer.forward", "", 0, "return", made * 2)]
    known: dict = {"X": X, "padded X": padded, "padding": pads, "Y": padded * 2}
    if dX is not None:
        values += [Value("backward", "m.py", "unpad", "m.py:20", 0, "dXp", padded * 3),
                   Value("backward", "m.py", "unpad", "m.py:20", 0, "return", unpadded)]
        known |= {"padded dX": padded * 3, "dX": dX}
    return Run(_verdicts(passed), Trace(values=tuple(values)), known)


def _image(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=n)


def _right(p: int, seed: int) -> Run:
    padded = _image(6 + 2 * p, seed)
    return _run(True, (p, p), padded, padded, padded[p:len(padded) - p] * 3,
                padded[p:len(padded) - p] * 3)


def test_a_value_equals_its_intermediate_up_to_a_reshape() -> None:
    a = np.arange(6.0)
    assert equal(a.reshape(2, 3), a) and equal(a + 1e-12, a)
    assert not equal(a[:4], a) and not equal(a + 1e-3, a) and not equal((1, 2), a)
    assert equal((1, 2), (1, 2)) and not equal((1, 2), (2, 1))


def test_roles_come_from_right_runs_and_ints_must_vary() -> None:
    role = roles([_right(1, 0), _right(2, 1)])
    assert role[("forward", "m.py", "pad", "m.py:12", 0, "return")].names == {"padded X"}
    assert role[("forward", "m.py", "pads", "m.py:9", 0, "return")].names == {"padding"}
    assert role[("backward", "m.py", "unpad", "m.py:20", 0, "return")].names == {"dX"}
    constant = roles([_right(1, 0), _right(1, 1)])   # (1, 1) both times: no role
    assert ("forward", "m.py", "pads", "m.py:9", 0, "return") not in constant


def test_a_value_the_child_could_not_record_is_not_a_wrong_one() -> None:
    role = roles([_right(1, 0), _right(2, 1)])
    padded = _image(8, 10)
    run = _run(False, (1, 1), padded, padded)
    values = tuple(Value(v.stage, v.file, v.function, v.site, v.k, v.slot, None)
                   if v.function == "pad" and v.slot == "return" else v
                   for v in run.trace.values)
    assert first_wrong(Run(run.verdicts, Trace(values=values), run.known), role) is None


def test_the_helper_that_made_a_wrong_value_from_right_inputs_is_named() -> None:
    role = roles([_right(1, 0), _right(2, 1)])
    padded = _image(8, 2)
    wrong_pad = _run(False, (1, 1), padded, np.roll(padded, 1))   # pad shifted its copy
    assert first_wrong(wrong_pad, role).function == "pad"
    assert maker(wrong_pad, role) == ("m.py", "pad")


def test_a_wrong_value_given_to_a_function_names_nobody() -> None:
    """pad is given a wrong X (its maker is unknown): pad's wrong return is not its fault."""
    role = roles([_right(1, 0), _right(2, 1)])
    padded = _image(8, 3)
    run = _run(False, (1, 1), padded, padded + 1)
    values = list(run.trace.values)
    values[1] = Value("forward", "m.py", "pad", "m.py:12", 0, "X", padded[1:-1] + 1)
    bad = Run(run.verdicts, Trace(values=tuple(values)), run.known)
    assert first_wrong(bad, role).slot == "X" and maker(bad, role) is None


def test_numbers_given_that_the_case_does_not_know_name_nobody() -> None:
    """pad is given pads (3, 3) where the case pads (1, 1), or pads with -1 where the case
    pads with 0: whoever made them is wrong."""
    role = roles([_right(1, 0), _right(2, 1)])
    padded = _image(8, 7)
    run = _run(False, (1, 1), padded, np.roll(padded, 1))
    given = Value("forward", "m.py", "pad", "m.py:12", 0, "pads", (3, 3))
    values = (*run.trace.values[:2], given, *run.trace.values[2:])
    assert maker(Run(run.verdicts, Trace(values=values), run.known), role) is None
    known = {**run.known, "pad value": 0.0}
    for fill, named in ((-1.0, None), (0.0, ("m.py", "pad"))):   # padding with -1, with 0
        given = Value("forward", "m.py", "pad", "m.py:12", 0, "value", fill)
        values = (*run.trace.values[:2], given, *run.trace.values[2:])
        assert maker(Run(run.verdicts, Trace(values=values), known), role) == named
    split = Value("forward", "m.py", "pad", "m.py:12", 0, "ph", (1,))   # one of (1, 1)
    values = (*run.trace.values[:2], split, *run.trace.values[2:])
    assert maker(Run(run.verdicts, Trace(values=values), run.known), role) == ("m.py", "pad")


def test_an_unknown_array_a_callee_handed_back_names_nobody() -> None:
    """pad called origins(), whose indices nothing can check: they may be what is wrong."""
    role = roles([_right(1, 0), _right(2, 1)])
    padded = _image(8, 8)
    run = _run(False, (1, 1), padded, np.roll(padded, 1))
    callee = (Value("forward", "m.py", "origins", "m.py:13", 0, "n", (2,)),
              Value("forward", "m.py", "origins", "m.py:13", 0, "return", np.arange(1, 5)))
    values = (*run.trace.values[:2], *callee, *run.trace.values[2:])
    assert maker(Run(run.verdicts, Trace(values=values), run.known), role) is None
    zeros = (callee[0], Value("forward", "m.py", "view", "m.py:13", 0, "return", np.zeros(4)))
    values = (*run.trace.values[:2], *zeros, *run.trace.values[2:])   # a view of a buffer
    assert maker(Run(run.verdicts, Trace(values=values), run.known), role) == ("m.py", "pad")


def test_a_run_where_the_intermediate_is_one_number_does_not_veto_a_role() -> None:
    one = _right(1, 0)
    tiny = np.array([0.5])
    known = {**one.known, "padded X": tiny, "X": tiny}
    values = tuple(Value(v.stage, v.file, v.function, v.site, v.k, v.slot,
                         tiny if v.slot in ("X", "return") and v.function == "pad" else v.value)
                   for v in one.trace.values)
    degenerate = Run(one.verdicts, Trace(values=values), known)
    role = roles([_right(2, 1), degenerate])
    assert role[("forward", "m.py", "pad", "m.py:12", 0, "return")].names == {"padded X"}
    assert not roles([degenerate])[("forward", "m.py", "pad", "m.py:12", 0, "return")].names


def test_every_failing_run_that_went_wrong_somewhere_must_agree() -> None:
    rights = [_right(1, 0), _right(2, 1)]
    padded = [_image(8, s) for s in (4, 5, 6)]
    shifted = [_run(False, (1, 1), p, np.roll(p, 1)) for p in padded]
    made = made_wrong(rights + shifted, "forward")
    assert (made.file, made.function) == ("m.py", "pad")
    assert made.why == "it returned a wrong padded X from right inputs"
    in_the_layer = _run(False, (1, 1), padded[0], padded[0])   # pad right, the layer wrong
    values = [*in_the_layer.trace.values[:3],
              Value("forward", "m.py", "Layer.forward", "", 0, "return", padded[0] * 3)]
    second_bug = Run(in_the_layer.verdicts, Trace(values=tuple(values)), in_the_layer.known)
    assert maker(second_bug, roles(rights)) == ("m.py", "Layer.forward")
    assert made_wrong(rights + shifted + [second_bug], "forward") is None


def test_a_function_called_after_the_run_went_wrong_did_not_make_it_go_wrong() -> None:
    rights = [_right(1, 0), _right(2, 1)]
    padded = _image(8, 9)
    run = _run(False, (1, 1), padded, np.roll(padded, 1))   # wrong at pad's return
    later = Value("forward", "m.py", "origins", "m.py:14", 0, "n", (2,))
    failing = Run(run.verdicts, Trace(values=(*run.trace.values, later)), run.known)
    assert went_wrong_before([*rights, failing], "forward", ("m.py", "origins"))
    assert not went_wrong_before([*rights, failing], "forward", ("m.py", "pad"))
    assert not went_wrong_before(rights, "forward", ("m.py", "origins"))   # no failing run
    role = roles(rights)
    after = called_after([*rights, failing], "forward", role)
    assert ("m.py", "origins") in after and ("m.py", "pad") not in after
    assert went_wrong_in([*rights, failing], "forward", "forward", role)


def test_a_gradient_can_go_wrong_in_what_forward_cached() -> None:
    """dX fails though forward's output was right: the first wrong value was pad's, in the
    forward stage (what forward left behind for backward)."""
    rights = [_right(1, 0), _right(2, 1)]
    padded = _image(8, 11)
    run = _run(False, (1, 1), padded, np.roll(padded, 1), padded[1:-1] * 3, padded[1:-1] * 3)
    verdicts = {"forward": Verdict("conv2d", "forward", CASE, "pass", ""),
                "dX": Verdict("conv2d", "dX", CASE, "fail", "")}
    failing = Run(verdicts, run.trace, run.known)
    role = roles(rights)
    assert went_wrong_in([*rights, failing], "dX", "forward", role)
    assert not went_wrong_in([*rights, failing], "dX", "backward", role)


def _sized(got: tuple[int, ...], size: tuple[int, ...], given: tuple[int, ...]) -> Run:
    """A failing run whose forward came out `got` (it should be (1, 4, 4, 1)), made with
    an `out_size` helper that was given `given` and returned `size`."""
    X = np.ones((1, 4, 4, 1))
    verdict = Verdict("pool2d_max", "forward", CASE, "fail", "", got=np.zeros(got),
                      expected=np.zeros((1, 4, 4, 1)))
    values = (Value("forward", "m.py", "out_size", "m.py:7", 0, "hw", given),
              Value("forward", "m.py", "out_size", "m.py:7", 0, "return", size),
              Value("forward", "m.py", "Pool.forward", "", 0, "return", np.zeros(got)))
    known = {"X": X, "argument kernel_shape": (2, 2), "output size": (4, 4)}
    return Run({"forward": verdict}, Trace(values=values), known)


def test_the_helper_that_returned_the_wrong_sizes_is_named_without_right_runs() -> None:
    made = made_wrong_size([_sized((1, 3, 3, 1), (3, 3), (4, 4))] * 3, "forward")
    assert made is not None and made.function == "out_size"
    assert made.why == "it returned (3, 3), the wrong size of the forward output (it should " \
        "be (4, 4))"
    one_axis = made_wrong_size([_sized((1, 3, 4, 1), (3,), (4,))], "forward")
    assert one_axis is not None and one_axis.why.endswith("(it should be 4)")
    batch_alike = made_wrong_size([_sized((1, 1, 4, 1), (1,), (4,))], "forward")   # N is 1 too
    assert batch_alike is not None and batch_alike.why.endswith("(it should be 4)")


def test_wrong_sizes_from_wrong_sizes_or_the_right_ones_name_nobody() -> None:
    """Given sizes the case does not have, out_size may be right; sizes that are the
    output's right ones, or no wrong size at all, say nothing."""
    assert made_wrong_size([_sized((1, 3, 3, 1), (3, 3), (7, 9))], "forward") is None
    assert made_wrong_size([_sized((1, 3, 3, 1), (4, 4), (4, 4))], "forward") is None
    assert made_wrong_size([_sized((1, 4, 4, 1), (4, 4), (4, 4))], "forward") is None


def _unpadded(got: tuple[int, ...]) -> Run:
    """A failing run of a backward whose `unpad` helper, given the padded dX and the
    padding, returned an array of shape `got`, which the backward returned as dX."""
    padded = _image(36, 13).reshape(1, 6, 6, 1)
    verdict = Verdict("conv2d", "dX", CASE, "fail", "", got=np.zeros(got),
                      expected=np.zeros((1, 4, 4, 1)))
    values = (Value("backward", "m.py", "unpad", "m.py:20", 0, "dXp", padded),
              Value("backward", "m.py", "unpad", "m.py:20", 0, "pads", (1, 1)),
              Value("backward", "m.py", "unpad", "m.py:20", 0, "return", np.zeros(got)),
              Value("backward", "m.py", "Layer.backward", "", 0, "return", np.zeros(got)))
    known = {"padding": (1, 1), "padded dX": padded, "dX": padded[:, 1:-1, 1:-1]}
    return Run({"dX": verdict}, Trace(values=values), known)


def test_the_helper_that_returned_an_array_of_the_wrong_shape_is_named() -> None:
    """No right run (dX is (1, 0, 4, 1) in every case): unpad, given right values, returned
    an array of the output's wrong shape. One of an intermediate's shape (the padded dX
    handed back whole) says nothing; nor does the output itself, the method's own return."""
    made = made_wrong_size([_unpadded((1, 0, 4, 1))] * 2, "dX")
    assert (made.file, made.function) == ("m.py", "unpad")
    assert made.why == ("it returned shape (1, 0, 4, 1), the wrong shape of the dX output (it "
                        "should be (1, 4, 4, 1))")
    assert made_wrong_size([_unpadded((1, 6, 6, 1))], "dX") is None
    alone = _unpadded((1, 0, 4, 1))
    method_only = Run(alone.verdicts, Trace(values=alone.trace.values[3:]), alone.known)
    assert made_wrong_size([method_only], "dX") is None


def test_part_of_an_intermediate_is_known_to_be_right() -> None:
    """A tap (entry (i, j) of every window) or one window is windows with axes fixed."""
    windows = _image(2 * 3 * 3 * 2 * 2 * 1, 4).reshape(2, 3, 3, 2, 2, 1)
    run = Run({}, Trace(), {"windows": windows})
    assert part_of(windows[:, :, :, 1, 0], run) and part_of(windows[:, 2, 1], run)
    assert not part_of(windows[:, :, :, 1, 0] + 1e-3, run)
    assert not part_of(np.zeros((2, 3, 3, 1)), run)   # a zero array equals too much


def _picked(direct: bool, given: np.ndarray | None = None) -> Run:
    """A failing run whose argmax goes wrong in `pick`: called directly (`direct`, line 7,
    where right runs taught that it returns the argmax), or through `caller` (line 3), which
    makes the argmax out of what pick returns there (line 9: no role, not known right)."""
    X = _image(6, 5)
    right = np.argsort(X).astype(float)
    if direct:
        values = [Value("forward", "m.py", "pick", "m.py:7", 0, "X", X),
                  Value("forward", "m.py", "pick", "m.py:7", 0, "return", right + 1)]
    else:
        values = [Value("forward", "m.py", "caller", "m.py:3", 0, "X",
                        X if given is None else given),
                  Value("forward", "m.py", "pick", "m.py:9", 0, "X", X),
                  Value("forward", "m.py", "pick", "m.py:9", 0, "return", X * 2),
                  Value("forward", "m.py", "caller", "m.py:3", 0, "return", right + 1)]
    return Run(_verdicts(False), Trace(values=tuple(values)), {"X": X, "argmax": right})


def test_a_run_that_went_wrong_in_a_callers_hands_leaves_the_helper_possible() -> None:
    """One run says pick made the wrong argmax; another, that caller made it from what pick
    handed back (not known to be right): both may be pick, so pick is named. A run where
    caller was given a wrong X cannot say, and names nobody."""
    role = {("forward", "m.py", "pick", "m.py:7", 0, "return"): Role(frozenset({"argmax"})),
            ("forward", "m.py", "caller", "m.py:3", 0, "return"): Role(frozenset({"argmax"}))}
    direct, through = _picked(True), _picked(False)
    assert maker(direct, role) == ("m.py", "pick") and maker(through, role) is None
    made = made_wrong([direct, through], "forward", role)
    assert made is not None and made.function == "pick"
    assert made_wrong([through], "forward", role) is None   # caller or pick: no run says
    given_wrong = _picked(False, given=_image(6, 6))
    assert made_wrong([direct, given_wrong], "forward", role) is None


def test_a_caller_named_only_where_its_callees_values_looked_right_is_not_named() -> None:
    """In one run pick handed caller zeros (a buffer's untouched part: "known right"), in
    another something unknown: caller is named by the first only by chance, and pick, its
    callee, may as well be wrong."""
    role = {("forward", "m.py", "caller", "m.py:3", 0, "return"): Role(frozenset({"argmax"}))}
    calls = frozenset({("m.py", "caller", "m.py", "pick")})
    through = _picked(False)
    zeros = tuple(Value(v.stage, v.file, v.function, v.site, v.k, v.slot, np.zeros(6))
                  if (v.function, v.slot) == ("pick", "return") else v
                  for v in through.trace.values)
    by_chance = Run(through.verdicts, Trace(values=zeros, calls=calls), through.known)
    unknown = Run(through.verdicts, Trace(values=through.trace.values, calls=calls),
                  through.known)
    assert maker(by_chance, role) == ("m.py", "caller")
    assert made_wrong([by_chance], "forward", role).function == "caller"
    assert made_wrong([by_chance, unknown], "forward", role) is None


def test_the_child_records_what_its_functions_were_given_and_returned(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text(
        "import numpy as np\n\n"
        "def pads(k):\n    return (k - 1) // 2, (k - 1) // 2\n\n"
        "def fill(buf, x):\n    buf[...] = x\n\n"
        "def pair(x):\n    return x, x + 1\n\n"
        "def many(xs):\n    return len(xs)\n\n"
        "def nested(xs):\n    return len(xs)\n\n"
        "def lots(xs):\n    return len(xs)\n\n"
        "def run(x):\n    buf = np.zeros(2)\n    fill(buf, x)\n    pair(x)\n"
        "    many([x, x + 1])\n    nested([[x]])\n    lots([x] * 30)\n    return pads(3)\n")
    namespace: dict = {}
    path = tmp_path / "pkg" / "mod.py"
    exec(compile(path.read_text(), str(path), "exec"), namespace)   # noqa: S102
    x = np.array([1.0, 2.0])
    with LineTrace(tmp_path / "pkg") as trace:
        namespace["run"](x)
        trace.cut("forward")
    got = {(f, slot): (kind, payload) for _, _, f, _, _, slot, kind, payload in trace.values}
    sites = {f: site for _, _, f, site, *_ in trace.values}
    assert sites["pads"] == "mod.py:28" and sites["run"] == ""   # run: called by the harness
    assert got[("pads", "return")] == ("ints", [1, 1])
    assert got[("pads", "k")] == ("ints", [3])
    assert got[("fill", "buf after")][0] == "array"
    assert np.array_equal(trace.arrays[got[("fill", "buf after")][1]], x)
    assert not np.any(trace.arrays[got[("fill", "buf")][1]])   # the copy taken at the call
    assert got[("pair", "return[1]")][0] == "array"
    assert np.array_equal(trace.arrays[got[("many", "xs[1]")][1]], x + 1)   # a list's entries
    assert got[("nested", "xs[0]")] == ("opaque", None)   # one level down only
    assert got[("lots", "xs")] == ("opaque", None)        # more than MAX_ENTRIES
    assert all(stage == "forward" for stage, *_ in trace.values)


def test_the_parent_keeps_only_well_formed_values() -> None:
    arrays = {"value/0": np.ones(2)}
    sent = {"values": [["forward", "m.py", "f", "", 0, "return", "array", "value/0"],
                       ["forward", "m.py", "f", "", 0, "x", "array", "value/9"],  # no such array
                       ["forward", "m.py", "f", "", 0, "k", "ints", [1, "2"]],     # not ints
                       ["forward", "m.py", "f", "", "0", "k", "ints", [1]],        # k not an int
                       ["forward", "m.py", "f", 0, "k", "ints", [1]],             # no site
                       ["forward", "m.py", "g", "m.py:3", 0, "k", "ints", [1, 2]],
                       ["forward", "m.py", "g", "", 0, "xs", "opaque", None],
                       ["forward", "m.py", "g", "", 0, "<b>x</b>", "ints", [1]],  # no name
                       "junk"]}
    values = _trace(sent, arrays).values
    assert [(v.function, v.slot) for v in values] == [("f", "return"), ("g", "k"), ("g", "xs")]
    assert values[1].value == (1, 2) and values[2].value is None


@pytest.mark.parametrize("op", ["conv2d", "pool2d_max", "pool2d_average", "fully_connected"])
def test_the_intermediates_end_where_the_twins_outputs_are(op: str) -> None:
    """The table computes the same outputs as the twin the verdicts use, so its
    intermediates are the twin's."""
    spec = find_op(op)
    for case in list(spec.cases(12, 0)):
        known = intermediates(op, spec.ctor(case), spec.inputs(case), Conventions())
        expected = reference_outputs(spec, spec.ctor(case), spec.inputs(case), Conventions())
        names = {"forward": "Y", "dX": "dX", "dW": "dW", "db": "db"}
        for output, arr in expected.items():
            assert np.allclose(known[names[output]], arr, rtol=1e-12, atol=1e-12), (case, output)
        assert known["X"].shape == spec.inputs(case)["X"].shape


@pytest.mark.parametrize("op", ["conv2d", "pool2d_max", "pool2d_average"])
def test_the_windows_and_argmax_give_the_output(op: str) -> None:
    spec = find_op(op)
    for case in list(spec.cases(12, 0)):
        inputs = spec.inputs(case)
        known = intermediates(op, spec.ctor(case), inputs, Conventions())
        win = known["windows"]
        assert win.shape[:3] == known["Y"].shape[:3]
        assert known["padded size"] == known["padded X"].shape[1:3]   # an output size's input
        if op == "conv2d":
            Z = np.tensordot(win, inputs["W"], axes=3) + inputs["b"][0]
            assert np.allclose(Z, known["Z"], rtol=1e-12, atol=1e-12), case
        elif op == "pool2d_average":
            assert np.allclose(win.mean(axis=(3, 4)), known["Y"], rtol=1e-12, atol=1e-12), case
        else:
            taps = win.reshape(*win.shape[:3], -1, win.shape[-1])
            picked = np.take_along_axis(taps, known["argmax"][:, :, :, None], axis=3)[:, :, :, 0]
            assert np.array_equal(picked, known["Y"]), case


@pytest.fixture(scope="module")
def helper_values(failing_check) -> dict:
    return failing_check(FIXTURE / "neural_networks", "conv2d,pool2d_max,pool2d_average", 30)


def test_the_fix_list_opens_the_helpers_every_case_runs(helper_values: dict) -> None:
    entries = helper_values["fix_list"]
    assert len(entries) == 2
    by_function = {e["function"]: e for e in entries}
    assert set(by_function) == {"unpad", "pool_padding"}
    items = {f: sorted(f"{i['op']} {i['output']}" for i in e["items"])
             for f, e in by_function.items()}
    assert items["unpad"] == ["conv2d dX"]
    assert re.search(r"unpad, called from Conv2D\.backward: it returned shape \(\d, 0, 0, \d\) "
                     r"where the dX has shape \(\d, \d, \d, \d\)$", by_function["unpad"]["open"])
    assert "pool_padding, called from Pool2D.__init__: it returned (1, 1) where the padding is " \
        "(0, 0)" in by_function["pool_padding"]["open"]
    assert items["pool_padding"] == [
        "pool2d_average dX", "pool2d_average forward", "pool2d_max dX", "pool2d_max forward"]


def test_a_wrong_argmax_forward_cached_is_opened_where_it_was_made(failing_check) -> None:
    """window_argmax numbers each window column by column: forward's output is right, dX is
    not, and the values say which window's argmax went wrong first, in forward."""
    report = failing_check(FIXTURE.parent / "cached_argmax" / "neural_networks",
                           "pool2d_max,pool2d_average", 30)
    (entry,) = report["fix_list"]
    assert [(i["op"], i["output"]) for i in entry["items"]] == [("pool2d_max", "dX")]
    assert entry["function"] == "window_argmax"
    assert entry["open"].endswith("window_argmax, called from Pool2D.forward: it returned a "
                                  "wrong slice of the argmax from right inputs")


def _indices(passed: bool, made: np.ndarray, size: int, status: str = "") -> Run:
    """A run of a layer whose `origins(n)` returns window indices, (n,), that forward uses."""
    values = (Value("forward", "m.py", "origins", "m.py:5", 0, "n", (size,)),
              Value("forward", "m.py", "origins", "m.py:5", 0, "return", made))
    verdicts = {"forward": Verdict("conv2d", "forward", CASE,
                                   status or ("pass" if passed else "fail"), "")}
    return Run(verdicts, Trace(values=values), {"Y": np.linspace(0.5, 1, size)})


def test_a_value_no_intermediate_names_still_has_a_form() -> None:
    """Indices no intermediate equals: the right runs still say they are integers, shaped
    like Y; floats, or the wrong length, are where the run went wrong."""
    rights = [_indices(True, np.arange(n), n) for n in (3, 4)]
    role = roles(rights)
    key = ("forward", "m.py", "origins", "m.py:5", 0, "return")
    assert role[key] == Role(frozenset(), "integers", frozenset({"Y"}))
    floats = _indices(False, np.arange(5) / 2, 5)
    assert first_wrong(floats, role).slot == "return" and maker(floats, role) == ("m.py",
                                                                                  "origins")
    assert made_wrong([*rights, floats], "forward").why == (
        "it returned floats where they should be integers")
    short = _indices(False, np.arange(4), 5)
    assert made_wrong([*rights, short], "forward").why == (
        "it returned shape (4,) where it should have the Y's, (5,)")
    assert first_wrong(_indices(False, np.arange(5)[::-1].copy(), 5), role) is None   # form only


def test_a_padding_of_floats_is_not_the_padding() -> None:
    assert not equal((1.0, 1.0), (1, 1)) and equal((1, 1), (1, 1))
    role = roles([_right(1, 0), _right(2, 1)])
    padded = _image(8, 12)
    run = _run(False, (1, 1), padded, padded)
    values = ((Value("forward", "m.py", "pads", "m.py:9", 0, "return", (1.0, 1.0)),
               *run.trace.values[1:]))
    floats = Run(run.verdicts, Trace(values=values), run.known)
    assert first_wrong(floats, role).function == "pads"


def test_floats_made_from_integers_alone_are_followed_back_from_an_exception() -> None:
    """Every run raised (no right run to learn from): the function that was given only
    integers and returned floats is named; one given a float is not."""
    raised = [_indices(False, np.arange(n) / 2, n, "error") for n in (3, 4)]
    made = made_floats(raised, "forward")
    assert (made.file, made.function) == ("m.py", "origins")
    assert made.why.startswith("it returned array([0, 0.5, 1")
    assert "floats made from integers alone" in made.why
    given_floats = [Run(r.verdicts, Trace(values=(
        Value("forward", "m.py", "origins", "m.py:5", 0, "n", 3.0), *r.trace.values[1:])),
        r.known) for r in raised]
    assert made_floats(given_floats, "forward") is None
    assert made_floats([_indices(False, np.arange(3) / 2, 3)], "forward") is None   # no raise


def test_the_child_records_a_tuple_of_floats_as_numbers(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    path = tmp_path / "pkg" / "mod.py"
    path.write_text("def pads(k):\n    return (k - 1) / 2, (k - 1) // 2\n")
    namespace: dict = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)   # noqa: S102
    with LineTrace(tmp_path / "pkg") as trace:
        namespace["pads"](4)
        trace.cut("forward")
    (made,) = [v for v in trace.values if v[5] == "return"]
    assert made[6:] == ["numbers", [1.5, 1]]
    (value,) = [v for v in _trace({"values": [made]}, {}).values]
    assert value.value == (1.5, 1)


def test_an_exception_is_followed_back_to_the_function_that_made_its_value(
        failing_check) -> None:
    """Pool2D.forward raises on the float `out_size` returned; Conv2D.backward raises on
    the short slice `tap` returned: each entry opens the maker, and says what it made and
    where that raised."""
    fixture = FIXTURE.parent / "raised_elsewhere" / "neural_networks"
    report = failing_check(fixture, "conv2d,pool2d_max,pool2d_average", 30)
    by_function = {e["function"]: e for e in report["fix_list"]}
    assert set(by_function) == {"tap", "out_size"}
    items = {f: sorted(f"{i['op']} {i['output']}" for i in e["items"])
             for f, e in by_function.items()}
    assert items == {"tap": ["conv2d dW", "conv2d dX", "conv2d db"],
                     "out_size": ["pool2d_average dX", "pool2d_average forward",
                                  "pool2d_max dX", "pool2d_max forward"]}
    source = (fixture / "layers.py").read_text().splitlines()
    raised = {name: source.index(line) + 1 for name, line in (
        ("tap", next(s for s in source if "dW[i, j] = np.tensordot(tap(" in s)),
        ("out_size", next(s for s in source if "Y = np.zeros((len(X), oh, ow" in s)))}
    assert re.search(r"out_size, called from Pool2D\.forward: it returned \d\.0: floats made "
                     r"from integers alone", by_function["out_size"]["open"])
    assert re.search(r"tap, called from Conv2D\.backward: it returned shape \(\d, \d, \d, \d\): "
                     r"no slice of the windows", by_function["tap"]["open"])
    for name, kind in (("tap", "ValueError"), ("out_size", "TypeError")):
        assert by_function[name]["open"].endswith(
            f"the {kind} at neural_networks/layers.py:{raised[name]} followed from it")


def _gradient_run(made: np.ndarray, buffer: np.ndarray, filled: np.ndarray) -> Run:
    """A failing dW run whose backward calls grad(dZ), which calls prepare() for a buffer
    and fill(buffer), and returns `made`, handed on as dW."""
    dZ, dW = _image(6, 20), _image(4, 21)
    verdict = Verdict("conv2d", "dW", CASE, "fail", "", got=made, expected=dW)
    values = (Value("backward", "m.py", "grad", "m.py:30", 0, "dZ", dZ),
              Value("backward", "m.py", "prepare", "m.py:40", 0, "return", buffer),
              Value("backward", "m.py", "fill", "m.py:41", 0, "buf", buffer),
              Value("backward", "m.py", "fill", "m.py:41", 0, "return", filled),
              Value("backward", "m.py", "grad", "m.py:30", 0, "return", made),
              Value("backward", "m.py", "Layer.backward", "", 0, "return", made))
    known = {"dZ": dZ, "windows": _image(8, 22), "dW": dW}
    return Run({"dW": verdict}, Trace(values=values), known)


def test_the_helper_that_returned_the_wrong_output_itself_is_named() -> None:
    """No right run says what grad's return should be, but the verdict does: it is the
    wrong dW the method handed on. A buffer prepare() made and fill() filled is judged by
    what fill made; a callee's own unknown array leaves grad unproven."""
    windows = _image(8, 22)
    run = _gradient_run(-_image(4, 21), np.full(8, 7.0), windows)   # fill made the windows
    made = made_wrong_output([run, run], "dW", {})
    assert (made.file, made.function) == ("m.py", "grad")
    assert made.why == "it returned the wrong dW from right inputs"
    unknown = _gradient_run(-_image(4, 21), np.full(8, 7.0), windows + 1)   # fill's: unknown
    assert made_wrong_output([unknown], "dW", {}) is None
    role = {("backward", "m.py", "grad", "m.py:30", 0, "dZ"): Role(frozenset({"dZ"}))}
    wrong_dZ = _gradient_run(-_image(4, 21), np.full(8, 7.0), windows)
    values = (Value("backward", "m.py", "grad", "m.py:30", 0, "dZ", _image(6, 23)),
              *wrong_dZ.trace.values[1:])
    went_wrong_before = Run(wrong_dZ.verdicts, Trace(values=values), wrong_dZ.known)
    assert made_wrong_output([went_wrong_before], "dW", role) is None
    values = run.trace.values
    in_the_method = Run(run.verdicts, Trace(values=values[:4] + values[5:]), run.known)
    assert made_wrong_output([run, in_the_method], "dW", {}) is None   # one run made it there
    reshaped = Value("backward", "m.py", "grad", "m.py:30", 0, "return", -_image(4, 21)
                     .reshape(2, 2))   # the same numbers in another shape: a coincidence
    other_shape = Run(run.verdicts, Trace(values=(*values[:4], reshaped, values[5])),
                      run.known)
    assert made_wrong_output([other_shape], "dW", {}) is None
