"""nnparity evidence over the sequence models (issue #25): the corpus of CS231n assignment 3's
rnn_layers.py, mytorch HW3P1's rnn_cell.py, gru_cell.py and CTC.py and the attention API's
attention.py, the ops each function drives, and a known kill under each API."""

from __future__ import annotations

import ast
import dataclasses
import difflib
from pathlib import Path

import pytest

from harness.cli import main
from harness.tools.evidence import fp
from harness.tools.evidence.equivalent import ARGUMENTS, NOT_EQUIVALENT
from harness.tools.evidence.intent import location_matches
from harness.tools.evidence.mutants import (
    ATTENTION,
    CS231N_RNN,
    HW6,
    MYTORCH_HW3,
    SEQUENCE,
    Corpus,
    Mutant,
    generate,
    write_package,
)
from harness.tools.evidence.run import executed_lines, run_mutant


@pytest.fixture(scope="module")
def corpus() -> dict[tuple[str, str], Mutant]:
    return {(m.function, m.after): m for c in SEQUENCE for m in generate(c)}


def _changed(before: str, after: str) -> list[str]:
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(),
                                                  lineterm="", n=0)
            if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def _function(source: str, qualname: str) -> str:
    """`qualname`'s source in `source`, unparsed (as the corpus writes a mutated one)."""
    for node in ast.walk(ast.parse(source)):
        for f in getattr(node, "body", []):
            name = f"{node.name}.{f.name}" if isinstance(node, ast.ClassDef) else \
                getattr(f, "name", "")
            if isinstance(f, ast.FunctionDef) and name == qualname:
                return ast.unparse(f)
    raise LookupError(qualname)


@pytest.mark.parametrize("corpus_, function, after", [
    (CS231N_RNN, "_affine_backward",
     "return (da @ Wx.T, da @ Wh.T, x.T @ da, prev_h.T @ da, da.sum(axis=1))"),
    (MYTORCH_HW3, "CTC.get_forward_probs", "alpha[t] = (a + shifted(a, 1)) * y[t]"),
    (ATTENTION, "merge_heads", "return x.transpose(0, 2, 1, 3).reshape(n, t, heads)"),
], ids=["cs231n", "mytorch", "attention"])
def test_a_mutant_package_is_the_bundled_one_with_one_function_changed(
        corpus, tmp_path, corpus_: Corpus, function: str, after: str) -> None:
    m = corpus[(function, after)]
    assert m.api == corpus_.api and m.id.startswith(f"{corpus_.api}:{m.module}:{function}:")
    pkg = write_package(m, tmp_path)
    assert pkg == tmp_path / corpus_.package
    before = (corpus_.source / f"{m.module}.py").read_text()
    written = (pkg / f"{m.module}.py").read_text()
    changed = _changed(_function(before, function), _function(written, function))
    assert len(changed) == 2 and changed[1][1:].strip() == after   # one line of it
    old, new = before.splitlines(), written.splitlines()    # the rest of the file as it was
    tail = len(old) - m.last_line
    assert new[:m.first_line - 1] == old[:m.first_line - 1] and new[-tail:] == old[-tail:]
    for other in corpus_.source.rglob("*.py"):   # the other files byte for byte
        if other.name != f"{m.module}.py":
            assert (pkg / other.relative_to(corpus_.source)).read_bytes() == other.read_bytes()


def test_the_sequence_corpus_covers_its_files_and_leaves_hw6_alone(corpus) -> None:
    mutants = list(corpus.values())
    assert {m.module for m in mutants} == {"rnn_layers", "rnn_cell", "rnn_classifier",
                                           "gru_cell", "CTC", "attention"}
    assert len({m.id for m in mutants}) == len(mutants) > 400
    assert not any("__call__" in m.function for m in mutants)   # no op drives it
    assert all(m.api == "hw6" and not m.id.startswith("hw6") for m in generate(HW6)[:20])
    ops = {op for m in mutants for op in m.ops}
    assert ops <= set(fp.SEQUENCE_OPS) and len(fp.SEQUENCE_OPS) == 17
    assert set(fp.SEQUENCE_OPS) - ops == {"cs231n:word_embedding"}   # nothing to mutate


def _spans(path: Path) -> dict[tuple[str, str | None], range]:
    """(qualname, class) -> the lines of each function's body in `path`."""
    spans = {}
    for node in ast.parse(path.read_text()).body:
        cls = node.name if isinstance(node, ast.ClassDef) else None
        for f in node.body if isinstance(node, ast.ClassDef) else [node]:
            if isinstance(f, ast.FunctionDef):
                name = f"{cls}.{f.name}" if cls else f.name
                spans[(name, cls)] = range(f.body[0].lineno, (f.end_lineno or f.lineno) + 1)
    return spans


@pytest.mark.parametrize("corpus_", SEQUENCE, ids=lambda c: c.api)
def test_the_ops_table_is_what_line_tracing_finds(corpus_: Corpus) -> None:
    """The table is written by hand: an op runs a function exactly when the table says so
    (line tracing of the bundled package on 4 cases of each op)."""
    ops = [op for op in fp.SEQUENCE_OPS if op.startswith(f"{corpus_.api}:")]
    for module in corpus_.modules:
        for (function, cls), span in _spans(corpus_.source / f"{module}.py").items():
            runs = {op for op in ops
                    if executed_lines(module, (op,), 4, 0, corpus_.api) & set(span)}
            assert set(corpus_.ops_of(module, function, cls)) == runs, (module, function)


