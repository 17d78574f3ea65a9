"""An optional op is left out only where the implementation's own file does not define it.

The sandboxed child says which name it did not find; a submission runs in that process and
could say so of an op it fails, which would take the op out of its grade. The parent reads
the file itself: a function the file defines is the submission's to be judged on."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from harness.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _check(tmp_path: Path, impl: Path) -> dict:
    out = tmp_path / "report.json"
    main(["check", "--api", "cs231n", "--impl", str(impl), "--cases", "4",
          "--ops", "cs231n:svm_loss", "--report", str(tmp_path / "r"), "--json", str(out)])
    return json.loads(out.read_text())


def _library(tmp_path: Path, tail: str) -> Path:
    impl = tmp_path / "impl"
    shutil.copytree(ROOT / "student_nn" / "cs231n", impl / "cs231n",
                    ignore=shutil.ignore_patterns("__pycache__"))
    layers = impl / "cs231n" / "layers.py"
    layers.write_text(layers.read_text() + tail)
    return impl


def test_a_function_the_file_defines_is_not_absent_whatever_the_child_says(tmp_path) -> None:
    # the file defines svm_loss (wrongly), then makes it vanish: the child finds no svm_loss
    impl = _library(tmp_path, "\n\ndef svm_loss(x, y):\n    return 0.0, x * 0\n\n\n"
                              "del svm_loss\n")
    report = _check(tmp_path, impl)
    assert not [s for s in report.get("skipped") or [] if s["op"] == "cs231n:svm_loss"]
    statuses = {r["status"] for r in report["results"] if r["op"] == "cs231n:svm_loss"}
    assert statuses == {"not_implemented"}


def test_a_function_the_file_does_not_define_is_left_out(tmp_path) -> None:
    impl = _library(tmp_path, "")
    layers = impl / "cs231n" / "layers.py"
    text = layers.read_text()
    start = text.index("def svm_loss(")
    end = text.find("\ndef ", start + 1)
    layers.write_text(text[:start] + (text[end + 1:] if end != -1 else ""))
    report = _check(tmp_path, impl)
    assert [s["why"] for s in report["skipped"] if s["op"] == "cs231n:svm_loss"] == ["absent"]
    assert not [r for r in report["results"] if r["op"] == "cs231n:svm_loss"]


def test_a_missing_file_is_said_to_be_missing(tmp_path) -> None:
    """An assignment 2 checkout has no rnn_layers.py: its rnn ops are left out, and the reason
    says the file is not there (not that the file lacks the function)."""
    impl = _library(tmp_path, "")
    (impl / "cs231n" / "rnn_layers.py").unlink()
    out = tmp_path / "report.json"
    main(["check", "--api", "cs231n", "--impl", str(impl), "--cases", "2",
          "--ops", "cs231n:rnn_step", "--report", str(tmp_path / "r"), "--json", str(out)])
    (skipped,) = json.loads(out.read_text())["skipped"]
    assert skipped["why"] == "absent"
    assert skipped["reason"].startswith("there is no rnn_layers.py")
