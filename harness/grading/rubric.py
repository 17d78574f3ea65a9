"""Rubrics: what a grade is made of, read from TOML.

A rubric names the graded modules (every other module comes from the bundled student_nn), the
conventions profile, a fixed seed (so a regrade gives identical scores), the limits, the
refused imports, and one ``[[item]]`` per graded op with points per compared output. Each
(item, output) is one test in Gradescope and one column in the gradebook. See
``harness/rubrics/hw6.toml`` for the default, documented key by key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.apis.known import APIS, DEFAULT, Api
from harness.apis.resolve import resolve_api
from harness.core.conventions import PROFILES, Profile, get_profile
from harness.core.registry import OpSpec, get_op, ops_of
from harness.sandbox.parent import Limits

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

# Frameworks that would do the assignment's work, and nnparity's own correct implementation.
DEFAULT_REFUSED = ("torch", "tensorflow", "jax", "student_nn")
DEFAULT_RUBRIC: Path = DEFAULT.rubric  # type: ignore[assignment]
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
PARTIAL_CREDIT = ("fraction", "all_or_nothing")
MISSING_MODULE = ("zero", "bundled")
OUTPUT_LABELS = {"forward": "forward", "dX": "backward dX", "dW": "dW", "db": "db"}


class RubricError(ValueError):
    """The rubric cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Item:
    """One graded op with points per output; each output is one test."""

    name: str
    op: str
    points: dict[str, float]
    cases: int
    seed: int
    partial_credit: str
    visibility: str

    @property
    def spec(self) -> OpSpec:
        return get_op(self.op)

    def test_name(self, output: str) -> str:
        return f"{self.name} {OUTPUT_LABELS.get(output, output)}"


@dataclass(frozen=True)
class GradeLimits:
    """Per-case limits (see `harness.sandbox.parent.Limits`) plus the submission's wall-clock
    budget, which covers every phase of its grading (its cases, the reruns that charge each
    root cause once, the investigation of its failures)."""

    case_seconds: float = 10.0
    startup_seconds: float = 30.0
    submission_seconds: float = 480.0
    case_cpu_seconds: float = 10.0
    process_cpu_seconds: float = 480.0
    memory_mb: int = 2048
    processes: int = 32
    file_mb: int = 16
    output_kb: float = 8.0
    disk_mb: int = 64

    def sandbox_limits(self) -> Limits:
        return Limits(case_seconds=self.case_seconds, startup_seconds=self.startup_seconds,
                      case_cpu_seconds=self.case_cpu_seconds,
                      process_cpu_seconds=self.process_cpu_seconds, memory_mb=self.memory_mb,
                      processes=self.processes, file_mb=self.file_mb,
                      output_bytes=int(self.output_kb * 1024), disk_mb=self.disk_mb)


# The largest value of each limit a rubric may set (a rubric is data anyone may hand the
# grader): far beyond any machine's, so "no limit" can still be said, but never so far that
# a time overflows a system call or the output kept per case fills the grader's memory.
MAX_LIMITS = {"case_seconds": 10**6, "startup_seconds": 10**6, "submission_seconds": 10**7,
              "case_cpu_seconds": 10**6, "process_cpu_seconds": 10**7, "memory_mb": 2**30,
              "processes": 2**22, "file_mb": 2**30, "output_kb": 1024, "disk_mb": 2**20}


