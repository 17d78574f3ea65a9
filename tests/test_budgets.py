"""A batch survives any submission, within a budget (issue #21, point 4): one wall-clock
budget per submission covers every phase, investigation included; the parent reads bounded
messages and keeps bounded strings.

(The hostile corpus, graded beside a correct submission, is tests/test_grading.py's.)
"""

from __future__ import annotations

import io
import json
import shutil
import struct
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from harness.grading.batch import grade_batch
from harness.grading.rubric import load_rubric
from harness.sandbox import wire
from harness.sandbox.parent import BudgetSpent, Limits, Outage, Policy, Sandbox, within_budget

CORPUS = Path(__file__).parent / "submissions"
RUBRIC = """\
[rubric]
name = "budgets"
seed = 3
cases = 3
graded_modules = ["activations"]
missing_module = "bundled"
investigate = {investigate}
refuse_imports = ["torch", "tensorflow", "jax"]

[limits]
case_seconds = 2
startup_seconds = 20
submission_seconds = {budget}
case_cpu_seconds = 3
process_cpu_seconds = 60
memory_mb = 1024
processes = 16
file_mb = 4
output_kb = 2

[[item]]
op = "relu"
points = {{ forward = 1, dX = 1 }}
"""
# ReLU whose forward is wrong, and slow from its fourth call on: the three graded cases are
# fast, every rerun of the investigation takes 1.8 s (under the case limit of 2 s).
SLOW_RERUNS = '''"""A wrong ReLU forward, fast when graded, slow when investigated."""
import time

from student_nn import activations as base
from student_nn.activations import *  # noqa: F401,F403

calls = 0


class ReLU(base.ReLU):
    def forward(self, Z):
        global calls
        calls += 1
        if calls > 3:
            time.sleep(1.8)
        return super().forward(Z) + 1.0
'''


def _rubric(tmp: Path, budget: float = 60, investigate: int = 20) -> Path:
    path = tmp / "rubric.toml"
    path.write_text(RUBRIC.format(budget=budget, investigate=investigate))
    return path


def _submission(root: Path, name: str, activations: str | None = None) -> str:
    """A copy of the corpus's correct submission, with its own activations.py if given."""
    pkg = root / name / "neural_networks"
    shutil.copytree(CORPUS / "correct" / "neural_networks", pkg)
    if activations is not None:
        (pkg / "activations.py").write_text(activations)
    for p in [root, *root.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    return str(pkg.parent)


def _grade(tmp: Path, subs: list[str], rubric: Path) -> dict[str, dict]:
    outcome = grade_batch(subs, load_rubric(rubric), tmp / "out", workers=1, progress=False,
                          log=lambda line: None)
    return {r["name"]: r for r in outcome.results}


# ------------------------------------------------------------------ one budget, every phase
def test_the_investigation_ends_with_the_submissions_budget(tmp_path):
    budget = 4
    subs = [_submission(tmp_path / "in", "correct"),   # first: warms the reference outputs
            _submission(tmp_path / "in", "slow_reruns", SLOW_RERUNS)]
    results = _grade(tmp_path, subs, _rubric(tmp_path, budget))
    r = results["slow_reruns"]
    # 20 reruns of 1.8 s each would take 36 s: the budget stops them, and the case running
    # when it ends gets what is left of it, not its whole limit
    assert r["seconds"] < budget + 2, r["seconds"]
    assert r["status"] == "graded" and r["score"] == 1.0   # the verdicts found stand
    assert [t["score"] for t in r["tests"]] == [0.0, 1.0]
    codes = [f["code"] for f in r["findings"]]
    assert "details_cut" in codes, r["findings"]
    assert "time budget ran out" in r["details"]
    feedback = (tmp_path / "out" / "slow_reruns" / "feedback.md").read_text()
    assert "the details below are partial" in feedback
    assert results["correct"]["score"] == 2.0


def test_no_request_starts_after_the_budget_and_none_waits_past_it(tmp_path):
    """The sandbox's side of the budget, which the substitution reruns and the
    investigation work within."""
    slow = SLOW_RERUNS.replace("calls > 3", "True")
    impl = Path(_submission(tmp_path, "slow", slow)) / "neural_networks"
    z = np.ones((2, 3))
    run = ({"cmd": "run", "kind": "activation", "module": "activations", "cls": "ReLU",
            "ctor": {}, "outputs": ["forward"]}, {"Z": z, "dY": z})
    load = ({"cmd": "load", "module": "activations"}, {})
    with Sandbox(impl, ("activations",), Limits(case_seconds=10, startup_seconds=30),
                 Policy()) as sb:
        assert not isinstance(sb.run(*load), Outage)
        start = time.monotonic()
        with within_budget(start + 0.5):
            with pytest.raises(BudgetSpent):
                sb.run(*run)                  # 1.8 s of sleep, cut at the budget's end
            took = time.monotonic() - start
            assert sb.proc is None            # the child running it was stopped
            with pytest.raises(BudgetSpent):  # after the end, nothing starts
                next(sb.run_many([run]))
        assert took < 1.5, took
        assert not isinstance(sb.run(*load), Outage)   # outside the budget, a fresh child


# ------------------------------------------------------------------ bounded messages
def _message(header: dict | list | str, size: int | None = None) -> io.BytesIO:
    head = json.dumps(header).encode()
    return io.BytesIO(struct.pack("<Q", len(head) if size is None else size) + head)


def test_a_header_announcing_a_huge_size_is_a_protocol_error_not_an_allocation():
    for size in (10 * 2**40, wire.MAX_HEADER + 1):
        tracemalloc.start()
        with pytest.raises(wire.WireError, match="too large"):
            wire.read_message(_message({"ok": True}, size))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < 2**20


def test_a_header_nested_a_million_deep_is_a_protocol_error():
    deep = io.BytesIO()
    head = b"[" * 500_000 + b"]" * 500_000
    deep.write(struct.pack("<Q", len(head)) + head)
    deep.seek(0)
    with pytest.raises(wire.WireError, match="malformed"):
        wire.read_message(deep)


def test_long_strings_from_the_child_are_cut_with_a_note():
    long = "x" * 100_000
    header = {"errors": {"forward": {"message": long, "type": "é" * 5000}}, long: 1}
    got, _ = wire.read_message(_message(header))
    message = got["errors"]["forward"]["message"]
    assert message == "x" * wire.MAX_TEXT + f"… {100_000 - wire.MAX_TEXT} bytes cut"
    assert got["errors"]["forward"]["type"].endswith(f"… {2 * 1000} bytes cut")
    assert len(next(k for k in got if k.startswith("x"))) < wire.MAX_TEXT + 30
    short = {"message": "y" * wire.MAX_TEXT}
    assert wire.read_message(_message(short))[0] == short   # an honest message is unchanged
