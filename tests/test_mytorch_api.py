"""CMU 11-785's mytorch, built in (`--api mytorch`): the bundled implementation passes every
op, the bugs found in public checkouts are named where they are, and a checkout's homework
part and year are told from its files.

Each fixture is a copy of student_nn/mytorch with one line changed the way a real checkout
had it wrong (in our own words), or with files moved or written as another year's handout
lays them out."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from edits import edited

from harness.apis.mytorch import LOADER
from harness.apis.mytorch import SPEC as MYTORCH
from harness.apis.mytorch.ops import MYTORCH_OPS
from harness.cli import main
from harness.core.loading import LoadError

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "student_nn" / "mytorch"

# HW1P1 activations as the 2022–23 handout has them: backward() returns dA/dZ.
OLD_ACTIVATIONS = '''import numpy as np


class Identity:
    def forward(self, Z):
        self.A = Z
        return self.A

    def backward(self):
        return np.ones(self.A.shape, dtype="f")


class Sigmoid:
    def forward(self, Z):
        self.A = 1 / (1 + np.exp(-Z))
        return self.A

    def backward(self):
        return self.A * (1 - self.A)


class Tanh:
    def forward(self, Z):
        self.A = np.tanh(Z)
        return self.A

    def backward(self):
        return 1 - self.A ** 2


class ReLU:
    def forward(self, Z):
        self.A = np.maximum(Z, 0)
        return self.A

    def backward(self):
        return (self.A > 0).astype(float)
'''


# HW3P1's files in student_nn/mytorch, removed from a checkout of another part
HW3P1_FILES: dict[str, str | None] = {"rnn_cell.py": None, "rnn_classifier.py": None,
                                      "gru_cell.py": None, "CTC.py": None}


def _checkout(tmp_path: Path, edits: dict[str, tuple[str, str]] | None = None,
              moves: dict[str, str | None] | None = None,
              files: dict[str, str] | None = None) -> Path:
    """A copy of student_nn/mytorch under checkout/mytorch: `edits` replace one line of a
    file (which must be there), `moves` move a file (None: delete it), `files` write one."""
    package = tmp_path / "checkout" / "mytorch"
    shutil.copytree(BUNDLED, package, ignore=shutil.ignore_patterns("__pycache__"))
    for name, (old, new) in (edits or {}).items():
        text = (package / name).read_text()
        assert old in text, (name, old)
        (package / name).write_text(text.replace(old, new, 1))
    for name, dest in (moves or {}).items():
        if dest is None:
            (package / name).unlink()
        else:
            (package / dest).parent.mkdir(parents=True, exist_ok=True)
            (package / name).rename(package / dest)
    for name, text in (files or {}).items():
        (package / name).write_text(text)
    return package.parent


def _check(tmp_path: Path, impl: Path, *args: str) -> tuple[int, dict]:
    out = tmp_path / "report.json"
    code = main(["check", "--api", "mytorch", "--impl", str(impl), "--cases", "8",
                 "--report", str(tmp_path / "r"), "--json", str(out), *args])
    return code, json.loads(out.read_text())


def _statuses(report: dict) -> dict[str, str]:
    return {f"{r['op']} {r['output']}": r["status"] for r in report["results"]}


def _failing(report: dict) -> set[str]:
    return {k for k, s in _statuses(report).items() if s != "pass"}


def test_the_bundled_mytorch_passes_every_op(tmp_path) -> None:
    code, report = _check(tmp_path, BUNDLED)
    assert code == 0 and not _failing(report)
    assert {r["op"] for r in report["results"]} == set(MYTORCH_OPS)


def test_running_statistics_that_never_accumulate_are_named(tmp_path) -> None:
    # running = α·batch + (1 − α)·batch: the old running value is never used
    impl = _checkout(tmp_path, {"nn/batchnorm.py": (
        "self.running_M = self.alpha * self.running_M", "self.running_M = self.alpha * self.M")})
    code, report = _check(tmp_path, impl, "--ops", "mytorch:batchnorm1d,mytorch:linear")
    assert code == 1
    assert _failing(report) == {"mytorch:batchnorm1d running_M"}
    entry, = report["fix_list"]
    assert entry["open"].startswith("mytorch/nn/batchnorm.py")
    assert "BatchNorm1d.forward (self.running_M)" in entry["open"]


def test_swapped_parameter_gradients_fail_both_and_nothing_else(tmp_path) -> None:
    impl = _checkout(tmp_path, {"nn/batchnorm.py": (
        "self.dLdBW = np.sum(dLdBZ * self.NZ, axis=0, keepdims=True)\n"
        "        self.dLdBb = np.sum(dLdBZ, axis=0, keepdims=True)",
        "self.dLdBb = np.sum(dLdBZ * self.NZ, axis=0, keepdims=True)\n"
        "        self.dLdBW = np.sum(dLdBZ, axis=0, keepdims=True)")})
    _, report = _check(tmp_path, impl, "--ops", "mytorch:batchnorm1d")
    assert _failing(report) == {"mytorch:batchnorm1d dBW", "mytorch:batchnorm1d dBb"}


def test_linear_gradients_averaged_over_the_batch_are_a_factor_of_one_over_n(tmp_path) -> None:
    # right in 2022–23 (an edition of its own), wrong from 2024 on
    impl = _checkout(tmp_path, {"nn/linear.py": ("self.dLdW = dLdZ.T @ self.A",
                                                 "self.dLdW = dLdZ.T @ self.A / self.N")})
    _, report = _check(tmp_path, impl, "--ops", "mytorch:linear")
    assert _failing(report) == {"mytorch:linear dW"}
    entry, = report["fix_list"]
    assert entry["code"] == "factor_tracks" and "batch size" in entry["message"]
    assert entry["open"] == "mytorch/nn/linear.py · Linear.backward (self.dLdW)"


def test_a_swapped_height_and_width_fails_only_where_they_differ(tmp_path) -> None:
    # the course's tests use square images only; nnparity's have H ≠ W
    impl = _checkout(tmp_path, {"nn/resampling.py": (
        "Z = np.zeros((N, C, k * (H - 1) + 1, k * (W - 1) + 1))",
        "Z = np.zeros((N, C, k * (W - 1) + 1, k * (H - 1) + 1))")})
    _, report = _check(tmp_path, impl, "--ops", "mytorch:upsample2d")
    assert _failing(report) == {"mytorch:upsample2d forward", "mytorch:upsample2d dX"}
    item = next(r for r in report["results"] if r["output"] == "forward")
    for case in item["failed_cases"]:
        params = dict(kv.split("=") for kv in case.partition("/")[2].split(","))
        assert params["h"] != params["w"], case
    smallest = item["finding"]["smallest"]["params"]
    assert smallest["h"] != smallest["w"] and "resampling.py:50" in item["finding"]["message"]


def test_a_hw2p1_checkout_is_graded_on_hw2p1_only(tmp_path) -> None:
    # its handout's activation.py (the old API), linear.py and loss.py are not the student's
    impl = _checkout(tmp_path, moves={"nn/batchnorm.py": None, "optim/sgd.py": None,
                                      **HW3P1_FILES}, files={"nn/activation.py": OLD_ACTIVATIONS})
    code, report = _check(tmp_path, impl)
    assert code == 0, _failing(report)
    assert report["edition"]["name"] == "hw2p1"
    skipped = {s["op"] for s in report["skipped"]}
    assert {"mytorch:linear", "mytorch:relu", "mytorch:batchnorm1d"} <= skipped
    assert {r["op"] for r in report["results"]} >= {"mytorch:conv1d", "mytorch:maxpool2d"}


def test_a_2023_checkout_is_judged_by_2023s_api(tmp_path) -> None:
    impl = _checkout(
        tmp_path, {"nn/linear.py": ("self.dLdW = dLdZ.T @ self.A\n        self.dLdb = "
                                    "dLdZ.T @ self.ones",
                                    "self.dLdW = dLdZ.T @ self.A / self.N\n        self.dLdb "
                                    "= dLdZ.T @ self.ones / self.N")},
        files={"nn/activation.py": OLD_ACTIVATIONS})
    ops = "mytorch:linear,mytorch:relu,mytorch:sigmoid,mytorch:identity"
    code, report = _check(tmp_path, impl, "--ops", ops)
    assert report["edition"]["name"] == "2022-23"
    assert code == 0, _failing(report)    # Identity's float32 ones are the handout's own
    _, today = _check(tmp_path, impl, "--ops", ops, "--edition", "2024+")
    assert {"mytorch:linear dW", "mytorch:relu dX"} <= _failing(today)


def test_classes_are_found_in_another_years_layout(tmp_path) -> None:
    impl = _checkout(tmp_path, moves={"nn/linear.py": "nn/modules/linear.py"})
    code, report = _check(tmp_path, impl, "--ops", "mytorch:linear")
    assert code == 0
    assert report["modules"]["nn.linear"]["reason"] == "graded: nn/modules/linear.py"


def test_the_tree_loader_locates_the_package_and_says_what_is_missing(tmp_path) -> None:
    impl = _checkout(tmp_path, moves={"nn/ConvTranspose.py": None})
    assert LOADER.locate(tmp_path) == (impl / "mytorch").resolve()
    files = LOADER.module_files(impl / "mytorch")
    assert files["nn.linear"] == impl / "mytorch" / "nn" / "linear.py"
    assert "nn.ConvTranspose" not in files
    plan = LOADER.plan(impl / "mytorch")
    assert plan.sources["nn.ConvTranspose"].reason.endswith("(left out)")
    (tmp_path / "empty").mkdir()
    with pytest.raises(LoadError, match="no mytorch/ folder"):
        LOADER.locate(tmp_path / "empty")


def test_grading_credits_each_part_of_a_checkout_only(tmp_path) -> None:
    # the bundled rubric (the course's credit split); a HW1P1 checkout is not graded on HW2P1
    hw1 = _checkout(tmp_path, moves={**HW3P1_FILES, **{name: None for name in (
        "nn/resampling.py", "nn/Conv1d.py", "nn/Conv2d.py", "nn/ConvTranspose.py",
        "nn/pool.py", "flatten.py")}}, edits={"nn/batchnorm.py": (
            "self.running_M = self.alpha * self.running_M",
            "self.running_M = self.alpha * self.M")})
    hw1 = hw1.rename(tmp_path / "hw1p1")
    out = tmp_path / "out"
    code = main(["grade", str(BUNDLED), str(hw1), "--api", "mytorch",
                 "--out", str(out), "--workers", "1"])
    assert code in (0, 1)
    rows = {r["submission"]: r for r in csv.DictReader(open(out / "gradebook.csv"))}
    assert rows["mytorch"]["score"] == rows["mytorch"]["max_score"] == "211.0"
    hw1p1 = json.loads((out / "hw1p1" / "result.json").read_text())
    assert hw1p1["max_score"] == 65.0   # HW1P1's items (the MLP items are not nnparity's)
    assert "mytorch:conv1d" in {n["op"] for n in hw1p1["not_graded"]}
    # the running statistics are not the course's test: no points ride on them
    assert hw1p1["score"] == 65.0


@pytest.mark.parametrize(("files", "edition"), [
    ({}, "2024+"),
    ({"nn/activation.py": OLD_ACTIVATIONS}, "2022-23"),
    ({"nn/modules/linear.py": "class Linear:\n    pass\n", "nn/activation.py": OLD_ACTIVATIONS},
     "2022"),
    ({"nn/linear.py": "class Linear:\n    def __init__(self, i, o, autograd_engine): pass\n"},
     "autograd"),
    ({"nn/activation.py": "class Sigmoid:\n    def derivative(self): pass\n"}, "legacy"),
])
def test_the_year_is_told_from_the_files(tmp_path, files, edition) -> None:
    moves = {"nn/linear.py": None} if "nn/modules/linear.py" in files else {}
    impl = _checkout(tmp_path, moves=moves)
    for name, text in files.items():
        (impl / "mytorch" / name).parent.mkdir(parents=True, exist_ok=True)
        (impl / "mytorch" / name).write_text(text)
    detected = MYTORCH.edition(impl / "mytorch")
    assert detected is not None and detected.edition.name == edition, detected


def test_a_hw2p1_checkout_without_padding_is_2022_23s(tmp_path) -> None:
    impl = _checkout(tmp_path, moves={"optim/sgd.py": None}, edits={"nn/Conv1d.py": (
        "kernel_size, stride, padding=0,", "kernel_size, stride,")})
    detected = MYTORCH.edition(impl / "mytorch")
    assert detected is not None and detected.edition.name == "hw2p1-2022-23"


def test_a_core_bug_is_charged_once_when_one_file_holds_every_convolution(tmp_path) -> None:
    # Fall 2022's layout: Conv2d_stride1, Conv2d and ConvTranspose2d in one nn/conv.py; the
    # stride-1 core's bias doubled. Conv2d and ConvTranspose2d call it: rerun with the
    # bundled core put in its place inside conv.py, they pass on their own code.
    bundled = BUNDLED / "nn"
    transposed = edited((bundled / "ConvTranspose.py").read_text(), (
        ("from __future__ import annotations\n", ""), ("from .Conv2d import Conv2d_stride1\n", "")))
    conv = edited((bundled / "Conv2d.py").read_text() + transposed, (
        ("return Z + self.b[:, None, None]", "return Z + 2 * self.b[:, None, None]"),))
    impl = _checkout(tmp_path, moves={"nn/Conv2d.py": None, "nn/ConvTranspose.py": None},
                     files={"nn/conv.py": conv})
    ops = "mytorch:conv2d_stride1,mytorch:conv2d,mytorch:conv_transpose2d"
    _, report = _check(tmp_path, impl, "--ops", ops)
    assert _failing(report) == {"mytorch:conv2d_stride1 forward"}
    for op in ("mytorch:conv2d", "mytorch:conv_transpose2d"):
        rerun = [r for r in report["results"] if r["op"] == op and r.get("depends_on")]
        assert rerun and all([d["op"] for d in r["depends_on"]] == ["mytorch:conv2d_stride1"]
                             for r in rerun)

