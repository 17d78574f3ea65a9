"""The command line: exit codes, the summary, report.json in the spec's schema, repro."""

import json
from pathlib import Path

import pytest

from harness.check.checker import Checker
from harness.cli import main
from harness.core.registry import get_op
from harness.sandbox.parent import Limits

BUGS = Path(__file__).parent / "buggy_impls"


def test_check_passes_on_student_nn_and_writes_the_report(tmp_path, capsys):
    code = main(["check", "--ops", "relu,conv2d", "--cases", "3", "--report", str(tmp_path),
                 "--json", str(tmp_path / "copy.json")])
    out = capsys.readouterr().out
    assert code == 0
    assert "conv2d" in out and "PASS" in out
    report = json.loads((tmp_path / "report.json").read_text())
    assert json.loads((tmp_path / "copy.json").read_text()) == report
    assert {"impl", "seed", "summary", "results"} <= report.keys()
    assert report["summary"]["verdict"] == "pass"
    assert [(r["op"], r["output"]) for r in report["results"]] == [
        ("relu", "forward"), ("relu", "dX"),
        ("conv2d", "forward"), ("conv2d", "dX"), ("conv2d", "dW"), ("conv2d", "db")]
    for r in report["results"]:
        assert {"op", "output", "status", "cases", "failed"} <= r.keys()
        assert r["cases"] == 3 and r["failed"] == 0 and "finding" not in r


def test_check_exits_1_and_localizes_a_bug(tmp_path, capsys):
    code = main(["check", "--impl", str(BUGS / "conv_dx_drops_first_row"), "--ops", "conv2d",
                 "--cases", "4", "--report", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 1
    pasted = " ".join(out.replace(" \\\n", " ").split())   # a long command's lines joined
    assert "repro: nnparity repro 'conv2d/" in pasted
    report = json.loads((tmp_path / "report.json").read_text())
    (bad,) = [r for r in report["results"] if r["status"] != "pass"]
    assert (bad["op"], bad["output"], bad["failed"]) == ("conv2d", "dX", 4)
    loc = bad["finding"]["localization"]
    assert loc["index"]["row"] == 0 and set(loc["index"]) == {"n", "row", "col", "ch"}
    assert {"got", "expected", "abs_err", "rel_err", "mismatched"} <= loc.keys()
    assert bad["finding"]["diagnosis"][0]["code"]


@pytest.mark.parametrize("argv, needle", [
    (["check", "--impl", "/no/such/dir"], "no such file or directory"),
    (["check", "--ops", "conv3d"], "unknown op 'conv3d'"),
    (["check", "--cases", "0"], "--cases must be at least 1"),
    (["repro", "conv2d/n=2"], "seed=N"),
    (["repro", "conv9/n=2,seed=1"], "unknown op"),
    (["repro", "fully_connected/n=1,n_in=1,n_out=1,act=softmax,seed=3"], "is not a case"),
    (["check", "--starter", "/no/such/starter"], "--starter /no/such/starter: not a directory"),
])
def test_unusable_input_exits_2_with_a_message_that_says_what_to_fix(argv, needle, capsys,
                                                                       tmp_path):
    assert main(argv + (["--report", str(tmp_path)] if argv[0] == "check" else [])) == 2
    assert needle in capsys.readouterr().err


def test_an_empty_directory_is_unusable(tmp_path, capsys):
    assert main(["check", "--impl", str(tmp_path), "--report", str(tmp_path)]) == 2
    assert "no neural_networks/ or student_nn/ package" in capsys.readouterr().err


def test_repro_reruns_one_case_and_prints_the_elements(capsys):
    case_id = "conv2d/n=1,h=4,w=4,cin=1,cout=2,k=3x3,s=1,pad=1,act=tanh,seed=7"
    assert main(["repro", case_id, "--impl", str(BUGS / "conv_dx_drops_first_row")]) == 1
    out = capsys.readouterr().out
    assert "conv2d dX: FAIL" in out and "conv2d forward: PASS" in out
    assert "at n=0 row=0" in out
    assert main(["repro", case_id]) == 0


@pytest.mark.parametrize("case_id", [
    "attention:multihead/n=1,tq=2,tk=2,heads=x,d=1,mask=causal,seed=5",
    "cs231n:rnn/n=1,t=two,d=1,h=1,seed=2",
])
def test_repro_of_a_case_with_a_mistyped_size_says_which(case_id, capsys):
    # a hand-edited case ID: a usage error naming the parameter, not a traceback
    assert main(["repro", case_id]) == 2
    assert "is not a case: parameter" in capsys.readouterr().err


def test_an_op_that_hangs_is_given_up_after_two_time_limits(tmp_path, capsys):
    hangs = Path(__file__).parent / "submissions" / "infinite_loop"
    code = main(["check", "--impl", str(hangs), "--ops", "tanh,relu", "--cases", "6",
                 "--timeout", "1", "--report", str(tmp_path)])
    assert code == 1
    report = json.loads((tmp_path / "report.json").read_text())
    status = {(r["op"], r["output"]): (r["status"], r["failed"]) for r in report["results"]}
    assert status[("tanh", "forward")] == ("timeout", 6)
    assert status[("relu", "forward")] == ("pass", 0)      # the other ops still run
    spec = get_op("tanh")
    with Checker(hangs / "neural_networks", limits=Limits(case_seconds=1)) as checker:
        messages = [checker.check(spec, case)["forward"].message for case in spec.cases(3)]
    assert "no answer within 1 s" in messages[0] and "no answer within 1 s" in messages[1]
    assert messages[2].startswith("not run: TanH timed out in 2 cases in a row")


def test_ctrl_c_writes_the_report_of_the_cases_checked_so_far(tmp_path, capsys, monkeypatch):
    from harness.progress import Progress

    def advance(self, n=1, note=""):
        self.done += n
        if self.done == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(Progress, "advance", advance)
    code = main(["check", "--ops", "relu", "--cases", "10", "--report", str(tmp_path)])
    assert code == 130
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["summary"]["interrupted"] is True
    assert report["summary"]["cases"] == 3
    assert "Interrupted after 3 cases" in capsys.readouterr().out


def test_version_prints_the_installed_version_and_exits_0(capsys):
    from importlib.metadata import version

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"nnparity {version('nnparity')}"
