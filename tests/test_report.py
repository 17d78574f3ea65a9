"""The Markdown and HTML reports, the CLI's report directory and the merged pytest report."""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

from harness.check.checker import Checker
from harness.check.investigate import check_and_investigate
from harness.cli import main
from harness.core.registry import select_ops
from harness.reports import write as report_module
from harness.reports.html_page import render_html
from harness.reports.markdown import render_markdown
from harness.reports.write import write_reports

ROOT = Path(__file__).resolve().parent.parent
IMPLS = ROOT / "tests" / "diagnosis_impls"
RELU_BUG = IMPLS / "relu_mask_and_conv_backward"
STRIDE_BUG = IMPLS / "conv_dx_forgets_stride"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def failing_report() -> dict:
    """ReLU.backward is broken, and Conv2D has bugs of its own (its act=relu cases are rerun
    with ReLU substituted: each bug charged once): three failing items."""
    with Checker(RELU_BUG / "neural_networks") as checker:
        return check_and_investigate(checker, select_ops("relu,conv2d"), 3)


@pytest.fixture(scope="module")
def passing_report() -> dict:
    with Checker() as checker:
        return check_and_investigate(checker, select_ops("relu,flatten"), 2)


def test_a_correct_implementation_is_reported_in_one_line(passing_report) -> None:
    md = render_markdown(passing_report)
    assert "**All 4 op outputs match PyTorch over 4 cases: no bug found.**" in md
    assert "## Failures" not in md
    assert "no bug found" in render_html(passing_report)


def test_markdown_leads_with_conventions_summary_then_the_smallest_case(failing_report) -> None:
    md = render_markdown(failing_report)
    order = ["Conventions: profile homework (maxpool_pad=-inf|zero", "## Summary",
             "| conv2d | dX", "## Failures", "### relu dX: FAIL", "**Likely bug** (`",
             "**Smallest failing case:**", "nnparity repro '", "**One change at a time**",
             "**Where the mismatches are**", "### conv2d dX: FAIL"]
    positions = [md.find(text) for text in order]
    assert -1 not in positions, [t for t, p in zip(order, positions, strict=True) if p < 0]
    assert positions == sorted(positions)
    assert "row\\col" in md
    assert "with nnparity's correct relu in place of yours" in md   # conv2d's own bugs only


def test_html_is_self_contained(failing_report) -> None:
    html = render_html(failing_report)
    assert html.startswith("<!doctype html>") and "<style>" in html
    assert not re.search(r"<script|<link|<img|<iframe|src=|url\(", html)
    assert set(re.findall(r"https?://[^\s\"'<>]+", html)) <= {"http://www.w3.org/2000/svg"}
    assert html.count('class="heatmap"') >= 3
    assert 'href="#relu-dX"' in html and 'id="relu-dX"' in html


def _unfilter(kind: int, line: np.ndarray, up: np.ndarray, channels: int) -> np.ndarray:
    """Undo one PNG row filter (0 none, 1 sub, 2 up, 3 average, 4 Paeth)."""
    if kind in (0, 2):
        return (line + (up if kind == 2 else 0)) & 0xFF
    if kind == 1:
        return line.reshape(-1, channels).cumsum(axis=0).ravel() & 0xFF
    out = np.zeros_like(line)
    for x in range(line.size):
        left = out[x - channels] if x >= channels else 0
        corner = up[x - channels] if x >= channels else 0
        if kind == 3:
            pred = (left + up[x]) // 2
        else:
            p = left + up[x] - corner
            pa, pb, pc = abs(p - left), abs(p - up[x]), abs(p - corner)
            pred = left if pa <= pb and pa <= pc else up[x] if pb <= pc else corner
        out[x] = (line[x] + pred) & 0xFF
    return out


