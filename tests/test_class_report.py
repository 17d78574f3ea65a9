"""The class report (class.html, class.md, class.json) and the regrade diff.

A small real batch is graded ONCE (tests/report_fixtures/class_rubric.toml: 3 cases per item,
a hidden item): two copies of one buggy submission, four other buggy impls and student_nn;
then one copy is fixed and the batch regraded with `nnparity grade --compare`, which grades
that one alone (the others resume). Under pytest-xdist the batch still runs once (a file
lock, as in tests/test_grading.py). A generated class of a few hundred submissions, made by
recombining the batch's result.json files (`harness.tools.bench.class_report.synthesise`, no
grading), tests the statistics and the clusters at scale. No test here asserts a time
(python -m harness.tools.bench.class_report measures it).
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import json
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

import pytest

from harness.cli import main as cli_main
from harness.grading.class_post import generalise, observation, scrub
from harness.grading.cohort import (
    build_class,
    class_report,
    diff_results,
    near,
    place,
    read_graded,
    write_class_report,
)
from harness.sandbox.parent import PROJECT_ROOT
from harness.tools.bench.class_report import synthesise, write_results

BUGGY = PROJECT_ROOT / "tests" / "buggy_impls"
RUBRIC = PROJECT_ROOT / "tests" / "report_fixtures" / "class_rubric.toml"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# submission name -> the buggy impl it is a copy of (None: student_nn, correct)
BATCH = {"sig_a": "sigmoid_backward_drops_dY", "sig_b": "sigmoid_backward_drops_dY",
         "relu_doubles": "relu_backward_in_place_doubles",
         "conv_db": "conv_db_first_item_only", "softmax_diag": "softmax_backward_diagonal",
         "ce_half": "cross_entropy_divides_by_size", "correct": None}
FIXED = "sig_b"   # fixed between the two gradings
POST = "# For the class"


# ------------------------------------------------------------------ the graded batch
@pytest.fixture(scope="module")
def shared(tmp_path_factory, worker_id) -> Path:
    base = tmp_path_factory.getbasetemp()
    return base.parent if worker_id != "master" else base


@contextlib.contextmanager
def _lock(shared: Path):
    with open(shared / "nnparity-class-report.lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _inputs(root: Path) -> list[str]:
    inputs = root / "in"
    for name, source in BATCH.items():
        if source is None:
            shutil.copytree(PROJECT_ROOT / "student_nn", inputs / name / "neural_networks",
                            ignore=shutil.ignore_patterns("__pycache__", "cs231n"))
        else:
            shutil.copytree(BUGGY / source, inputs / name,
                            ignore=shutil.ignore_patterns("__pycache__"))
    for p in [root, *root.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    return [str(inputs / name) for name in BATCH]


def _grade_twice(dest: Path) -> dict:
    root = Path(tempfile.mkdtemp(prefix="nnparity-class-"))
    root.chmod(0o755)
    try:
        subs = _inputs(root)
        first, second = root / "out1", root / "out2"
        code1 = cli_main(["grade", *subs, "--rubric", str(RUBRIC), "--out", str(first),
                          "--workers", "2", "--no-progress"])
        shutil.copytree(first, second)
        fixed = root / "in" / FIXED / "neural_networks" / "activations.py"
        fixed.write_text("from student_nn.activations import *  # noqa: F403\n")
        code2 = cli_main(["grade", *subs, "--rubric", str(RUBRIC), "--out", str(second),
                          "--compare", str(first), "--workers", "1", "--no-progress"])
        shutil.copytree(first, dest / "out1")
        shutil.copytree(second, dest / "out2")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return {"codes": [code1, code2]}


@pytest.fixture(scope="module")
def batch(shared: Path) -> dict:
    """{"out1": the first grading, "out2": the regrade with FIXED fixed, "run": exit codes}."""
    dest = shared / "nnparity-class-report"
    with _lock(shared):
        if not (dest / "run.json").exists():
            dest.mkdir(exist_ok=True)
            (dest / "run.json").write_text(json.dumps(_grade_twice(dest)))
    return {"out1": dest / "out1", "out2": dest / "out2",
            "run": json.loads((dest / "run.json").read_text())}


def _json(out: Path) -> dict:
    return json.loads((out / "class.json").read_text())


def _results(out: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/result.json")}


def test_grade_writes_the_class_report_beside_the_gradebook(batch):
    assert batch["run"]["codes"] == [0, 0]
    for out in (batch["out1"], batch["out2"]):
        for name in ("gradebook.csv", "class.json", "class.md", "class.html"):
            assert (out / name).is_file(), name
    data = _json(batch["out1"])
    assert data["schema"] == "nnparity-class-report/1"
    assert data["submissions"]["with_result"] == len(BATCH)
    assert data["submissions"]["pending"] == [] and data["submissions"]["unreadable"] == []
    assert sum(b["count"] for b in data["scores"]["histogram"]) == len(BATCH)
    assert data["scores"]["full_marks"] == 1                     # student_nn alone
    assert data["statuses"] == {"graded": len(BATCH)}
    assert sum(data["isolation"].values()) == len(BATCH)
    assert data["seconds"]["max"] >= data["seconds"]["median"] > 0


def test_pass_rates_are_the_gradebooks(batch):
    data = _json(batch["out1"])
    rows = list(csv.DictReader((batch["out1"] / "gradebook.csv").open()))
    assert len(rows) == len(BATCH)
    for t in data["tests"]:
        cells = [float(r[t["test"]]) for r in rows if r[t["test"]] != ""]
        passed = sum(c >= t["max_score"] for c in cells)
        assert (t["submissions"], t["passed"]) == (len(cells), passed), t["test"]
        assert t["pass_rate"] == pytest.approx(passed / len(cells), abs=1e-4)
        assert t["points_lost"] == pytest.approx(sum(t["max_score"] - c for c in cells),
                                                 abs=1e-3)
    by_item = {i["item"]: i for i in data["items"]}
    sigmoid = by_item["Sigmoid"]
    assert (sigmoid["failed"], sigmoid["submissions"]) == (2, len(BATCH))
    assert by_item["SoftMax (secret cases)"]["visibility"] == "hidden"


def test_common_root_causes_name_the_function_and_count_the_submissions(batch):
    causes = {(c["code"], c["where"]): c for c in _json(batch["out1"])["causes"]}
    sigmoid = causes[("upstream_ignored", "activations.py · Sigmoid.backward")]
    assert sorted(sigmoid["members"]) == ["sig_a", "sig_b"] and sigmoid["submissions"] == 2
    assert sigmoid["points"] == pytest.approx(2.0)      # Sigmoid backward dX, 1 point each
    assert sigmoid["tests"] == {"Sigmoid backward dX": 2}
    assert causes[("batch_axis", "layers.py · Conv2D.backward")]["members"] == ["conv_db"]
    assert causes[("scale_factor", "activations.py · ReLU.backward")]["members"] == [
        "relu_doubles"]
    assert causes[("scale_factor", "losses.py · CrossEntropy.forward")]["members"] == [
        "ce_half"]
    # SoftMax.backward keeps only the Jacobian's diagonal: one cause, visible and hidden tests
    (softmax,) = [c for c in causes.values() if c["where"] == "activations.py · SoftMax.backward"]
    assert softmax["members"] == ["softmax_diag"] and not softmax["hidden_only"]
    assert {"SoftMax backward dX", "SoftMax (secret cases) backward dX"} <= set(softmax["tests"])
    # the most common comes first, and every member's signature names it
    data = _json(batch["out1"])
    assert data["causes"][0]["key"] == sigmoid["key"]
    signatures = {s["submission"]: s for s in data["signatures"]}
    assert signatures["sig_a"]["causes"] == [sigmoid["id"]]
    assert signatures["correct"]["causes"] == [] and signatures["correct"]["cluster"] is None


def test_two_copies_of_one_buggy_submission_form_one_cluster_of_two(batch):
    clusters = _json(batch["out1"])["clusters"]
    assert len(clusters) == 1
    (cluster,) = clusters
    assert cluster["size"] == 2 and sorted(cluster["members"]) == ["sig_a", "sig_b"]
    assert cluster["identical"] and cluster["cases"]     # the same smallest failing case
    page = (batch["out1"] / "class.html").read_text()
    assert "never evidence of copying" in page


def _hidden_words(out: Path) -> set[str]:
    words = set()
    for result in _results(out).values():
        for t in result["tests"]:
            if t["visibility"] != "visible":
                f = t.get("finding") or {}
                words |= {t["name"], t["item"], f.get("case_id") or "",
                          (f.get("smallest") or {}).get("case_id") or ""}
    return {w for w in words if w}


def test_the_class_post_shows_no_hidden_item_and_names_nobody(batch):
    out = batch["out1"]
    md = (out / "class.md").read_text()
    staff, post = md.split(POST, 1)
    assert "SoftMax (secret cases)" in staff          # the staff part may show hidden items
    hidden = _hidden_words(out)
    assert "SoftMax (secret cases)" in hidden and any("seed=" in w for w in hidden)
    for word in hidden:
        assert word not in post, word
    seeds = {m for w in hidden for m in re.findall(r"seed=\d+", w)}
    assert not any(s in post for s in seeds)
    for name in BATCH:
        assert name not in post, name
    data = _json(out)
    assert 1 <= len(data["post"]) <= 5
    text = json.dumps(data["post"])
    assert not any(word in text for word in hidden)
    first = data["post"][0]
    assert first["where"] == "activations.py · Sigmoid.backward"
    assert first["submissions"] == 2 and first["code"] == "upstream_ignored"
    assert first["smallest_case"]["op"] == "sigmoid" and "seed" not in first["smallest_case"][
        "params"]
    assert first["contract"] and first["hint"] and "f'(Z) alone" in first["symptom"]
    assert "must multiply" not in first["symptom"]     # what is seen, not the fix


def test_html_is_self_contained_without_script(batch):
    page = (batch["out1"] / "class.html").read_text()
    assert "<script" not in page.lower()
    assert not re.search(r"\son\w+\s*=", page)            # no inline handlers either
    assert not re.search(r"<(link|img|iframe|object|embed)\b", page, re.I)
    assert not re.search(r"\bsrc\s*=", page)
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) <= {"http://www.w3.org/2000/svg"}
    assert "<svg" in page and "<rect" in page and 'href="sig_a/staff.md"' in page
    assert "Staff only" in page


def test_regrade_lists_exactly_the_changed_submission(batch, capsys):
    out1, out2 = batch["out1"], batch["out2"]
    rows = list(csv.DictReader((out2 / "regrade.csv").open()))
    assert [r["submission"] for r in rows] == [FIXED]
    (row,) = rows
    assert row["why"] == "submission changed"
    assert float(row["new_score"]) > float(row["old_score"])
    assert "Sigmoid backward dX" in row["tests_changed"]
    regrade = _json(out2)["regrade"]
    assert regrade["changed"] == 1 and regrade["compared"] == len(BATCH)
    assert _json(out2)["submissions"]["with_result"] == len(BATCH)   # resumed ones too
    assert regrade["reasons"] == {"submission changed": 1}
    # nnparity diff OLD NEW says the same (and rewrites regrade.csv)
    capsys.readouterr()
    assert cli_main(["diff", str(out1), str(out2)]) == 0
    printed = capsys.readouterr().out
    assert FIXED in printed and "submission changed" in printed
    assert "1 of 7 submission(s) changed" in printed
    assert [r["submission"] for r in csv.DictReader((out2 / "regrade.csv").open())] == [FIXED]
    assert "Regrade" in (out2 / "class.html").read_text()
    # the fixed copy leaves the cluster: no cluster is left
    assert _json(out2)["clusters"] == []


def test_a_dask_batch_writes_the_same_class_report(batch, shared, tmp_path):
    pytest.importorskip("distributed")
    from harness.grading.batch import grade_batch
    from harness.grading.rubric import load_rubric

    root = Path(tempfile.mkdtemp(prefix="nnparity-class-dask-"))
    root.chmod(0o755)
    try:
        subs = [s for s in _inputs(root) if Path(s).name in ("sig_a", "relu_doubles")]
        with _lock(shared):
            grade_batch(subs, load_rubric(RUBRIC), root / "out", scheduler="local:1",
                        progress=False, log=lambda line: None)
        data = _json(root / "out")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    local = {c["key"]: c["members"] for c in _json(batch["out1"])["causes"]}
    assert data["submissions"]["with_result"] == 2
    assert {c["key"]: c["members"] for c in data["causes"]} == {
        key: [m for m in members if m in ("sig_a", "relu_doubles")]
        for key, members in local.items() if {"sig_a", "relu_doubles"} & set(members)}


def test_class_report_command_rebuilds_and_says_what_is_wrong(batch, tmp_path, capsys):
    copy = tmp_path / "copy"
    shutil.copytree(batch["out1"], copy)
    for name in ("class.json", "class.md", "class.html"):
        (copy / name).unlink()
    assert cli_main(["class-report", str(copy)]) == 0
    rebuilt, original = _json(copy), _json(batch["out1"])
    for data in (rebuilt, original):
        data.pop("generated_at"), data.pop("out")
    assert rebuilt == original
    assert cli_main(["class-report", str(tmp_path / "missing")]) == 2
    assert "not a directory" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert cli_main(["diff", str(tmp_path / "empty"), str(copy)]) == 2
    assert "no result.json" in capsys.readouterr().err
    assert cli_main(["grade", str(BUGGY / "relu_forward_in_place"), "--out",
                     str(tmp_path / "o"), "--compare", str(tmp_path / "empty")]) == 2
    assert "--compare" in capsys.readouterr().err


def test_a_resumed_or_partial_batch_reports_what_is_there(batch, tmp_path):
    copy = tmp_path / "partial"
    shutil.copytree(batch["out1"], copy)
    (copy / "ce_half" / "result.json").unlink()          # listed in the gradebook, not done
    (copy / "relu_doubles" / "result.json").write_text("{half a fi")
    data = class_report(copy)
    assert data["submissions"]["pending"] == ["ce_half"]
    assert data["submissions"]["unreadable"] == ["relu_doubles"]
    assert data["submissions"]["with_result"] == len(BATCH) - 2
    assert write_class_report(copy / "nowhere", on_error=lambda m: None) is None


# ------------------------------------------------------------------ a generated class
def _donors(batch) -> list[dict]:
    """The first batch's results whose failing tests are disjoint (one root cause each), and
    the correct one."""
    chosen, taken = [], set()
    for name, result in sorted(_results(batch["out1"]).items()):
        if name == "sig_b":
            continue
        lost = {t["name"] for t in result["tests"] if t["score"] < t["max_score"]}
        if not lost & taken:
            chosen.append(result)
            taken |= lost
    return chosen


@pytest.fixture(scope="module")
def generated(batch, tmp_path_factory) -> dict:
    donors = _donors(batch)
    results = synthesise(donors, 300, seed=3)
    out = tmp_path_factory.mktemp("generated")
    write_results(out, results)
    write_class_report(out)
    return {"out": out, "results": results, "donors": donors, "data": _json(out)}


def test_generated_class_statistics(generated):
    data, results = generated["data"], generated["results"]
    n = len(results)
    assert data["submissions"]["with_result"] == n == 300
    assert sum(b["count"] for b in data["scores"]["histogram"]) == n
    full = sum(all(t["score"] >= t["max_score"] for t in r["tests"]) for r in results)
    assert data["scores"]["full_marks"] == full and data["submissions"]["all_pass"] == full
    for t in data["tests"]:
        scores = [next(x["score"] for x in r["tests"] if x["name"] == t["test"])
                  for r in results]
        assert t["passed"] == sum(s >= t["max_score"] for s in scores), t["test"]
    # each donor's root cause is counted once per synthetic submission made with it
    causes_of = {d["name"]: {c.key for c in read_graded(d).causes} for d in generated["donors"]}
    expected = Counter(key for r in results for d in r["synthetic"] for key in causes_of[d])
    found = {c["key"]: c["submissions"] for c in data["causes"]}
    assert found == dict(expected)
    counts = [c["submissions"] for c in data["causes"]]
    assert counts == sorted(counts, reverse=True)


def test_generated_class_clusters(generated):
    data = generated["data"]
    sig = {s["submission"]: s for s in data["signatures"]}
    members = [m for c in data["clusters"] for m in c["members"]]
    assert len(members) == len(set(members))                     # one cluster at most each
    assert all(sig[m]["causes"] for m in members)                 # all-pass: never clustered
    assert all(c["size"] == len(c["members"]) >= 2 for c in data["clusters"])
    # identical signatures share a cluster
    by_signature: dict[tuple, list[str]] = {}
    for s in data["signatures"]:
        if s["causes"]:
            by_signature.setdefault((tuple(sorted(s["causes"])), tuple(s["cases"])),
                                    []).append(s["submission"])
    for names in by_signature.values():
        assert len({sig[n]["cluster"] for n in names}) == 1, names
        if len(names) > 1:
            assert sig[names[0]]["cluster"] is not None
    ids = [c["id"] for c in data["clusters"]]
    assert ids == [f"K{i}" for i in range(1, len(ids) + 1)]


def test_an_item_most_of_the_class_fails_is_flagged_with_its_cause(batch):
    results = _results(batch["out1"])
    sig, correct = results["sig_a"], results["correct"]
    cls = ([dict(sig, name=f"s{i}") for i in range(6)]
           + [dict(correct, name=f"c{i}") for i in range(4)])
    data = build_class(cls)
    (flagged,) = [i for i in data["items"] if i["review"]]
    assert flagged["item"] == "Sigmoid" and flagged["failed"] == 6
    cause = next(c for c in data["causes"] if c["id"] == flagged["common_cause"]["cause"])
    assert cause["where"] == "activations.py · Sigmoid.backward"
    assert data["review"] == ["Sigmoid"]
    assert data["clusters"][0]["size"] == 6


def test_diff_reasons(batch):
    r = _results(batch["out1"])["relu_doubles"]
    changed = dict(r, score=r["score"] + 1, nnparity="9.9", rubric=dict(
        r["rubric"], fingerprint="other"))
    diff = diff_results([r], [changed])
    (row,) = diff["rows"]
    assert row["why"] == ["rubric changed", "nnparity version changed"]
    assert diff_results([r], [r])["rows"] == []
    assert diff_results([r], [])["rows"][0]["why"] == ["no longer graded"]
    unknown = diff_results([r], [dict(r, status="crashed")])["rows"][0]
    assert unknown["why"] == ["unknown"]


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed; on Debian: "
                                             "apt-get update && apt-get install -y chromium")
def test_class_page_renders_in_headless_chromium(generated, tmp_path):
    page = (generated["out"] / "class.html").as_uri()
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(flags + ["--dump-dom", page], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert "What the class gets wrong" in dom and "<rect" in dom
    shot = tmp_path / "class.png"
    subprocess.run(flags + [f"--screenshot={shot}", "--window-size=1366,768",
                            "--hide-scrollbars", page], capture_output=True, timeout=120,
                   check=True)
    assert shot.stat().st_size > 30_000                    # a page, not a blank screen


# ------------------------------------------------------------------ the words
def test_place_drops_lines_folders_and_helpers():
    assert place("neural_networks/layers.py:80 · Conv2D.backward") == \
        "layers.py · Conv2D.backward"
    assert place("hw6/neural_networks/layers.py:12 · pad_image, called from "
                 "hw6/neural_networks/layers.py:40 · Conv2D.forward") == \
        "layers.py · Conv2D.forward"
    assert place("neural_networks/losses.py:6 · <module>") == "losses.py · <module>"
    assert place("neural_networks/activations.py · Sigmoid.forward, Sigmoid.backward") == \
        "activations.py · Sigmoid.forward, Sigmoid.backward"


def test_symptoms_are_generalised_and_scrubbed():
    said = ["every element of dX is 2 times the expected value; got 0.125332, expected 1.0",
            "every element of dX is 2 times the expected value; got 0.772, expected 1.5"]
    assert generalise(said) == ("every element of dX is 2 times the expected value; got N, "
                                "expected N")
    assert scrub("forward raised: ValueError: bad (at hw6/neural_networks/layers.py:8 in "
                 "forward: return alice_secret(x))") == "forward raised: ValueError: bad"
    assert "alice_hw6" not in scrub("import of alice_hw6.helpers failed", ["alice_hw6"])
    assert scrub("layers.py is fine", ["layers", "bob"]) == "layers.py is fine"
    assert len(scrub("ValueError" + "x" * 10**6)) <= 2000      # a megabyte message: its start
    assert observation("db is wrong only with a batch of several samples: samples are mixed "
                       "up (a sum over the batch)") == \
        "db is wrong only with a batch of several samples"
    assert observation("mismatched elements: 3 / 3 (100.0%); worst at n=0") == \
        "mismatched elements: 3 / 3 (100.0%)"


def test_near_identical_signatures():
    a = frozenset({"x @ a.py · A.f", "y @ b.py · B.g", "case c1"})
    assert near(a, a)
    assert near(a, frozenset({"x @ a.py · A.f", "y @ b.py · B.g", "case c2"}))   # same causes
    assert near(a, a | {"z @ c.py · C.h"})                  # one more cause, two shared
    assert not near(frozenset({"x @ a.py · A.f"}), frozenset({"x @ a.py · A.f",
                                                              "z @ c.py · C.h"}))
    assert not near(a, frozenset({"q @ q.py · Q.q"}))
