"""The pytest plugin (registered through the ``pytest11`` entry point).

Any test that takes the ``parity_item`` fixture is parametrized with one item per
op × output (``test_parity[conv2d-db]``), which checks that output on all the op's cases:
``tests/test_parity.py`` is the project's. ``parity_verdict`` is the item's `OutputVerdict`
(one `Verdict` per case), ``explain(verdict, parity_impl)`` its failure text: how many cases
fail, and the one ``nnparity check`` reports (the most severe status, the first such case)
with its diagnosis and repro command. So a failing output is one FAILED line, ``-q`` or not,
with or without pytest-xdist. Options, prefixed so that they never collide with another
project's own (``--impl`` and ``--api`` are common names):

    --nnparity-impl PATH    implementation to check (default: the bundled student_nn)
    --nnparity-api NAME|FILE  its API: hw6, cs231n or an adapter file (default: detected)
    --parity-cases N        cases per op (default 50)
    --parity-seed S         case seed (default 0)
    --parity-ops a,b        only these ops
    --parity-profile NAME   conventions profile (default homework)
    --parity-report DIR     write the combined report.json, report.md and report.html there
                            (also under pytest-xdist)

Under pytest-xdist every worker checks with its own sandboxed child and sends its records
to the controller through ``workeroutput``; the controller merges them into one report and,
with its own Checker, investigates the failing items (shrinking, ablation) once. A run with
parity failures ends, after pytest's own short summary, with what ``nnparity check`` prints
(op × output → status, and the first entries of the fix list the table refers to), with or
without --parity-report.

Installed, the plugin loads in every pytest run of the environment: it imports nothing of
nnparity's until a test asks for a parity item, and a run that collects none is left as it was.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:   # nnparity's modules load only once a parity test is collected
    from harness.check.checker import Checker
    from harness.core.cases import Case
    from harness.core.registry import OpSpec
    from harness.core.verdict import Verdict
    from harness.pipeline import CheckRequest, Resolved

WORKER_KEY = "nnparity_records"
RECORDS = pytest.StashKey[list[dict[str, Any]]]()   # the session's records, in config.stash


@dataclass(frozen=True)
class ParityItem:
    """One test item: an op's output over the op's cases (in generation order)."""

    spec: OpSpec
    output: str
    cases: tuple[Case, ...]

    @property
    def id(self) -> str:
        return f"{self.spec.name}-{self.output}"


@dataclass(frozen=True)
class OutputVerdict:
    """An item's verdict: its output's `Verdict` on each case, in generation order."""

    op: str
    output: str
    verdicts: tuple[Verdict, ...]

    @property
    def failing(self) -> tuple[Verdict, ...]:
        return tuple(v for v in self.verdicts if not v.passed)

    @property
    def passed(self) -> bool:
        return not self.failing

    @property
    def worst(self) -> Verdict | None:
        """The failing case the report's finding is: the most severe status, the first case
        of it (edge cases come first)."""
        from harness.core.results import STATUS_PRECEDENCE

        rank = {s: i for i, s in enumerate(STATUS_PRECEDENCE)}
        failing = self.failing
        return min(failing, key=lambda v: rank.get(v.status, len(rank))) if failing else None

    @property
    def status(self) -> str:
        worst = self.worst
        return "pass" if worst is None else worst.status


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nnparity", "nnparity: NumPy vs PyTorch parity")
    group.addoption("--nnparity-impl", metavar="PATH", default=None,
                    help="implementation to check (default: the bundled student_nn)")
    group.addoption("--nnparity-api", default=None, metavar="NAME|FILE",
                    help="the implementation's API: hw6, cs231n, or an adapter file "
                         "(default: detected from its files)")
    group.addoption("--parity-cases", type=int, default=None, metavar="N",
                    help="cases per op (default: as many as nnparity check)")
    group.addoption("--parity-seed", type=int, default=0, metavar="S", help="case seed")
    group.addoption("--parity-ops", default=None, metavar="A,B", help="only these ops")
    group.addoption("--parity-profile", default="homework", metavar="NAME",
                    help="conventions profile (homework | strict)")
    group.addoption("--parity-report", default=None, metavar="DIR",
                    help="write the combined report (report.json, .md, .html) to DIR")


def _request(config: pytest.Config) -> CheckRequest:
    """The plugin's options as `nnparity check`'s request."""
    from harness.check.session import DEFAULT_CASES
    from harness.pipeline import CheckRequest

    opt = config.getoption
    return CheckRequest(impl=opt("--nnparity-impl"), api=opt("--nnparity-api"),
                        ops=opt("--parity-ops"), cases=opt("--parity-cases") or DEFAULT_CASES,
                        seed=opt("--parity-seed"), profile=opt("--parity-profile"))


def _resolved(config: pytest.Config) -> Resolved:
    """The request's API, implementation, ops, profile and edition, resolved once per
    process (`harness.pipeline.resolve`); unusable options are pytest's usage error."""
    found = getattr(config, "_nnparity_resolved", None)
    if found is None:
        from harness.pipeline import UsageError, resolve

        try:
            found = resolve(_request(config))
        except UsageError as exc:
            raise pytest.UsageError(str(exc)) from None
        config._nnparity_resolved = found  # type: ignore[attr-defined]
    return found