def _png_pixels(path: Path) -> np.ndarray:
    """Decode an 8-bit RGB/RGBA, non-interlaced PNG (what Chromium writes) to (H, W, C)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        chunk = data[pos + 8:pos + 8 + length]
        header = struct.unpack(">IIBBBBB", chunk) if kind == b"IHDR" else header
        idat += chunk if kind == b"IDAT" else b""
        pos += 12 + length
    width, height, depth, colour, *_ = header
    assert depth == 8 and colour in (2, 6)
    channels = 3 if colour == 2 else 4
    raw = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(height, 1 + width * channels)
    rows, up = [], np.zeros(width * channels, np.int64)
    for y in range(height):
        up = _unfilter(int(raw[y, 0]), raw[y, 1:].astype(np.int64), up, channels)
        rows.append(up)
    return np.array(rows).reshape(height, width, channels)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed; on Debian: "
                                             "apt-get update && apt-get install -y chromium")
def test_html_renders_in_headless_chromium(failing_report, tmp_path) -> None:
    page = write_reports(failing_report, tmp_path)["html"].as_uri()
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(flags + ["--dump-dom", page], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert "<h2>Summary</h2>" in dom and "conv2d" in dom and "<rect" in dom
    shot = tmp_path / "page.png"
    subprocess.run(flags + [f"--screenshot={shot}", "--window-size=1000,4000",
                            "--force-device-scale-factor=0.3", page],   # a small PNG to decode
                   capture_output=True, timeout=120, check=True)
    r, g, b = (_png_pixels(shot)[..., i] for i in range(3))
    deep_red = (r > 150) & (g < 60) & (b < 60)         # a fully wrong heatmap cell
    assert deep_red.sum() > 500, "no heatmap cell is visible in the screenshot"


def test_check_writes_json_markdown_and_html(tmp_path, capsys) -> None:
    code = main(["check", "--impl", str(STRIDE_BUG), "--ops", "conv2d", "--cases", "2",
                 "--report", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 1
    pasted = " ".join(out.replace(" \\\n", " ").split())   # a long command's lines joined
    assert "[conv_stride_ignored]" in out and "repro: nnparity repro 'conv2d/" in pasted
    files = {p.name for p in (tmp_path / "out").iterdir()}
    assert files == {"report.json", "report.md", "report.html"}
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert {"impl", "seed", "summary", "results"} <= report.keys()
    finding = next(i for i in report["results"] if i["output"] == "dX")["finding"]
    assert {"case_id", "params", "localization", "diagnosis", "smallest", "ablation",
            "maps", "repro"} <= finding.keys()
    assert "### conv2d dX: FAIL" in (tmp_path / "out" / "report.md").read_text()


# ---------------------------------------------------------------- the report is never lost
def _boom(*args, **kwargs):
    raise ValueError("boom from a test")


BOOM_LINE = _boom.__code__.co_firstlineno + 1


def _check(tmp_path: Path, impl: Path | None = STRIDE_BUG, ops: str = "conv2d"
           ) -> tuple[int, dict, Path]:
    out = tmp_path / "out"
    args = ["check", "--ops", ops, "--cases", "2", "--report", str(out)]
    code = main(args + (["--impl", str(impl)] if impl else []))
    return code, json.loads((out / "report.json").read_text()), out


def test_an_exception_while_shrinking_is_a_note_and_the_rest_goes_on(tmp_path, monkeypatch,
                                                                      capsys) -> None:
    monkeypatch.setattr("harness.check.investigate.shrink", _boom)
    code, report, out = _check(tmp_path)
    assert code == 1  # the verdicts decide, not the investigation
    item = next(i for i in report["results"] if i["output"] == "dX")
    note = ("investigation stopped (shrinking): ValueError: boom from a test at "
            f"tests/test_report.py:{BOOM_LINE}")
    assert note in item["notes"]
    assert {"what": "investigation", "stage": "shrinking", "type": "ValueError",
            "file": "tests/test_report.py", "line": BOOM_LINE}.items() \
        <= item["finding"]["stopped"][0].items()
    # ablation went on from the original case, and still finds the stride
    assert item["finding"]["smallest"]["case_id"] == item["finding"]["case_id"]
    assert "stride" in {d["code"] for d in item["finding"]["diagnosis"]}
    assert note in (out / "report.md").read_text()
    assert "investigation stopped (shrinking)" in (out / "report.html").read_text()


def test_an_exception_in_the_patterns_keeps_the_verdict_and_a_diagnosis(monkeypatch) -> None:
    monkeypatch.setattr("harness.diagnosis.diagnose.detect", _boom)
    with Checker(STRIDE_BUG) as checker:
        report = check_and_investigate(checker, select_ops("conv2d"), 2)
    item = next(i for i in report["results"] if i["output"] == "dX")
    assert item["status"] == "fail"
    assert any(n.startswith("investigation stopped (diagnosis): ValueError: boom")
               for n in item["notes"]), item["notes"]
    assert item["finding"]["diagnosis"]  # the fallback, then what ablation found
    assert "stride" in {d["code"] for d in item["finding"]["diagnosis"]}


def test_a_section_that_cannot_be_rendered_leaves_the_others_and_a_note(tmp_path,
                                                                        monkeypatch) -> None:
    import harness.reports.markdown as report_md

    real = report_md.render_section

    def flaky(sec):  # breaks relu dX's section, not its fallback
        if (sec.op, sec.output) == ("relu", "dX") and not any("stopped" in n for n in sec.notes):
            raise ValueError("boom from a test")
        return real(sec)

    monkeypatch.setattr(report_md, "render_section", flaky)
    with Checker(RELU_BUG / "neural_networks") as checker:
        report = check_and_investigate(checker, select_ops("relu,conv2d"), 3)
    out = tmp_path / "out"
    write_reports(report, out)
    report = json.loads((out / "report.json").read_text())
    md = (out / "report.md").read_text()
    assert "### relu dX: FAIL" in md  # the fallback section
    assert "rendering stopped (Markdown section): ValueError: boom from a test" in md
    assert "### conv2d dX: FAIL" in md and "**Likely bug**" in md.split("### conv2d dX")[1]
    item = next(i for i in report["results"] if (i["op"], i["output"]) == ("relu", "dX"))
    assert item["finding"]["stopped"][0]["what"] == "rendering"
    html = (out / "report.html").read_text()  # HTML renders the section whole, with the note
    relu_dx = html[html.index('id="relu-dX"'):html.index('id="conv2d-dX"')]
    assert "<h3>Smallest failing case</h3>" in relu_dx and "rendering stopped" in relu_dx


def test_a_renderer_that_fails_as_a_whole_still_leaves_all_three_files(tmp_path,
                                                                       monkeypatch) -> None:
    monkeypatch.setitem(report_module.RENDERERS, "html", _boom)
    code, report, out = _check(tmp_path, impl=None)
    assert code == 0  # a correct implementation passes, whatever the renderer does
    html = (out / "report.html").read_text()
    assert "could not be rendered: rendering stopped (html report): ValueError" in html
    assert "verdict: pass" in html
    assert any("rendering stopped (html report)" in n for n in report["notes"])
    assert "no bug found" in (out / "report.md").read_text()


def test_repro_prints_the_full_finding(capsys) -> None:
    case_id = "conv2d/n=1,h=4,w=4,cin=1,cout=2,k=3x3,s=2,pad=1,act=tanh,seed=7"
    assert main(["repro", case_id, "--impl", str(STRIDE_BUG)]) == 1
    out = capsys.readouterr().out
    assert "conv2d forward: PASS" in out and "\nconv2d dX: FAIL (1 of 1 cases)" in out
    assert "likely bug [conv_stride_ignored]" in out and " s=1 " in out and "input dY =" in out


def test_pytest_parity_report_is_merged_from_every_xdist_worker(tmp_path) -> None:
    out = tmp_path / "merged"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "2", "-p", "no:randomly",
         str(ROOT / "tests" / "test_parity.py"), "--nnparity-impl", str(STRIDE_BUG),
         "--parity-ops", "conv2d", "--parity-cases", "2", "--parity-report", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1, run.stdout[-2000:] + run.stderr[-2000:]
    assert {p.name for p in out.iterdir()} == {"report.json", "report.md", "report.html"}
    report = json.loads((out / "report.json").read_text())
    assert [(r["output"], r["cases"]) for r in report["results"]] == [
        ("forward", 2), ("dX", 2), ("dW", 2), ("db", 2)]
    finding = report["results"][1]["finding"]
    assert finding["diagnosis"][0]["code"] == "conv_stride_ignored" and "smallest" in finding
    assert "### conv2d dX: FAIL" in (out / "report.md").read_text()


def test_a_failing_whole_model_section_leaves_the_rest_of_the_page(tmp_path,
                                                                  monkeypatch) -> None:
    monkeypatch.setattr("harness.reports.model_section.markdown", _boom)
    with Checker(STRIDE_BUG) as checker:
        report = check_and_investigate(checker, select_ops("conv2d"), 2)
    write_reports(report, tmp_path)
    md = (tmp_path / "report.md").read_text()
    assert "## Summary" in md and "### conv2d dX: FAIL" in md
    assert "rendering stopped (Markdown whole-model section): ValueError: boom" in md
    saved = json.loads((tmp_path / "report.json").read_text())
    assert any("Markdown whole-model section" in n for n in saved["notes"])