def test_a_db_mutant_of_the_rnn_step_is_killed_on_db_and_diagnosed(corpus) -> None:
    m = corpus[("_affine_backward",
                "return (da @ Wx.T, da @ Wh.T, x.T @ da, prev_h.T @ da, da.sum(axis=1))")]
    record = run_mutant(m, cases=10, confirm=0)
    # charged to the steps alone: rnn and lstm run the bundled steps on their failing cases
    assert record["failing"] == ["cs231n:rnn_step db", "cs231n:lstm_step db"]
    assert record["diagnosis_ok"] and record["top"]["file"] == "cs231n/rnn_layers.py"
    assert "course_killed" not in record   # the course-style baseline is HW6's


def test_a_ctc_mutant_without_the_skip_term_is_killed_on_alpha_alone(corpus) -> None:
    record = run_mutant(corpus[("CTC.get_forward_probs",
                                "alpha[t] = (a + shifted(a, 1)) * y[t]")], cases=20, confirm=0)
    # charged to the step alone: CTCLoss runs the bundled CTC on its failing cases
    assert record["failing"] == ["mytorch:ctc_forward_probs alpha"]
    assert record["top"]["code"] == "wrong_formula" and record["location_ok"]


ATTENTION_OPS = {"attention:scaled_dot_product", "attention:multihead"}


def test_attention_mutants_are_checked_under_its_api_on_the_ops_they_touch() -> None:
    """An even sample of attention.py's mutants, each checked under --api attention on the
    attention ops its function drives (and on no other API's)."""
    mutants = generate(ATTENTION)
    assert len(mutants) > 100 and {m.api for m in mutants} == {"attention"}
    assert {op for m in mutants for op in m.ops} == ATTENTION_OPS
    killed = []
    for m in mutants[::35]:   # softmax, the backward, split_heads, _linear_backward
        record = run_mutant(m, cases=5, confirm=0)
        assert record["api"] == "attention" and set(record["ops"]) <= ATTENTION_OPS
        assert all(f.split()[0] in m.ops for f in record["failing"])
        killed.append(record["killed"])
    # softmax's shift by + the maximum instead of − is killed by the shifted ("mixed") cases,
    # whose scores overflow exp() unless the row's maximum is subtracted
    assert killed == [True, True, True, True]


def test_an_unscaled_attention_mutant_is_killed_and_diagnosed(corpus) -> None:
    record = run_mutant(corpus[("scaled_dot_product_attention_forward", "scale = 1")],
                        cases=10, confirm=0)
    assert set(record["ops"]) == ATTENTION_OPS   # each head runs it: checked on both
    assert "attention:scaled_dot_product forward" in record["failing"]
    assert record["top"]["code"] == "wrong_formula" and "not scaled" in record["top"]["message"]
    assert record["diagnosis_ok"] and record["location_ok"]


def test_the_attention_arguments_name_mutants_of_its_corpus(corpus) -> None:
    """The four swapaxes mutants are argued equivalent; the three softmax shifts are misses
    (their keys are mutants the corpus makes, so no argument goes stale unnoticed)."""
    functions = {m.function for m in generate(ATTENTION)}
    argued = [k for k in ARGUMENTS if k[0] in functions]
    missed = [k for k in NOT_EQUIVALENT if k[0] in functions]
    assert len(argued) == 4 and len(missed) == 3
    assert all(k in corpus and corpus[k].api == "attention" for k in (*argued, *missed))


def test_a_method_named_with_what_it_computes_is_the_mutated_function(corpus) -> None:
    m = next(m for m in corpus.values() if m.function == "GRUCell.backward")
    top = {"file": "mytorch/gru_cell.py", "function": "GRUCell.backward (dx, value 1 of 2)"}
    assert location_matches(m, top)
    assert not location_matches(m, {**top, "function": "GRUCell.forward"})


def test_a_false_positive_chunk_of_a_sequence_op_passes() -> None:
    result = fp.run_chunk(None, "mytorch:gru_cell", 20, 1000)
    assert result["cases"] == 20 and result["failed"] == []


def test_the_command_writes_the_sequence_section(tmp_path) -> None:
    out = tmp_path / "evidence.md"
    assert main(["evidence", "--skip", "mutants,labelled,fp,seq_fp", "--limit", "2",
                 "--cases", "5", "--confirm", "6", "--jobs", "1", "--out", str(out),
                 "--json", str(tmp_path / "evidence.json")]) == 0
    text = out.read_text()
    assert "## Sequence models: CS231n assignment 3, mytorch HW3P1 and attention" in text
    assert "2 mutants generated (an even sample of the" in text
    assert "## Mutants" not in text and "course-style kills it" not in text


def test_a_mutant_of_a_file_changed_since_is_refused(corpus, tmp_path) -> None:
    # its line numbers were taken from the file as it was: splicing it in now would break it
    m = next(iter(corpus.values()))
    stale = dataclasses.replace(m, before=m.before + "  # as it was")
    with pytest.raises(RuntimeError, match="changed after its mutants were made"):
        write_package(stale, tmp_path)
    assert write_package(m, tmp_path / "fresh").is_dir()