@dataclass(frozen=True)
class Rubric:
    name: str
    path: str
    seed: int
    cases: int
    profile_name: str
    graded_modules: tuple[str, ...]
    missing_module: str
    starter: str
    refuse_imports: tuple[str, ...]
    numpy_compat: bool
    stdout_visibility: str
    investigate_budget: int
    limits: GradeLimits
    items: tuple[Item, ...] = field(default=())
    api: str = DEFAULT.name     # the API's name, or an adapter file's absolute path
    edition: str = ""           # the year's assignment (harness/core/editions.py); "": detected
    charge_once: bool = True    # each root cause charged on its own item only (see below)
    student_install: str = ""   # the line feedback gives students to install nnparity

    @property
    def api_spec(self) -> Api:
        """The API the submissions follow (an adapter file is read on first use)."""
        return resolve_api(self.api, None)

    @property
    def profile(self) -> Profile:
        return get_profile(self.profile_name)

    @property
    def tests(self) -> list[tuple[Item, str]]:
        """Every (item, output) with points, in rubric order."""
        return [(item, out) for item in self.items for out in item.spec.outputs
                if out in item.points]

    @property
    def max_score(self) -> float:
        return sum(item.points[out] for item, out in self.tests)

    @property
    def case_count(self) -> int:
        """Distinct cases one submission runs (items of an op share cases with the same seed)."""
        per_op: dict[tuple[str, int], int] = {}
        for item in self.items:
            key = (item.op, item.seed)
            per_op[key] = max(per_op.get(key, 0), item.cases)
        return sum(per_op.values())

    def fingerprint(self) -> str:
        """A hash of everything that decides a grade (not of comments or file layout)."""
        data = asdict(self)
        data.pop("path")
        data.pop("student_install")   # what feedback says to install, not how it grades
        if data["api"] == DEFAULT.name:
            data.pop("api")  # the default API's rubrics keep the fingerprints they had before APIs
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


# ------------------------------------------------------------------ parsing
RUBRIC_KEYS = {"name", "seed", "cases", "profile", "partial_credit", "graded_modules",
               "missing_module", "refuse_imports", "numpy_compat", "visibility",
               "stdout_visibility", "investigate", "starter", "api", "edition",
               "charge_once", "student_install"}
ITEM_KEYS = {"name", "op", "points", "cases", "seed", "partial_credit", "visibility"}


def _check(cond: object, where: str, message: str) -> None:
    if not cond:
        raise RubricError(f"{where}: {message}")


def _choice(value: Any, choices: tuple[str, ...], where: str) -> str:
    _check(value in choices, where, f"{value!r} is not one of {', '.join(choices)}")
    return value


# Cases per item at most: a rubric is data anyone may hand the grader, and each case costs
# time and memory for every submission (the shipped rubrics use 20 to 50).
MAX_CASES = 10_000
MAX_INVESTIGATE = 100_000   # reruns of an investigation (which the time budget bounds too)


def _int(value: Any, where: str, minimum: int = 0, maximum: int | None = None) -> int:
    _check(isinstance(value, int) and not isinstance(value, bool) and value >= minimum
           and (maximum is None or value <= maximum), where,
           f"expected an integer >= {minimum}"
           + (f" and <= {maximum:,}" if maximum is not None else "") + f", got {value!r}")
    return value


def _number(value: Any, where: str, maximum: float) -> float:
    _check(isinstance(value, (int, float)) and not isinstance(value, bool)
           and 0 < value <= maximum, where,
           f"expected a positive number <= {maximum:,}, got {value!r}")
    return float(value)


def _names(value: Any, where: str) -> tuple[str, ...]:
    _check(isinstance(value, list) and all(isinstance(v, str) and v for v in value), where,
           f"expected a list of names, got {value!r}")
    return tuple(value)