def pytest_configure(config: pytest.Config) -> None:
    config.stash[RECORDS] = []
    if config.getoption("--nnparity-impl") or config.getoption("--nnparity-api"):
        _resolved(config)  # a bad path or API is a usage error before anything runs


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "parity_item" not in metafunc.fixturenames:
        return
    from harness.core.cases import for_profile

    r = _resolved(metafunc.config)
    specs = r.specs
    if r.edition is not None:   # that year's ops, and their cases as it defines them
        specs = [r.edition.edition.spec(spec, r.api.uses) for spec in specs
                 if r.edition.excluded(spec, r.impl) is None]
    request = _request(metafunc.config)
    items = []
    for spec in (for_profile(spec, r.profile) for spec in specs):
        cases = tuple(spec.cases(request.cases, request.seed))
        items += [ParityItem(spec, output, cases) for output in spec.outputs if cases]
    metafunc.parametrize("parity_item", items, ids=[it.id for it in items])


class _OpCache:
    """Runs an op's cases once per process and hands out their verdicts output by output.
    Only the last op's are kept: a process gets an op's items one after another (in
    collection order, and so does each xdist worker for the ones it is sent); an op whose
    outputs go to two workers is run by both."""

    def __init__(self, checker: Checker) -> None:
        self.checker = checker
        self.last: tuple[tuple[str, tuple[Case, ...]], list[dict[str, Verdict]]] | None = None

    def verdicts(self, item: ParityItem) -> tuple[Verdict, ...]:
        key = (item.spec.name, item.cases)
        if self.last is None or self.last[0] != key:
            self.last = (key, list(self.checker.check_many(item.spec, item.cases)))
        return tuple(by_output[item.output] for by_output in self.last[1])


@pytest.fixture(scope="session")
def parity_checker(request: pytest.FixtureRequest):
    from harness.pipeline import open_checker

    config = request.config
    with open_checker(_request(config), _resolved(config)) as checker:
        yield _OpCache(checker)


@pytest.fixture(scope="session")
def parity_impl(request: pytest.FixtureRequest) -> str:
    """The implementation under test, as repro commands spell it: `explain(verdict, impl)`."""
    return str(_resolved(request.config).impl)


@pytest.fixture
def parity_verdict(parity_item: ParityItem, parity_checker: _OpCache,
                   request: pytest.FixtureRequest) -> OutputVerdict:
    """The item's output on each of its cases, recorded for the combined report."""
    from harness.check.findings import record

    verdicts = parity_checker.verdicts(parity_item)
    request.config.stash[RECORDS].extend(record(v, i) for i, v in enumerate(verdicts))
    return OutputVerdict(parity_item.spec.name, parity_item.output, verdicts)


