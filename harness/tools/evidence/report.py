"""docs/evidence.md from a run of `harness.tools.evidence.suite`: the method and the figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tabulate import tabulate

from harness.core.results import strict_json
from harness.tools.evidence.intent import ACCEPT, FACTS, RAISED

TARGETS = {"kill": 0.99, "diagnosis": 0.90, "location": 0.90}


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _met(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


READING = """\
## Reading the figures

- **The misses are real gaps, not noise.** Every surviving non-equivalent mutant is listed
  below with why no case caught it. A db stored as (n,) passes by design: the homework profile
  accepts broadcast-equal gradient shapes with a warning; the strict profile and the
  course-style test fail it. Max pooling padded with 0 instead of -inf passes by design too:
  the homework profile accepts either padding value (a named convention); the strict profile
  fails it. A window counter one byte wide overflows only with exactly 257 taps (a 1x257
  kernel), which no case has. The gaps the first run found are closed: the shapes
  `_init_parameters` creates are now judged with the forward (`created_shape`), a
  SoftMax case puts rows of very different scale in one batch (`scale=mixed`), and a 17x17
  pooling case has more taps than a byte counts.
- **Equivalent mutants** are listed with their argument; most are NumPy reading any negative
  reshape size as -1, comparisons at a boundary no contract input reaches, and a Flatten branch
  (`keep_dim="last"`) the contract never uses.
- **The course-style test** misses what six fixed, small, square-kernel, mostly unpadded
  configurations cannot show: slices and strides at the border, padding of even kernels, a
  stride larger than the kernel (its biggest gap is the `slice` operator).
- **Diagnosis on mutants** is lower than on the labelled implementations: a mutant is an
  arbitrary one-token change, a labelled bug is one a student makes. The top diagnosis of a
  killed mutant that does not match is mostly `value_mismatch` (wrong values, no pattern found)
  or an exception raised where a wrong value is used rather than where it is made (a pad
  amount that is a float, say, raised in `np.pad`). tests/diagnosis_impls were written one per
  diagnosis code, so their 100% is by construction; tests/buggy_impls were not written for the
  diagnoser and are labelled from each bug's description (`harness/tools/evidence/labelled.py`; two
  labels were widened after the first run, as that file says).
