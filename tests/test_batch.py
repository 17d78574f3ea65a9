"""Batched cases (Sandbox.run_many, Checker.check_many): one bad case never sinks the others,
and a batch gives every case exactly what it gets when run on its own."""

from __future__ import annotations

import shutil
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pytest

from harness.check.checker import Checker
from harness.core.registry import get_op
from harness.sandbox.parent import Limits, Outage, Policy, Sandbox

FAST = Limits(case_seconds=2, startup_seconds=20, output_bytes=1000)


@pytest.fixture
def make_impl():
    """neural_networks/activations.py whose ReLU.forward is `body` (then the correct one)."""
    root = Path(tempfile.mkdtemp(prefix="nnparity-batchtest-"))

    def make(body: str) -> Path:
        pkg = root / "neural_networks"
        pkg.mkdir()
        (pkg / "activations.py").write_text(
            "import os\nimport numpy as np\n"
            "from student_nn import activations as base\n"
            "from student_nn.activations import *  # noqa\n\n\n"
            "class ReLU(base.ReLU):\n"
            "    def forward(self, Z):\n" + textwrap.indent(textwrap.dedent(body), " " * 8)
            + "        return super().forward(Z)\n")
        for p in [root, *root.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)
        return pkg

    yield make
    shutil.rmtree(root, ignore_errors=True)


def relu(rows: int) -> tuple[dict, dict[str, np.ndarray]]:
    rng = np.random.default_rng(rows)
    request = {"cmd": "run", "kind": "activation", "module": "activations", "cls": "ReLU",
               "ctor": {}, "outputs": ["forward", "dX"]}
    return request, {"Z": rng.standard_normal((rows, 3)), "dY": rng.standard_normal((rows, 3))}


def sandbox(impl: Path, limits: Limits = FAST) -> Sandbox:
    return Sandbox(impl, ("activations",), limits, Policy())


def rows_of(answer) -> int:
    return answer[1]["out/forward"].shape[0]


def test_a_batch_answers_every_case_in_order_with_its_own_output(make_impl):
    impl = make_impl('print("rows", Z.shape[0])\n')
    with sandbox(impl) as sb:
        answers = list(sb.run_many([relu(n) for n in (1, 2, 3)]))
        assert [rows_of(a) for a in answers] == [1, 2, 3]
        assert [a[0]["stdout"] for a in answers] == ["rows 1\n", "rows 2\n", "rows 3\n"]
        for n, (_, arrays) in zip((1, 2, 3), answers, strict=True):
            np.testing.assert_array_equal(arrays["out/forward"], np.maximum(relu(n)[1]["Z"], 0))
        assert sb.starts == 1


def test_a_hanging_case_in_a_batch_times_out_alone(make_impl):
    impl = make_impl("while Z.shape[0] == 2:\n    pass\n")
    with sandbox(impl, Limits(case_seconds=1, startup_seconds=20)) as sb:
        answers = list(sb.run_many([relu(n) for n in (1, 2, 3)]))
        assert rows_of(answers[0]) == 1
        assert answers[1] == Outage("timeout", "no answer within 1 s (an infinite loop, or far "
                                               "too slow)")
        assert len(answers) == 2 and sb.proc is None   # the batch ends with the child
        assert rows_of(sb.run(*relu(3))) == 3 and sb.starts == 2


def test_a_crash_in_a_batch_is_the_case_that_crashed(make_impl):
    impl = make_impl("if Z.shape[0] == 2:\n    os._exit(3)\n")
    with sandbox(impl) as sb:
        answers = list(sb.run_many([relu(n) for n in (1, 2, 3)]))
    assert rows_of(answers[0]) == 1 and len(answers) == 2
    assert answers[1].status == "crashed" and "exited with code 3" in answers[1].detail


def test_the_cpu_limit_applies_to_each_case_of_a_batch(make_impl):
    impl = make_impl("while Z.shape[0] == 2:\n    pass\n")
    limits = Limits(case_seconds=30, startup_seconds=20, case_cpu_seconds=1)
    with sandbox(impl, limits) as sb:
        answers = list(sb.run_many([relu(n) for n in (1, 2, 3)]))
    assert rows_of(answers[0]) == 1 and len(answers) == 2
    assert answers[1].status == "timeout" and "SIGXCPU" in answers[1].detail