def explain(verdict: Verdict | OutputVerdict, impl: str | None = None) -> str:
    """The failure text pytest shows for one item (`impl`: the --nnparity-impl path, for the
    repro): how many of its cases fail, then its worst case (`OutputVerdict.worst`) with its
    diagnosis and repro command. Given one case's `Verdict`, that case's text."""
    if not isinstance(verdict, OutputVerdict):
        return "\n".join([f"{verdict.op} {verdict.output} [{verdict.status}]: "
                          f"{verdict.message}", *_details(verdict, impl)])
    worst, n = verdict.worst, len(verdict.verdicts)
    if worst is None:
        return f"{verdict.op} {verdict.output}: passes all {n} case{'s' if n != 1 else ''}"
    return "\n".join([f"{verdict.op} {verdict.output}: {len(verdict.failing)} of {n} "
                      f"case{'s' if n != 1 else ''} fail; worst [{worst.status}]: "
                      f"{worst.message}", *_details(worst, impl)])


def _details(verdict: Verdict, impl: str | None) -> list[str]:
    """One case's diagnoses, its other worst elements and its repro command."""
    from harness.core.registry import default_api
    from harness.core.results import repro_command
    from harness.diagnosis.diagnose import diagnose

    lines = [f"  [{c.code}] {c.message}" for c in diagnose(verdict)
             if c.message != verdict.message]
    cmp = verdict.comparison
    for el in (cmp.top if cmp is not None else ())[1:]:
        lines.append(f"  also at {el.where}: got {el.got:.6g}, expected {el.expected:.6g}")
    lines.append(f"  repro: {repro_command(verdict.case.id, impl or str(default_api().bundled))}")
    return lines


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    records = config.stash[RECORDS]
    if hasattr(config, "workerinput"):  # an xdist worker: hand the records to the controller
        config.workeroutput[WORKER_KEY] = json.dumps(records)  # type: ignore[attr-defined]
        return
    out = config.getoption("--parity-report")
    failing = any(r["status"] != "pass" for r in records)
    if records and (out or failing):
        report = _combined_report(config, records)
        config._nnparity_report = report  # type: ignore[attr-defined]
        if out:
            from harness.reports.write import write_reports

            write_reports(report, out)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """After a run with parity failures, last (after pytest's own short summary): the table
    of the failing op outputs and the first entries of the fix list it refers to."""
    report = getattr(config, "_nnparity_report", None)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if report is None or reporter is None or report["summary"]["verdict"] == "pass":
        return
    from harness.reports.terminal import fix_list_lines, table_text, terminal_width
    from harness.reports.view import FIX_LIST_SHOWN, fix_entries

    failing = {**report, "results": [r for r in report["results"] if r["status"] != "pass"]}
    entries = fix_entries(report)
    more_in = f"{config.getoption('--parity-report')}/report.md" \
        if config.getoption("--parity-report") else "the report (--parity-report DIR)"
    reporter.write_sep("=", f"nnparity: {len(failing['results'])} of "
                            f"{len(report['results'])} op outputs fail")
    reporter.write_line(f"implementation: {report['impl']}")
    for line in [*table_text(failing, entries).splitlines(), "",
                 *fix_list_lines(report, entries, terminal_width(), FIX_LIST_SHOWN, more_in)]:
        reporter.write_line(line)


def _combined_report(config: pytest.Config, records: list[dict[str, Any]]) -> dict[str, Any]:
    """The report over every process's records; failing items investigated here, once."""
    from harness.pipeline import report_of

    return report_of(records, _request(config), _resolved(config))


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """xdist controller: collect a finished worker's records."""
    data = getattr(node, "workeroutput", {}).get(WORKER_KEY)
    if data:
        node.config.stash[RECORDS].extend(json.loads(data))
