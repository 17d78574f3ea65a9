"""One check, from what a user asked for to the report: the pipeline `nnparity check`,
`nnparity repro` and the notebook API (`harness.notebook.check`) run, and then only render.

    request = CheckRequest(impl="path/to/hw6", ops="conv2d", cases=50)
    report = run_check(request, on_case=print)      # the dict of report.json
    report = run_repro("conv2d/n=2,...,seed=791750", request)   # one case, investigated
    report = report_of(records, request)            # cases checked elsewhere (pytest items)

`resolve` turns the request's words into things (the API, the implementation's directory,
the ops, the profile, the starter code, the edition), raising `UsageError` with what to fix;
`open_checker` is the sandboxed checker every check runs in (as an unprivileged uid of its
own when nnparity runs as root, with grading's default limits and the request's time per
case); `run_check` checks and investigates in it and returns the report, its `modules` and
`api` filled in; the pytest plugin checks its items with it and makes its report with
`report_of`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from harness.apis.known import DEFAULT, Api
from harness.apis.resolve import resolve_api, resolve_impl
from harness.check.checker import Checker
from harness.check.findings import record
from harness.check.investigate import (
    check_and_investigate,
    investigate,
    investigated,
    verdict_report,
)
from harness.core import refcache
from harness.core.cases import Case
from harness.core.conventions import Profile, get_profile
from harness.core.editions import Detected
from harness.core.opspec import OpSpec
from harness.core.registry import get_op, select_ops
from harness.sandbox.parent import Limits, Policy, unprivileged


class UsageError(Exception):
    """Unusable input: the message says what to fix (the CLI exits 2 with it)."""


@dataclass(frozen=True)
class CheckRequest:
    """What to check, in a user's words (`nnparity check`'s options)."""

    impl: str | None = None        # a directory holding the package, or the package itself
    api: str | None = None         # a name or an adapter file (None: detected)
    ops: str | None = None         # "a,b" (None: all the API's ops)
    cases: int = 50
    seed: int = 0
    profile: str = "homework"
    starter: str | None = None     # the course's starter code
    edition: str | None = None     # the year's assignment (None: detected)
    timeout: float = 20.0          # seconds per case
    cache: bool = True             # reuse the reference outputs cached on disk


@dataclass(frozen=True)
class Resolved:
    """A request's words as things: what `run_check` checks."""

    api: Api
    impl: Path
    specs: list[OpSpec]
    profile: Profile
    starter: Path | None
    edition: Detected | None


def api_arg(value: str | None, impl: str | None, op: str | None = None) -> Api:
    """--api NAME or FILE, else the case ID's API, else detected (harness/apis/resolve.py)."""
    try:
        return resolve_api(value, impl, op)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def impl_arg(value: str | None, api: Api = DEFAULT) -> Path:
    try:
        return resolve_impl(value, api)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def edition_arg(api: Api, impl: Path, value: str | None) -> Detected | None:
    """--edition NAME, else the edition the implementation's files follow."""
    try:
        return api.edition(impl, value)
    except ValueError as exc:
        raise UsageError(f"--edition: {exc}") from None


def starter_arg(value: str | None) -> Path | None:
    if value is None:
        return None
    p = Path(value).expanduser().resolve()
    if not p.is_dir():
        raise UsageError(f"--starter {value}: not a directory; give the directory of the "
                         "course's starter code (holding neural_networks/ or its modules)")
    return p


def resolve(request: CheckRequest) -> Resolved:
    """The request's API, implementation, ops, profile, starter and edition; UsageError
    with what to fix."""
    api = api_arg(request.api, request.impl)
    impl = impl_arg(request.impl, api)
    try:
        specs = select_ops(request.ops, api.name)
        profile = get_profile(request.profile)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if request.cases < 1:
        raise UsageError("--cases must be at least 1")
    starter = starter_arg(request.starter)
    return Resolved(api, impl, specs, profile, starter, edition_arg(api, impl, request.edition))


def check_limits(timeout: float, uid: int | None) -> Limits:
    """`check`'s children get grading's default limits (memory, CPU, file size, disk), with
    `timeout` per case, wall clock and CPU; the process limit only under a uid of their own
    (it counts every process of the uid)."""
    from harness.grading.rubric import GradeLimits

    return replace(GradeLimits().sandbox_limits(), case_seconds=timeout,
                   case_cpu_seconds=timeout,
                   processes=GradeLimits.processes if uid is not None else None)


@contextmanager
def open_checker(request: CheckRequest, resolved: Resolved | None = None
                 ) -> Iterator[Checker]:
    """The sandboxed checker of `request` (already `resolved`, or resolved here): as an
    unprivileged uid of its own when nnparity runs as root, with grading's default limits
    and the request's time per case, the starter code, API and edition."""
    r = resolved or resolve(request)
    with refcache.disabled(not request.cache), \
            unprivileged([r.impl, *([r.starter] if r.starter else [])]) as (uid, why), \
            Checker(r.impl, r.profile, limits=check_limits(request.timeout, uid),
                    policy=Policy(uid=uid, gid=uid), starter=r.starter, api=r.api.name,
                    edition=r.edition) as checker:
        if why:
            print(f"nnparity check: note: the implementation runs as root without "
                  f"capabilities ({why})", file=sys.stderr)
        yield checker


def run_check(request: CheckRequest, on_case: Callable[[str], None] | None = None,
              resolved: Resolved | None = None) -> dict:
    """Check and investigate `request` (already `resolved`, or resolved here); the report.
    `on_case(case_id)` after each case (a progress bar)."""
    r = resolved or resolve(request)
    with open_checker(request, r) as checker:
        checker.start(r.specs)
        return check_and_investigate(checker, r.specs, request.cases, request.seed,
                                     on_case=on_case)


def report_of(records: list[dict], request: CheckRequest, resolved: Resolved | None = None
              ) -> dict:
    """The report of records checked elsewhere (the pytest plugin's items, in every xdist
    worker), its failing items investigated here, once."""
    r = resolved or resolve(request)
    with open_checker(request, r) as checker:
        return investigated(records, checker, request.cases, request.seed)


def run_repro(case_id: str, request: CheckRequest) -> dict:
    """One case (`nnparity repro CASE_ID`), judged and investigated: the report of that
    case alone. The request's ops, cases and seed are not used: the case ID says them."""
    try:
        case = Case.from_id(case_id)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    api = api_arg(request.api, request.impl, case.op)   # an adapter's ops exist once read
    try:
        spec = get_op(case.op)
        spec.inputs(case)  # a case its family cannot build (UnbuildableCase) is unusable input
        profile = get_profile(request.profile)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if api.name != spec.api:
        raise UsageError(f"case {case.id} is an op of the {spec.api} API, not {api.name}")
    impl = impl_arg(request.impl, api)
    edition = edition_arg(api, impl, request.edition)
    with Checker(impl, profile, starter=starter_arg(request.starter), api=api.name,
                 edition=edition) as checker:
        records = [record(v, 0) for v in checker.check(spec, case).values()]
        return investigate(verdict_report(records, checker, cases=1, seed=0), checker)