- **Where the fix list points.** For a wrong value it opens the function that made the first
  wrong value from right inputs, when the values its functions returned can be compared with
  the layer's intermediate values, with the form every right run gave them (integer indices,
  a shape), or with the wrong output itself (`harness/diagnosis/dataflow.py`), else what the
  lines that failing and passing runs executed single out (`harness/diagnosis/suspects.py`).
  An exception is followed back the same way to the function that made the value it raised
  on (a padding of floats made with `/`, raised in `np.pad`; a tap of the wrong shape, raised
  in the `+=` that used it). It misses a mutant's function in three ways: an exception raised
  on a value nothing recorded can check (a matmul in `Conv2D.forward` writing into the rows a
  generator's slice picked); a caller and its callee that no value tells apart
  (`Pool2D._max_gradient_into` and `window_origins`: a wrong flat index could be either's);
  and student_nn's smallest helpers, whose values no intermediate describes and which run on
  every case (`ones_column`'s buffer, `batch_chunks`' slices, `first_max`'s running maxima).
  Code shaped like a submission, one method per output with a padding or im2col helper, has
  none of these (`tests/report_fixtures/helper_values`, `raised_elsewhere`).
"""

METHOD = """\
## Method

Produced by one command, `nnparity evidence` (`harness/tools/evidence/`); `--quick` runs a small
sample, `--json FILE` keeps every record.

**Mutation corpus.** nnparity's own AST operators (`harness/tools/evidence/mutants.py`) mutate one
node of one function of student_nn's `activations.py`, `layers.py`, `losses.py` and `utils.py`
(the sliding-window helpers Conv2D and Pool2D are made of): `constant` (a literal n → n ± 1),
`arith` (+ ↔ −, * ↔ /, ** → *, @ → *, // → /, augmented assignments, a unary minus dropped),
`compare` (< ↔ <=, > ↔ >=, == ↔ !=, is / is not, in / not in), `axis` (an `axis=` or a
`.shape[k]` index changed by one, an `axis=` dropped), `keepdims` (dropped), `slice` (a
bound or step dropped, an index changed by one), `transpose` (`.T` dropped,
`transpose`/`swapaxes` axes reversed), `drop_term` (one operand of + − * / kept alone, an
augmented assignment dropped). Mutants whose function
comes out textually identical are kept once; functions only whole models call
(`initialize_layer`, `initialize_loss`, `clear_gradients`) are out of scope. Each mutant is a
temporary package: student_nn with the one mutated function, the rest of the file byte for
byte.

**Killing.** Each mutant is checked like any implementation (`Checker` in the sandbox, then
`check_and_investigate`): the default 50 cases of every op the mutated function drives
(a class's own ops; `utils` → conv2d and both poolings; `Activation.__call__` and
`initialize_activation` → the layers that call them), with activations, layers, losses and
utils graded. Killed: at least one (op, output) fails.

**Equivalent mutants.** A survivor is checked again on 500 cases. It counts as equivalent
only if it survives them **and** has an argument: the mutated statement never runs when the
ops are driven as the contract says (line tracing of student_nn on the same cases), the
mutant's raw outputs are bitwise identical to student_nn's on all 500 cases, they differ by
rounding only (≤ 1e-12 relative), or a hand-written argument. A survivor without an argument
counts as not killed.

**Top diagnosis.** The first root cause of the mutant's fix list (`harness/diagnosis/fixlist.py`):
what a student is told to fix first. It matches the mutation when its code is one the operator
can cause (`harness/tools/evidence/intent.py`, table below), a code that states what the output
shows whatever the bug ({facts}), or an exception ({raised}) raised inside the mutated
function; `value_mismatch` never matches. *Location* counts a fix-list entry that names the
mutated function's file and function (or a line inside it).

**Course-style baseline.** `numpy.testing.assert_allclose` (rtol 1e-7) of every output on six
fixed configurations per op (`harness/tools/evidence/course.py`: small square kernels, mostly
stride 1 and no padding, one seed each, as homework suites do), against the PyTorch twins;
student_nn and the independent implementation pass all of them.

**Labelled implementations.** tests/diagnosis_impls with the code tests/test_diagnosis.py's
`EXPECTS` names (written one per diagnosis code), and tests/buggy_impls (the harness
self-tests, written to fail in known places, not for the diagnoser) labelled in
`harness/tools/evidence/labelled.py` from each bug's description. Each labelled (implementation,
op, output) is checked and investigated with its test's cases and profile; right when the
item's top diagnosis is one of its label's codes.

**False positives.** Many cases of the twelve single ops on student_nn and on
tests/independent_impl (written from the contract without student_nn's code: loops over
output positions for Conv2D and Pool2D, per-row Jacobians for SoftMax), in chunks of at most
2,000 cases with their own seeds (1000, 1001, ...; each chunk starts with the family's edge
cases), in parallel processes. Any failing case is a false positive; a convention the
homework profile accepts passes with its note.
"""


def _acceptance_table() -> str:
    rows = [[op, ", ".join(sorted(codes))] for op, codes in ACCEPT.items()]
    return tabulate(rows, headers=["operator", "codes that match"], tablefmt="github")


def _measured(meta: dict[str, Any]) -> str:
    parts = ", ".join(meta.get("parts", []))
    return (f"{meta['started']} – {meta.get('finished', '?')} by `nnparity evidence"
            f"{' --quick' if meta['quick'] else ''}` ({parts}; {meta.get('seconds', 0):.0f} s, "
            f"{meta['jobs']} processes, commit {meta.get('commit') or '?'}) on {meta['cpus']} "
            f"cores, Python {meta['python']}, NumPy {meta['numpy']}, torch {meta['torch']}; "
            f"load average before {meta['load_before']}, after {meta.get('load_after')}")


def markdown(result: dict[str, Any]) -> str:
    metas = [result[k]["meta"] for k in ("mutants", "labelled", "fp")
             if isinstance(result.get(k), dict) and result[k].get("meta")]
    metas = [m for i, m in enumerate(metas) if m not in metas[:i]] or [result["meta"]]
    out = ["# Evidence: nnparity kills mutants, names the bug, and passes correct code", ""]
    out += [line for m in metas for line in (f"Measured {_measured(m)}.", "")]
    out += _targets(result)
    out += [READING, ""]
    out += _mutants(result)
    out += _labelled(result)
    out += _fp(result)
    out += _sequence(result)
    out += [METHOD.format(facts=", ".join(f"`{c}`" for c in sorted(FACTS)),
                          raised=", ".join(f"`{c}`" for c in sorted(RAISED))), "",
            "Codes that match each operator:", "", _acceptance_table(), ""]
    return "\n".join(out).rstrip() + "\n"


def _targets(result: dict[str, Any]) -> list[str]:
    rows = []
    m = (result.get("mutants") or {}).get("summary")
    if m:
        rows.append(["≥ 99% of non-equivalent mutants killed by the default suite",
                     f"{_pct(m['kill_rate'])} ({m['killed']} of {m['non_equivalent']}; "
                     f"course-style test {_pct(m['course_kill_rate'])})",
                     _met((m["kill_rate"] or 0) >= TARGETS["kill"])])
        if m.get("location_rate") is not None:
            rows.append(["the fix list opens the mutated function for ≥ 90% of killed mutants",
                         f"{_pct(m['location_rate'])} ({m['location_right']} of {m['killed']})",
                         _met(m["location_rate"] >= TARGETS["location"])])
    lab = (result.get("labelled") or {}).get("summary")
    if lab:
        rows.append(["top diagnosis right on ≥ 90% of the labelled single-bug implementations",
                     f"{_pct(lab['rate'])} ({lab['right']} of {lab['labelled']})",
                     _met((lab["rate"] or 0) >= TARGETS["diagnosis"])])
    f = (result.get("fp") or {}).get("summary")
    if f:
        for impl, s in f.items():
            if impl == "errors":
                continue
            name = "student_nn" if impl == "student_nn" else "the independent implementation"
            rows.append([f"no false positive in 100,000 cases on {name}",
                         f"{len(s['failed'])} failing of {s['cases']:,} cases",
                         _met(not s["failed"] and s["cases"] >= 100_000)])
    if not rows:
        return []
    return ["## Targets", "", tabulate(rows, headers=["target", "measured", ""],
                                       tablefmt="github"), ""]


def _mutants(result: dict[str, Any]) -> list[str]:
    part = result.get("mutants")
    if not part:
        return []
    s, records = part["summary"], part["records"]
    out = ["## Mutants", "", *_kills(s),
           f"- **course-style test** (`assert_allclose`, six configurations per op): "
           f"{s['course_killed']} killed, {_pct(s['course_kill_rate'])}.",
           f"- **top diagnosis** matches the mutation for {s['diagnosis_right']} of the "
           f"{s['killed']} killed ({_pct(s['diagnosis_rate'])}); the fix list names the "
           f"mutated file and function for {s['location_right']} "
           f"({_pct(s['location_rate'])}).", "",
           tabulate([[r["operator"], r["generated"], r["equivalent"],
                      _of(r["killed"], r["generated"] - r["equivalent"]),
                      _of(r["course_killed"], r["generated"] - r["equivalent"]),
                      f"{r['diagnosis_right']} of {r['killed']}"]
                     for r in s["by_operator"]],
                    headers=["operator", "generated", "equivalent", "killed (nnparity)",
                             "killed (course)", "diagnosis right"], tablefmt="github"), "",
           tabulate([[r["module"], r["generated"], r["equivalent"], r["killed"],
                      r["course_killed"], r["diagnosis_right"]] for r in s["by_module"]],
                    headers=["module", "generated", "equivalent", "killed (nnparity)",
                             "killed (course)", "diagnosis right"], tablefmt="github"), "",
           "Top diagnoses of the killed mutants: "
           + ", ".join(f"`{k}` {v}" for k, v in s["top_codes"].items()) + ".", ""]
    return out + _mutant_lists(records, s)


def _mutant_lists(records: list[dict[str, Any]], s: dict[str, Any], course: bool = True,
                  models: str = "") -> list[str]:
    """The equivalent mutants, the surviving non-equivalent ones and the killed ones whose
    top diagnosis does not match (`course`: with the course-style column; `models`: which
    corpus, in each heading)."""
    out: list[str] = []
    suffix = f" ({models})" if models else ""
    by_id = {r.get("id"): r for r in records}
    equivalent = [r for r in records if r.get("equivalent")]
    if equivalent:
        out += [f"### Equivalent mutants{suffix}", "",
                tabulate([[f"`{r['id']}`", f"`{r['before']}` → `{r['after']}`",
                           r["equivalent"]["kind"], r["equivalent"]["why"]]
                          for r in equivalent],
                         headers=["mutant", "change", "kind", "why"], tablefmt="github"), ""]
    survivors = [by_id[i] for i in s["survivors"]]
    if survivors:
        out += [f"### Surviving non-equivalent mutants{suffix}", "",
                tabulate([[f"`{r['id']}`", f"`{r['before']}` → `{r['after']}`",
                           *(["yes" if r.get("course_killed") else "no"] if course else []),
                           ", ".join(r.get("killed_by_confirm") or []) or "-",
                           r.get("not_equivalent") or r.get("why_survived") or ""]
                          for r in survivors],
                         headers=["mutant", "change",
                                  *(["course-style kills it"] if course else []),
                                  "killed by 500 cases", "why it is a miss"],
                         tablefmt="github"), ""]
    wrong = [r for r in records if r.get("killed") and not r.get("diagnosis_ok")]
    if wrong:
        out += [f"### Killed mutants whose top diagnosis does not match "
                f"({models + ', ' if models else ''}{len(wrong)})", "",
                tabulate([[f"`{r['id']}`", r["description"], f"`{r['top']['code']}`"]
                          for r in wrong[:60]],
                         headers=["mutant", "change", "top diagnosis"], tablefmt="github"),
                "" if len(wrong) <= 60 else f"\n... and {len(wrong) - 60} more (in the JSON).",
                ""]
    return out


def _of(part: int, whole: int) -> str:
    return f"{part} ({_pct(part / whole if whole else None)})"


def _labelled(result: dict[str, Any]) -> list[str]:
    part = result.get("labelled")
    if not part:
        return []
    s = part["summary"]
    out = ["## Diagnosis on the labelled single-bug implementations", "",
           f"Top diagnosis right on {s['right']} of {s['labelled']} labelled outputs "
           f"({_pct(s['rate'])}): tests/diagnosis_impls {s['diagnosis_impls']['right']} of "
           f"{s['diagnosis_impls']['labelled']} ({_pct(s['diagnosis_impls']['rate'])}), "
           f"tests/buggy_impls {s['buggy_impls']['right']} of {s['buggy_impls']['labelled']} "
           f"({_pct(s['buggy_impls']['rate'])}).", ""]
    if s["wrong"]:
        out += ["Wrong:", "", tabulate(
            [[r["source"], r["impl"], f"{r['op']} {r['output']}", ", ".join(r["expected"]),
              r["top"] or f"({r['status']})"] for r in s["wrong"]],
            headers=["set", "implementation", "item", "label", "top diagnosis"],
            tablefmt="github"), ""]
    return out


def _fp(result: dict[str, Any]) -> list[str]:
    part = result.get("fp")
    if not part:
        return []
    return ["## False positives", "", *_fp_lines(part["summary"]), ""]


def _fp_lines(summary: dict[str, Any]) -> list[str]:
    out = []
    for impl, s in summary.items():
        if impl == "errors":
            out.append(f"- {len(s)} chunks could not be run: {s[:3]}")
            continue
        name = "student_nn" if impl == "student_nn" else "tests/independent_impl"
        per_op = ", ".join(f"{op} {n:,}" for op, n in s["by_op"].items())
        failing = ": " + ", ".join(s["failed"][:5]) if s["failed"] else ""
        out.append(f"- **{name}**: {s['cases']:,} cases ({s['verdicts']:,} verdicts), "
                   f"{len(s['failed'])} failing{failing}"
                   f"; {s['convention_notes']} chunk notes of an accepted convention; "
                   f"{s['seconds']:.0f} s of checking. Per op: {per_op}.")
    return out


SEQUENCE = """\
The same operators (`harness/tools/evidence/mutants.py`, `SEQUENCE`) over
student_nn/cs231n/rnn_layers.py, checked under `--api cs231n`, student_nn/mytorch's HW3P1
files rnn_cell.py, rnn_classifier.py, gru_cell.py and CTC.py, checked under `--api mytorch`,
and student_nn/attention/attention.py (scaled dot-product and multi-head attention), checked
under `--api attention`. A mutant is a copy of the bundled package with one function
changed, checked in the sandbox on the default 50 cases of every op that function drives: a
step's functions drive its sequence op too (`rnn_forward` runs `rnn_step_forward`), the
shared helpers (`sigmoid`, `_affine_backward`, the time loops) every op that runs them, each
CTC step `ctc_loss` too, RNNCell the RNN classifier, and the scaled dot-product attention
and its `softmax` the multi-head op too (each head runs them); `__call__`, which no op
calls, is out of scope, and the word embedding and `multihead_attention_backward` (calls
only) have nothing the operators change. Survivors are confirmed on 500 cases and judged
equivalent as for HW6. There is no course-style baseline here (its configurations are
HW6's). False positives: the bundled implementations of the seventeen ops, each under its
API, in chunks of at most 2,000 cases with their own seeds (1000, 1001, ...)."""

SEQUENCE_READING = """\
**Reading.** The temporal softmax loss's shift by each step's maximum is tested by a case
whose steps' scores lie 800 apart (`scale=mixed`, as HW6's SoftMax cases): without it, no
shift, the batch's maximum and the maximum added agreed with the twin to rounding. The top
diagnosis is mostly `value_mismatch` (wrong values, no pattern found): the diagnoser knows
the sequence ops' catalogued wrong formulas and the generic patterns, and an arbitrary
one-token change in a gate or in CTC's recursions matches none; when it names a pattern, the
pattern almost always matches the mutation. The fix list misses the mutated function where
no value tells a helper from its caller: CTC's `shifted` and the recursions that call it,
`sigmoid` and the LSTM step, `_affine_backward` and `rnn_step_backward`, the time loops and
`rnn_forward`/`rnn_backward`, attention's `_linear_backward` and
`multihead_attention_backward`, its `softmax` and the scaled dot-product's forward.

**Attention.** Most of its cases keep every score |q·k|/√d within 3 (docs/attention.md: no
softmax saturates), where attention.py's softmax without its shift, shifted by the batch's
maximum or by the maximum added agree with the twin to rounding. A quarter of the scaled
dot-product cases (`scale=mixed`) shift every score of sample n by 800·n (each row by a
constant, so its softmax is unchanged): a shift other than the row's own maximum then
overflows or underflows to nan, which kills all three. Reversing `np.swapaxes`' two axes
changes nothing (four equivalent mutants), nor does a reshape size of -2 for -1 in
`_linear_backward` (two)."""


def _sequence(result: dict[str, Any]) -> list[str]:
    """The sequence models' section (issue #25): their mutants and false positives."""
    part, fp = result.get("seq_mutants"), result.get("seq_fp")
    if not part and not fp:
        return []
    out = ["## Sequence models: CS231n assignment 3, mytorch HW3P1 and attention", ""]
    metas = [x.get("meta") or result["meta"] for x in (part, fp) if x]
    out += [line for i, m in enumerate(metas) if m not in metas[:i]
            for line in (f"Measured {_measured(m)}.", "")]
    rows = []
    s = part["summary"] if part else None
    if part and s:
        rows.append(["≥ 99% of non-equivalent mutants killed by the default suite",
                     f"{_pct(s['kill_rate'])} ({s['killed']} of {s['non_equivalent']}; "
                     f"{_kills_by_api(part['records'])})",
                     _met((s["kill_rate"] or 0) >= TARGETS["kill"])])
    for impl, f in (fp["summary"] if fp else {}).items():
        if impl != "errors":
            rows.append(["no false positive in 100,000 cases on the bundled implementations",
                         f"{len(f['failed'])} failing of {f['cases']:,} cases",
                         _met(not f["failed"] and f["cases"] >= 100_000)])
    out += [tabulate(rows, headers=["target", "measured", ""], tablefmt="github"), "",
            SEQUENCE, ""]
    if part and s:
        out += _sequence_mutants(part, s)
    if fp:
        out += ["### False positives (sequence models)", "", *_fp_lines(fp["summary"]), ""]
    return out


def _kills_by_api(records: list[dict[str, Any]]) -> str:
    """Each API's kill rate of its non-equivalent mutants: "cs231n 100.0%, 238 of 238; ..."."""
    out = []
    for api in dict.fromkeys(r.get("api") for r in records):
        candidates = [r for r in records
                      if r.get("api") == api and "error" not in r and not r.get("equivalent")]
        killed = sum(bool(r.get("killed")) for r in candidates)
        rate = killed / len(candidates) if candidates else None
        out.append(f"{api} {_pct(rate)}, {killed} of {len(candidates)}")
    return "; ".join(out)


def _kills(s: dict[str, Any], sample: str = "") -> list[str]:
    """A corpus's counts (generated, equivalent, killed) as the report's opening lines."""
    return [f"{s['generated']} mutants generated{sample}, {s['equivalent']} equivalent "
            f"({', '.join(f'{v} {k}' for k, v in s['equivalent_kinds'].items()) or 'none'}), "
            f"{s['non_equivalent']} non-equivalent"
            + (f", {s['errors']} could not be run" if s["errors"] else "") + ".", "",
            f"- **nnparity** (default 50 cases per op): {s['killed']} killed, "
            f"{_pct(s['kill_rate'])} of the non-equivalent ones"
            + (f"; {s['killed_by_confirm']} more only by the 500-case confirmation"
               if s["killed_by_confirm"] else "") + "."]


def _sequence_mutants(part: dict[str, Any], s: dict[str, Any]) -> list[str]:
    records = part["records"]
    total = part.get("corpus", s["generated"])
    sample = (f" (an even sample of the {total} of the corpus: every "
              f"{total // s['generated']}th, `--limit {s['generated']}`)"
              if total > s["generated"] else "")
    files = {r.get("module"): f"{r.get('api')}: {r.get('module')}.py" for r in records}
    return [
        *_kills(s, sample),
        f"- **top diagnosis** matches the mutation (`harness/tools/evidence/intent.py`) for "
        f"{s['diagnosis_right']} of the {s['killed']} killed ({_pct(s['diagnosis_rate'])}); "
        f"the fix list names the mutated file and function for {s['location_right']} "
        f"({_pct(s['location_rate'])}).", "",
        tabulate([[files.get(r["module"], r["module"]), r["generated"], r["equivalent"],
                   _of(r["killed"], r["generated"] - r["equivalent"]),
                   r["generated"] - r["equivalent"] - r["killed"],
                   f"{r['diagnosis_right']} of {r['killed']}"] for r in s["by_module"]],
                 headers=["file", "generated", "equivalent", "killed", "survived",
                          "diagnosis right"], tablefmt="github"), "",
        tabulate([[f"`{r['op']}`", r["generated"], r["equivalent"],
                   _of(r["killed"], r["generated"] - r["equivalent"]), r["failing_here"],
                   r["survived"]] for r in s["by_op"]],
                 headers=["op (mutants of the functions it runs)", "mutants", "equivalent",
                          "killed", "failing on this op", "survived"], tablefmt="github"), "",
        tabulate([[r["operator"], r["generated"], r["equivalent"],
                   _of(r["killed"], r["generated"] - r["equivalent"]),
                   f"{r['diagnosis_right']} of {r['killed']}"] for r in s["by_operator"]],
                 headers=["operator", "generated", "equivalent", "killed",
                          "diagnosis right"], tablefmt="github"), "",
        "Top diagnoses of the killed mutants: "
        + ", ".join(f"`{k}` {v}" for k, v in s["top_codes"].items()) + ".", "",
        SEQUENCE_READING, "",
        *_mutant_lists(records, s, course=False, models="sequence models")]


def write(result: dict[str, Any], md_path: str | Path, json_path: str | Path | None = None
          ) -> dict[str, Path]:
    md = Path(md_path)
    md.parent.mkdir(parents=True, exist_ok=True)
    md.write_text(markdown(result))
    paths = {"md": md}
    if json_path:
        js = Path(json_path)
        js.parent.mkdir(parents=True, exist_ok=True)
        js.write_text(strict_json(result))
        paths["json"] = js
    return paths


def load(path: str | Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text())


def resummarize(result: dict[str, Any]) -> None:
    """Recompute every part's summary from its records (after new hand-written arguments,
    say)."""
    from harness.tools.evidence import suite

    for key in suite.MUTANT_PARTS:
        if key in result:
            result[key]["summary"] = suite.summarize_mutants(result[key]["records"])
    if "labelled" in result:
        result["labelled"]["summary"] = suite.summarize_labelled(result["labelled"]["records"])
    for key in ("fp", "seq_fp"):
        if key in result:
            result[key]["summary"] = suite.summarize_fp(result[key]["chunks"])
