"""nnparity evidence (harness/tools/evidence/): the mutation pipeline on a few mutants, the
course-style baseline, the labelled implementations, the false-positive chunks, and the
independent correct implementation's parity."""

from __future__ import annotations

import ast
import difflib
from pathlib import Path

import pytest

from harness.apis.hw6.package import BUNDLED_DIR
from harness.apis.known import OPS
from harness.check.checker import Checker
from harness.check.session import run_checks
from harness.cli import main
from harness.tools.evidence import fp, labelled
from harness.tools.evidence.course import course_test
from harness.tools.evidence.intent import diagnosis_matches, location_matches
from harness.tools.evidence.mutants import OPERATORS, generate, write_package
from harness.tools.evidence.run import executed_lines, run_mutant

ROOT = Path(__file__).resolve().parent.parent
INDEPENDENT = ROOT / "tests" / "independent_impl" / "neural_networks"
SINGLE_OPS = fp.SINGLE_OPS


@pytest.fixture(scope="module")
def corpus() -> dict[tuple[str, str], object]:
    return {(m.function, m.after): m for m in generate()}


def test_the_corpus_covers_every_operator_and_each_mutant_changes_one_function(corpus,
                                                                               tmp_path) -> None:
    mutants = list(corpus.values())
    assert {m.operator for m in mutants} == set(OPERATORS)
    assert {m.module for m in mutants} == {"activations", "layers", "losses", "utils"}
    assert len({m.id for m in mutants}) == len(mutants) > 300
    m = corpus[("L2.backward", "return 3.0 * (Y_hat - Y) / Y.size")]
    pkg = write_package(m, tmp_path)
    before = (BUNDLED_DIR / "losses.py").read_text().splitlines()
    after = (pkg / "losses.py").read_text().splitlines()
    changed = [line for line in difflib.unified_diff(before, after, lineterm="", n=0)
               if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert changed == ["-        return 2.0 * (Y_hat - Y) / Y.size",
                       "+        return 3.0 * (Y_hat - Y) / Y.size"]
    for name in ("activations.py", "layers.py", "utils.py"):   # the rest byte for byte
        assert (pkg / name).read_bytes() == (BUNDLED_DIR / name).read_bytes()
    ast.parse((pkg / "losses.py").read_text())


@pytest.mark.parametrize("function, after, codes", [
    ("Sigmoid.backward", "return s * (1.0 - s)", {"upstream_ignored"}),
    ("L2.backward", "return 1.0 * (Y_hat - Y) / Y.size", {"scale_factor", "factor_tracks"}),
    ("CrossEntropy.backward", "return -Y / (Y.shape[1] * Y_hat)",
     {"scale_factor", "factor_tracks"}),
    ("SoftMax.forward", "e /= e.sum(axis=-1)", {"batch_axis"}),
    ("FullyConnected.backward", "self.gradients['W'] = X @ dZ", {"student_exception"}),
])
def test_a_mutant_is_killed_and_its_top_diagnosis_names_the_change(corpus, function, after,
                                                                   codes) -> None:
    record = run_mutant(corpus[(function, after)], cases=50, confirm=100)
    assert record["killed"] and record["failing"]
    assert record["top"]["code"] in codes, record["top"]
    assert record["diagnosis_ok"] and record["location_ok"]
    assert record["top"]["function"] == function
    assert record["course_killed"], "six fixed configurations catch this one too"


def test_an_equivalent_mutant_survives_and_says_why(corpus) -> None:
    """σ(z) at z = 0 is 1/(1+1) on both branches, so `Z >= 0` -> `Z > 0` changes nothing."""
    record = run_mutant(corpus[("Sigmoid.forward",
                                "return np.where(Z > 0, 1.0, e) / (1.0 + e)")],
                        cases=50, confirm=100)
    assert not record["killed"] and not record["course_killed"]
    assert record["killed_by_confirm"] == [] and record["confirm_cases"] == 100
    assert record["equivalent"]["kind"] == "numerically identical"


def test_line_tracing_finds_the_lines_the_ops_never_run() -> None:
    lines = (BUNDLED_DIR / "utils.py").read_text().splitlines()
    raise_line = next(i for i, text in enumerate(lines, 1) if "pad must be 'same'" in text)
    same_line = next(i for i, text in enumerate(lines, 1)
                     if "return (kernel_shape[0] - 1) // 2" in text)
    ran = executed_lines("utils", ("conv2d",), 10, 0)
    assert same_line in ran and raise_line not in ran


def test_student_nn_and_the_independent_implementation_pass_the_course_style_tests() -> None:
    for impl in (None, INDEPENDENT):
        with Checker(impl) as checker:
            for op in SINGLE_OPS:
                assert course_test(checker, OPS[op]) == [], (impl, op)


def test_the_independent_implementation_matches_pytorch_on_20_cases_per_op() -> None:
    with Checker(INDEPENDENT) as checker:
        records = list(run_checks(checker, [OPS[op] for op in SINGLE_OPS], 20, seed=3))
    failing = [(r["op"], r["output"], r["case_id"]) for r in records if r["status"] != "pass"]
    assert failing == []
    assert {r["op"] for r in records} == set(SINGLE_OPS) and len(records) == 20 * 28


def test_what_counts_as_naming_the_mutation(corpus) -> None:
    m = corpus[("Sigmoid.backward", "return s * (1.0 - s)")]
    inside = {"file": "neural_networks/activations.py", "line": m.line}
    assert diagnosis_matches(m, {"code": "upstream_ignored"})
    assert not diagnosis_matches(m, {"code": "value_mismatch"})   # names nothing
    assert not diagnosis_matches(m, {"code": "permuted_axes"})    # not what a dropped term does
    assert diagnosis_matches(m, {"code": "nan_inf"})              # a fact about the output
    assert diagnosis_matches(m, {"code": "student_exception", **inside})
    assert not diagnosis_matches(m, {"code": "student_exception", **inside,
                                     "line": m.last_line + 1})   # raised elsewhere
    assert location_matches(m, {"file": "neural_networks/activations.py",
                                "function": "Sigmoid.backward"})
    assert not location_matches(m, {"file": "neural_networks/layers.py",
                                    "function": "Sigmoid.backward"})


def test_a_labelled_implementation_is_scored_by_its_top_diagnosis() -> None:
    (label,) = [x for x in labelled.BUGGY_LABELS if x.impl.name == "l2_backward_missing_two"]
    (rec,) = labelled.run_label(label)
    assert (rec["op"], rec["output"], rec["right"]) == ("l2", "dX", True)
    assert rec["top"] == "scale_factor"
    names = {x.impl.name for x in labelled.diagnosis_labels()}
    assert {"tanh_backward_uses_z", "fc_db_first_sample_only"} <= names


def test_false_positive_chunks_spread_the_cases_and_a_correct_chunk_passes() -> None:
    jobs = fp.chunks(100_000)
    per_op = {op: sum(n for o, n, _ in jobs if o == op) for op in SINGLE_OPS}
    assert set(per_op.values()) == {8334} and sum(per_op.values()) >= 100_000
    assert max(n for _, n, _ in jobs) <= fp.CHUNK
    assert len({(o, s) for o, _, s in jobs}) == len(jobs)      # a seed of its own per chunk
    result = fp.run_chunk(str(INDEPENDENT), "pool2d_max", 40, 1000)
    assert result["cases"] == 40 and result["failed"] == []


def test_the_command_writes_the_evidence_file(tmp_path, capsys) -> None:
    out = tmp_path / "evidence.md"
    code = main(["evidence", "--skip", "labelled,fp,seq_mutants,seq_fp", "--limit", "2",
                 "--cases", "5", "--confirm", "6", "--jobs", "1", "--out", str(out),
                 "--json", str(tmp_path / "evidence.json")])
    assert code == 0
    text = out.read_text()
    assert "## Targets" in text and "## Mutants" in text and "## Method" in text
    assert "2 mutants generated" in text and "course-style" in text
    assert main(["evidence", "--render", str(tmp_path / "evidence.json"), "--out",
                 str(tmp_path / "again.md")]) == 0
    assert "2 mutants generated" in (tmp_path / "again.md").read_text()
    assert main(["evidence", "--skip", "nope"]) == 2