def parse_rubric(data: dict[str, Any], path: str = "<rubric>") -> Rubric:
    """A validated Rubric from parsed TOML; RubricError says what is wrong and where."""
    unknown = set(data) - {"rubric", "limits", "item"}
    _check(not unknown, path, f"unknown section(s) {sorted(unknown)}; expected [rubric], "
                              "[limits] and [[item]]")
    top = data.get("rubric", {})
    where = f"{path} [rubric]"
    _check(not set(top) - RUBRIC_KEYS, where,
           f"unknown key(s) {sorted(set(top) - RUBRIC_KEYS)}; known: {sorted(RUBRIC_KEYS)}")
    seed = _int(top.get("seed", 0), f"{where} seed")
    cases = _int(top.get("cases", 20), f"{where} cases", 1, MAX_CASES)
    partial = _choice(top.get("partial_credit", "fraction"), PARTIAL_CREDIT,
                      f"{where} partial_credit")
    visibility = _choice(top.get("visibility", "visible"), VISIBILITIES, f"{where} visibility")
    profile = _choice(top.get("profile", "homework"), tuple(sorted(PROFILES)), f"{where} profile")
    api_value = top.get("api", DEFAULT.name)
    _check(isinstance(api_value, str) and api_value, f"{where} api",
           f"expected an API's name ({', '.join(APIS)}) or an adapter file (relative to the "
           "rubric)")
    if Path(api_value).suffix in (".toml", ".py"):
        api_value = str((Path(path).parent / api_value).resolve())
    try:
        api = resolve_api(api_value, None)
    except ValueError as exc:
        raise RubricError(f"{where} api: {exc}") from None
    modules = api.loader.modules
    # by default a library API's rubric grades the modules its items are in (an assignment 2
    # rubric does not ask a submission for assignment 3's rnn_layers.py)
    by_items = "graded_modules" not in top and api.functions
    graded = _names(top.get("graded_modules", list(api.base_modules or api.modules)),
                    f"{where} graded_modules")
    for m in graded:
        _check(m in modules, f"{where} graded_modules",
               f"{m!r} is not a module of the {api.name} API ({', '.join(modules)})")
    refuse = _names(top.get("refuse_imports", list(DEFAULT_REFUSED)),
                    f"{where} refuse_imports")
    for m in refuse:
        _check(m.isidentifier(), f"{where} refuse_imports",
               f"{m!r} is not a top-level module name")
    starter = top.get("starter", "")
    _check(isinstance(starter, str), f"{where} starter",
           "expected the path of the course's starter code (relative to the rubric file)")
    if starter:
        starter_dir = (Path(path).parent / starter).resolve()
        _check(starter_dir.is_dir(), f"{where} starter", f"{starter_dir} is not a directory")
        starter = str(starter_dir)
    edition = top.get("edition", "")
    known = [e.name for e in api.editions]
    _check(edition == "" or edition in known, f"{where} edition",
           f"unknown edition {edition!r}; the {api.name} API's editions: "
           f"{', '.join(known) or 'none'} (leave it out to detect each submission's)")
    numpy_compat = top.get("numpy_compat", False)
    _check(isinstance(numpy_compat, bool), f"{where} numpy_compat", "expected true or false")
    charge_once = top.get("charge_once", True)
    _check(isinstance(charge_once, bool), f"{where} charge_once", "expected true or false")
    student_install = top.get("student_install", "")
    _check(isinstance(student_install, str) and "\n" not in student_install,
           f"{where} student_install", "expected one line: the command students run to "
           "install nnparity (gradescope/build_student_wheel.sh prints it)")

    lim = data.get("limits", {})
    known_limits = set(GradeLimits.__dataclass_fields__)
    _check(not set(lim) - known_limits, f"{path} [limits]",
           f"unknown key(s) {sorted(set(lim) - known_limits)}; known: {sorted(known_limits)}")
    # each value an int or a float as its field's default is (checked here)
    limits = GradeLimits(**{k: (_int(v, f"{path} [limits] {k}", 1, MAX_LIMITS[k])  # type: ignore[arg-type]
                                if isinstance(GradeLimits.__dataclass_fields__[k].default, int)
                                else _number(v, f"{path} [limits] {k}", MAX_LIMITS[k]))
                            for k, v in lim.items()})

    items = []
    raw_items = data.get("item", [])
    _check(isinstance(raw_items, list) and raw_items, path,
           "no [[item]] entries: a rubric grades at least one op")
    for i, raw in enumerate(raw_items, 1):
        w = f"{path} [[item]] #{i}"
        _check(not set(raw) - ITEM_KEYS, w,
               f"unknown key(s) {sorted(set(raw) - ITEM_KEYS)}; known: {sorted(ITEM_KEYS)}")
        _check("op" in raw, w, "missing op")
        table = ops_of(api.name)
        op = api.op_name(str(raw["op"]))
        _check(op in table, f"{w} op", f"unknown op {raw['op']!r} for the {api.name} API; "
                                       f"known: {', '.join(table)}")
        spec = table[op]
        w = f"{path} [[item]] {raw.get('name', spec.name)!r}"
        _check(by_items or spec.module in graded, w,
               f"op {spec.name} is in {spec.module}.py, which graded_modules does not list")
        points = raw.get("points")
        _check(isinstance(points, dict) and points, f"{w} points",
               f"expected a table of points per output ({', '.join(spec.outputs)})")
        for out, pts in points.items():
            _check(out in spec.outputs, f"{w} points",
                   f"{spec.name} has no output {out!r}; its outputs: {', '.join(spec.outputs)}")
            _check(isinstance(pts, (int, float)) and not isinstance(pts, bool) and pts >= 0,
                   f"{w} points.{out}", f"expected a number >= 0, got {pts!r}")
        shared = sum(o.cls == spec.cls for o in table.values()) > 1  # Pool2D: max and average
        default = spec.name.partition(":")[2] if api.functions else (
            spec.name if shared else spec.cls)
        items.append(Item(
            name=str(raw.get("name", default)), op=spec.name,
            points={o: float(points[o]) for o in spec.outputs if o in points},
            cases=_int(raw.get("cases", cases), f"{w} cases", 1, MAX_CASES),
            seed=_int(raw.get("seed", seed), f"{w} seed"),
            partial_credit=_choice(raw.get("partial_credit", partial), PARTIAL_CREDIT,
                                   f"{w} partial_credit"),
            visibility=_choice(raw.get("visibility", visibility), VISIBILITIES,
                               f"{w} visibility")))
    if by_items:
        used = {ops_of(api.name)[item.op].module for item in items}
        graded = tuple(m for m in modules if m in used)
    names = [item.test_name(out) for item in items for out in item.points]
    dupes = sorted({n for n in names if names.count(n) > 1})
    _check(not dupes, path, f"test names must be unique; repeated: {dupes} (give items a name)")
    return Rubric(
        name=str(top.get("name", Path(path).stem)), path=path, seed=seed, cases=cases,
        profile_name=profile, graded_modules=graded, starter=starter,
        missing_module=_choice(top.get("missing_module", "zero"), MISSING_MODULE,
                               f"{where} missing_module"),
        refuse_imports=refuse, numpy_compat=numpy_compat,
        stdout_visibility=_choice(top.get("stdout_visibility", "hidden"), VISIBILITIES,
                                  f"{where} stdout_visibility"),
        investigate_budget=_int(top.get("investigate", 200), f"{where} investigate", 0,
                                MAX_INVESTIGATE),
        limits=limits, items=tuple(items), api=api_value, edition=edition,
        charge_once=charge_once, student_install=student_install)


def shipped_rubric(api: str) -> Path:
    """The rubric nnparity ships for a known API (`Api.rubric`: harness/rubrics/<api>.toml)."""
    path = APIS[api].rubric if api in APIS else None
    if path is None or not path.is_file():
        shipped = sorted(name for name, known in APIS.items() if known.rubric)
        raise RubricError(f"--api {api}: no shipped rubric for it (shipped: "
                          f"{', '.join(shipped)}); give --rubric FILE")
    return path


def load_rubric(path: str | Path | None = None) -> Rubric:
    """Read and validate a rubric file (default: the shipped HW6 rubric)."""
    p = Path(path) if path else DEFAULT_RUBRIC
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RubricError(f"cannot read rubric {p}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise RubricError(f"{p} is not a text file: a rubric is TOML (see "
                          "harness/rubrics/hw6.toml)") from None
    except tomllib.TOMLDecodeError as exc:
        raise RubricError(f"{p} is not valid TOML: {exc}") from None
    return parse_rubric(data, str(p))
