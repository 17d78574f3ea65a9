"""nnparity.check from Python: the CLI's check as a report object (HTML in Jupyter, the
summary table in a terminal), ValueError for unusable input, report files on request."""

import html
import json
import subprocess
import sys
from pathlib import Path

import pytest

import nnparity
from harness.reports.view import SUMMARY_HEADERS

HERE = Path(__file__).parent


def test_importing_nnparity_does_not_load_torch():
    code = ("import sys, nnparity; assert 'torch' not in sys.modules, 'torch loaded'; "
            "assert nnparity.__version__; print(sorted(nnparity.__all__))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "['Report', '__version__', 'check']"


def test_the_bundled_implementation_passes_and_prints_the_cli_table():
    report = nnparity.check(ops="relu,sigmoid", cases=3, progress=False)
    assert isinstance(report, nnparity.Report)
    assert report.passed and not report.failures and report.fix_list == []
    assert report.json["api"] == "hw6" and report.json["summary"]["verdict"] == "pass"
    assert {(r["op"], r["output"]) for r in report.results} == {
        ("relu", "forward"), ("relu", "dX"), ("sigmoid", "forward"), ("sigmoid", "dX")}
    text = str(report)
    assert all(h in text for h in SUMMARY_HEADERS) and text.count("PASS") == 4
    assert "All 4 op outputs match PyTorch" in text
    assert repr(report).startswith("<nnparity Report: all 4 outputs pass — impl ")

    class Printer:  # IPython's pretty printer, as far as _repr_pretty_ uses it
        def text(self, s):
            self.out = s

    printer = Printer()
    report._repr_pretty_(printer, False)
    assert printer.out == text.rstrip("\n")


def test_a_buggy_hw6_backward_fails_where_it_is_wrong_and_renders_as_html():
    report = nnparity.check(HERE / "buggy_impls" / "sigmoid_backward_drops_dY", ops=["sigmoid"],
                            cases=3, progress=False)
    assert not report.passed
    assert [(r["op"], r["output"]) for r in report.failures] == [("sigmoid", "dX")]
    code = report.failures[0]["finding"]["diagnosis"][0]["code"]
    assert code == "upstream_ignored" and report.fix_list[0]["code"] == code
    assert repr(report).startswith("<nnparity Report: 1 of 2 outputs fail — impl ")
    text = str(report)
    assert "fix list: 1 problem" in text and f"[{code}]" in text
    assert "Sigmoid.backward" in text and "1 of 2 op outputs do not match" in text
    assert "smallest failing case" not in text
    assert "repro: nnparity repro 'sigmoid/" in report.text(findings=True)
    shown = report._repr_html_()
    assert shown.startswith("<iframe") and shown.rstrip().endswith("</iframe>")
    page = html.unescape(shown.split('srcdoc="', 1)[1].rsplit('"', 1)[0])
    assert page.startswith("<!doctype html>") and "sigmoid" in page and code in page
    assert page.replace(page[page.index("<script>"):page.index("</script>") + 9], "") \
        == report.to_html()


def test_a_cs231n_function_api_is_detected_and_its_report_files_written(tmp_path):
    impl = HERE / "cs231n_impls" / "batchnorm_momentum_swapped"
    report = nnparity.check(impl, ops="batchnorm", cases=3, report_dir=tmp_path,
                            progress=False)
    assert report.json["api"] == "cs231n" and not report.passed
    assert all(r["op"] == "cs231n:batchnorm" for r in report.results)
    failing = {(r["op"], r["output"]) for r in report.failures}
    assert ("cs231n:batchnorm", "running_mean") in failing
    assert "cs231n/layers.py" in report.fix_list[0]["open"]
    assert "API cs231n" in str(report)
    assert {p.name for p in tmp_path.iterdir()} == {"report.json", "report.md", "report.html"}
    saved = json.loads((tmp_path / "report.json").read_text())
    assert saved["results"] == json.loads(json.dumps(report.json["results"]))
    assert (tmp_path / "report.html").read_text() == report.to_html()
    assert "running_mean" in (tmp_path / "report.md").read_text()
    again = nnparity.Report(saved)  # a report.json read back renders the same way
    assert str(again) == str(report) and not again.passed
    assert set(again.save(tmp_path / "copy")) == {"json", "md", "html"}


@pytest.mark.parametrize("kwargs, needle", [
    ({"impl": "/no/such/dir"}, "impl /no/such/dir: no such file or directory"),
    ({"api": "keras"}, "api: unknown API 'keras'; known APIs: hw6, cs231n"),
    ({"ops": "conv3d"}, "unknown op 'conv3d'"),
    ({"ops": "batchnorm"}, "unknown op 'batchnorm'"),  # a CS231n op, asked of HW6
    ({"cases": 0}, "cases must be at least 1"),
    ({"profile": "lenient"}, "unknown conventions profile 'lenient'"),
    ({"starter": "/no/such/starter"}, "starter /no/such/starter: not a directory"),
])
def test_unusable_input_raises_value_error_saying_what_to_fix(kwargs, needle):
    with pytest.raises(ValueError) as info:
        nnparity.check(progress=False, **kwargs)
    assert needle in str(info.value)
    assert "--" not in str(info.value).split(";")[0]