def test_an_abandoned_batch_leaves_the_child_in_step(make_impl):
    impl = make_impl("")
    with sandbox(impl) as sb:
        batch = sb.run_many([relu(n) for n in (1, 2, 3)])
        assert rows_of(next(batch)) == 1
        batch.close()                       # the other two answers are read and dropped
        assert rows_of(sb.run(*relu(4))) == 4 and sb.starts == 1


def test_a_request_while_a_batch_is_out_gets_its_own_answer(make_impl):
    impl = make_impl('print("rows", Z.shape[0])\n')
    with sandbox(impl) as sb:
        batch = sb.run_many([relu(n) for n in (1, 2, 3)])
        assert rows_of(next(batch)) == 1
        header, arrays = sb.run(*relu(5))   # e.g. a model's localization, while judging
        assert arrays["out/forward"].shape[0] == 5 and header["stdout"] == "rows 5\n"
        rest = list(batch)
        assert [rows_of(a) for a in rest] == [2, 3]
        assert [a[0]["stdout"] for a in rest] == ["rows 2\n", "rows 3\n"]


def _cases_and_hang(n: int = 6, hang: int = 2):
    spec = get_op("relu")
    cases = list(spec.cases(n, 0))
    shape = spec.inputs(cases[hang])["Z"].shape
    assert sum(spec.inputs(c)["Z"].shape == shape for c in cases) == 1
    return spec, cases, shape


def test_check_many_gives_each_case_its_verdict_around_a_hanging_one(make_impl):
    spec, cases, shape = _cases_and_hang()
    impl = make_impl(f"while Z.shape == {shape}:\n    pass\n")
    with Checker(impl.parent, limits=Limits(case_seconds=1, startup_seconds=20)) as checker:
        batched = [{o: v.status for o, v in vs.items()} for vs in checker.check_many(spec, cases)]
    with Checker(impl.parent, limits=Limits(case_seconds=1, startup_seconds=20)) as checker:
        one_by_one = [{o: v.status for o, v in checker.check(spec, c).items()} for c in cases]
    assert batched == one_by_one
    assert [set(s.values()) for s in batched] == [{"pass"}] * 2 + [{"timeout"}] + [{"pass"}] * 3


def test_check_many_gives_up_after_two_outages_in_a_row_like_check(make_impl):
    impl = make_impl("while True:\n    pass\n")
    spec = get_op("relu")
    cases = list(spec.cases(4, 0))
    with Checker(impl.parent, limits=Limits(case_seconds=1, startup_seconds=20)) as checker:
        verdicts = list(checker.check_many(spec, cases))
        assert checker.sandbox.starts == 2
    firsts = [next(iter(vs.values())) for vs in verdicts]
    assert [v.status for v in firsts] == ["timeout"] * 4
    assert [bool(v.error.get("not_run")) for v in firsts] == [False, False, True, True]
    assert firsts[2].message.startswith("not run: ReLU timed out in 2 cases in a row")


def test_the_wire_refuses_what_is_not_a_message_of_plain_arrays():
    import io
    import json
    import struct

    from harness.core import wire

    def message(header, blob=b""):
        head = json.dumps(header).encode()
        return io.BytesIO(struct.pack("<Q", len(head)) + head + blob)

    pickled = io.BytesIO()
    np.save(pickled, np.array([1, None], dtype=object), allow_pickle=True)
    for header, blob in [([1, 2], b""), ({"arrays": "x"}, b""), ({"arrays": [["a"]]}, b""),
                         ({"arrays": [["a", 3]]}, b"abc"),
                         ({"arrays": [["a", len(pickled.getvalue())]]}, pickled.getvalue())]:
        with pytest.raises(wire.WireError):
            wire.read_message(message(header, blob))
    arrays = {"x": np.arange(6.0).reshape(2, 3), "n": np.arange(3, dtype=np.int32),
              "b": np.array([True, False]), "z": np.zeros((0, 4)), "c": np.array([1 + 2j])}
    buf = io.BytesIO()
    wire.write_message(buf, {"k": 1}, arrays)
    buf.seek(0)
    header, back = wire.read_message(buf)
    assert header == {"k": 1}
    for name, arr in arrays.items():
        assert back[name].dtype == arr.dtype and back[name].flags.writeable
        np.testing.assert_array_equal(back[name], arr)


def test_a_batch_survives_an_implementation_that_closes_its_output(make_impl):
    impl = make_impl("if Z.shape[0] == 2:\n    os.close(2)\n")
    with sandbox(impl) as sb:
        answers = list(sb.run_many([relu(n) for n in (1, 2, 3)]))
        assert [rows_of(a) for a in answers] == [1, 2, 3] and sb.starts == 1
