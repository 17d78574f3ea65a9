"""The sandboxed child: imports an implementation and runs ops on request.

Started by `harness.sandbox.parent.Sandbox` as
``python -m harness.child IMPL [--graded m1,m2] [--starter DIR] [--missing-graded WHAT]
[--substitute m1,m2] [--rlimits as=N,...] [--refuse torch,...] [--numpy-compat]``.
It speaks `harness.core.wire` messages on private copies of its stdin/stdout;
whatever the implementation prints (Python or C level) goes to fd 2, a pipe the parent drains
and truncates. It sends back only what the implementation returned, as plain arrays in
their own dtype (plus the name of each value's type), copies of the inputs after each call and
the parameters a layer created: all judging happens in the parent, from those bytes.

Before the implementation is imported the child sets its resource limits, refuses the imports
it was told to (recording each attempt with its file and line, even when the implementation
catches the ImportError), keeps imports to the allowed site packages at every isolation level
(`harness.sandbox.packages`), gives the packages starter code imports but graded code never
uses (tqdm, pandas, matplotlib, ...) import-only stand-ins (`harness.sandbox.standins`) and, if
asked, restores the aliases that NumPy 1.24/2.0 removed.
Requests: ``{"cmd": "run", ...}`` runs one case; ``{"cmd": "batch", "runs": [...], ...}`` runs
many (the arrays of run i named ``i/NAME``) and answers each as it finishes, as a `run` would,
after writing the batch's marker to the output pipe (so the parent tells each case's printed
output apart), each case under its own CPU allowance; ``{"cmd": "load", "module": m}`` imports one
contract module (so an import that hangs or crashes is found once, not once per case),
``{"cmd": "ping"}`` answers once the implementation is loaded, ``{"cmd": "exit"}`` ends it.
"""

from __future__ import annotations

import argparse
import contextlib
import faulthandler
import importlib.abc
import linecache
import math
import operator
import os
import resource
import sys
import traceback
from collections.abc import Iterator
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from harness.core import wire
from harness.core.driver import run_op
from harness.core.loading import BUNDLED, Loaded, Loader, LoadRequest
from harness.core.opspec import Calls, Methods
from harness.core.registry import default_api, get_api
from harness.sandbox.library import LibraryLoader
from harness.sandbox.lines import LineTrace
from harness.sandbox.loader import BUNDLED_ALIAS
from harness.sandbox.packages import SiteGate, unavailable
from harness.sandbox.standins import install as install_standins

if TYPE_CHECKING:
    from types import FrameType

# The implementation's own package names: a module missing from them is its own file missing,
# not a package to install (its loader's names join them when it is loaded).
OWN_PACKAGES: set[str] = set()

# Aliases removed in NumPy 1.24 and 2.0 -> what they meant; installed by --numpy-compat.
NUMPY_ALIASES: dict[str, Any] = {
    "int": int, "float": float, "complex": complex, "object": object, "str": str,
    "unicode": str, "product": np.prod, "cumproduct": np.cumprod, "sometrue": np.any,
    "alltrue": np.all, "asscalar": lambda a: np.asarray(a).item(), "float_": np.float64,
    "complex_": np.complex128, "string_": np.bytes_, "unicode_": np.str_, "bool8": np.bool_,
    "int0": np.intp, "uint0": np.uintp, "NaN": np.nan, "NAN": np.nan, "Inf": np.inf,
    "Infinity": np.inf, "infty": np.inf, "PINF": np.inf, "NINF": -np.inf, "PZERO": 0.0,
    "NZERO": -0.0, "round_": np.round, "in1d": np.isin,
    "trapz": getattr(np, "trapezoid", None), "row_stack": np.vstack,
    "asfarray": lambda a, dtype=np.float64: np.asarray(a, dtype=dtype),
    "msort": lambda a: np.sort(a, axis=0), "alen": len, "mat": np.asmatrix,
}
RLIMITS = {"as": resource.RLIMIT_AS, "cpu": resource.RLIMIT_CPU,
           "nproc": resource.RLIMIT_NPROC, "fsize": resource.RLIMIT_FSIZE}
# NumPy modules whose attributes the child itself uses to answer; see NumpyGuard.
GUARDED_MODULES = ("numpy", "numpy.lib.format", "numpy.lib._npyio_impl", "numpy.lib.npyio")


def describe_return(value: Any) -> tuple[dict[str, Any], np.ndarray | None]:
    """What a call returned: its type's name (and, for what is not numeric, a short repr) and,
    when it is numeric, the array itself, in its own dtype and shape (not a copy: the wire
    copies it into the message). The parent judges the dtype, the shape and the values from
    those bytes, never from a description (harness/check/checker.py `received`)."""
    info: dict[str, Any] = {"type": f"{type(value).__module__}.{type(value).__qualname__}"}
    if value is None or value is Ellipsis or value is NotImplemented:
        info["special"] = {None: "None", Ellipsis: "Ellipsis"}.get(value, "NotImplemented")
        return info, None
    try:
        arr = np.asarray(value)
    except Exception as exc:  # noqa: BLE001 - a student's object may refuse conversion
        info["repr"] = f"<cannot convert to an array: {exc}>"
        return info, None
    if arr.dtype.kind not in wire.NUMERIC or arr.dtype.fields:
        info["repr"] = repr(value)[:200]
        return info, None
    return info, arr


def _student_frame(tb: traceback.StackSummary, impl_dir: Path) -> traceback.FrameSummary | None:
    inside = [f for f in tb if Path(f.filename).resolve().is_relative_to(impl_dir)]
    return inside[-1] if inside else None


def _in_package(filename: str, impl_dir: Path) -> bool:
    return not filename.startswith("<") and Path(filename).resolve().is_relative_to(impl_dir)


def _filtered(te: traceback.TracebackException, impl_dir: Path,
              seen: set[int]) -> traceback.TracebackException | None:
    """`te` with only the frames in the implementation's files (paths relative to the
    directory holding the package); None for a chained exception with none of them."""
    if id(te) in seen:
        return None
    seen.add(id(te))
    frames = [traceback.FrameSummary(_relative(f.filename, impl_dir), f.lineno, f.name,
                                     lookup_line=False,
                                     line=getattr(f, "_original_line", f.line),
                                     end_lineno=getattr(f, "end_lineno", None),
                                     colno=getattr(f, "colno", None),
                                     end_colno=getattr(f, "end_colno", None))
              for f in te.stack if _in_package(f.filename, impl_dir)]
    te.stack = traceback.StackSummary.from_list(frames)
    filename = getattr(te, "filename", None)  # set for a SyntaxError only
    own_file = bool(filename) and _in_package(str(filename), impl_dir)
    if own_file:  # a SyntaxError: its file is shown with the offending line
        te.filename = _relative(str(filename), impl_dir)
    for attr in ("__cause__", "__context__"):
        chained = getattr(te, attr)
        if chained is not None:
            setattr(te, attr, _filtered(chained, impl_dir, seen))
    return te if frames or own_file else None


def student_traceback(exc: BaseException, impl_dir: Path) -> str:
    """The traceback as a student should see it: only the frames in the implementation's
    own files (nnparity's, the standard library's and site-packages' frames are dropped: they
    are noise to the student and reveal the grader's layout), its paths relative to the
    directory holding the package (``neural_networks/layers.py``), and chained exceptions
    only when they pass through those files. The exception line itself is always kept."""
    te = traceback.TracebackException.from_exception(exc)
    top = _filtered(te, impl_dir, set()) or te
    text = "".join(top.format())
    return text.replace(f"{impl_dir.parent}{os.sep}", "")


def describe_error(stage: str, exc: BaseException, impl_dir: Path) -> dict[str, Any]:
    """Type, message, the last frame inside the implementation's own files and the
    traceback as the student sees it (`student_traceback`)."""
    tb = traceback.extract_tb(exc.__traceback__)
    info: dict[str, Any] = {
        "stage": stage,
        "type": type(exc).__name__,
        "message": str(exc)[:1000],
        "not_implemented": isinstance(exc, NotImplementedError),
        "traceback": student_traceback(exc, impl_dir)[-4000:],
    }
    hint = _missing_package_hint(exc)
    if hint:
        info["hint"] = hint
    frame = _student_frame(tb, impl_dir)
    if isinstance(exc, SyntaxError) and exc.filename:
        info.update(file=exc.filename, line=exc.lineno, function="<module>",
                    code=(exc.text or "").strip())
    elif frame is not None:
        info.update(file=frame.filename, function=frame.name)
        if frame.lineno is not None:   # (code without line numbers: the file and function)
            info.update(line=frame.lineno,
                        code=linecache.getline(frame.filename, frame.lineno).strip())
    if "file" in info:
        info["file"] = _relative(info["file"], impl_dir)
    return info


def _missing_package_hint(exc: BaseException) -> str:
    """For an import of a package the sandbox does not offer (installed on the host or not):
    say so, and what it offers."""
    name = getattr(exc, "name", None) or ""
    top = name.partition(".")[0]
    if not isinstance(exc, ModuleNotFoundError) or not top or top in OWN_PACKAGES \
            or top == BUNDLED_ALIAS:
        return ""
    return unavailable(top)


def _relative(filename: str, impl_dir: Path) -> str:
    try:
        return str(Path(filename).resolve().relative_to(impl_dir.parent))
    except ValueError:
        return filename


# ------------------------------------------------------------------ refused imports
class RefusedImport(ImportError):
    """An import this assignment does not allow."""


class ImportRefuser(importlib.abc.MetaPathFinder):
    """Refuses imports of the given top-level modules when the implementation asks for them.

    An import counts as the implementation's when one of its files (anything in the directory
    holding its package: the submission) is on the call stack, so
    the harness's own imports (and the bundled modules it borrows) are never refused. Every
    attempt is recorded with the file and line that made it.
    """

    def __init__(self, refused: set[str], impl_dir: Path) -> None:
        # (a child that refuses student_nn is given copies of the student_nn modules it
        # borrows only, under BUNDLED_ALIAS: no graded code, nothing to refuse there)
        self.refused = set(refused)
        self.impl_dir = impl_dir
        self.attempts: list[dict[str, Any]] = []
        self.loaded_reported: set[str] = set()

    def _caller(self) -> tuple[str, int] | None:
        frame: FrameType | None = sys._getframe(1)
        while frame is not None:
            filename = frame.f_code.co_filename
            if not filename.startswith("<") and self.impl_dir.parent in Path(filename).parents:
                return _relative(filename, self.impl_dir), frame.f_lineno
            frame = frame.f_back
        return None

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        top = fullname.partition(".")[0]
        if top not in self.refused:
            return None
        caller = self._caller()
        if caller is None:
            return None
        where = f"{caller[0]}:{caller[1]}"
        self.attempts.append({"module": fullname, "file": caller[0], "line": caller[1]})
        raise RefusedImport(f"import of '{fullname}' refused at {where}: this assignment must "
                            f"be written from scratch with NumPy, without {top}", name=fullname)

    def take(self) -> list[dict[str, Any]]:
        """Attempts since the last call, plus refused modules found loaded anyway."""
        found, self.attempts = self.attempts, []
        for name in self.refused - {BUNDLED_ALIAS}:
            if name in sys.modules and name not in self.loaded_reported:
                self.loaded_reported.add(name)
                found.append({"module": name, "file": None, "line": None,
                              "note": "loaded although the import was refused"})
        return found


# ------------------------------------------------------------------ NumPy, protected
class NumpyGuard:
    """Keeps the child's own answers independent of monkeypatched NumPy.

    Takes a snapshot of the attributes of the NumPy modules that serialise answers before the
    implementation is imported; `harness_view()` puts the originals back for the duration of
    harness work (copying inputs, converting and sending results) and then restores whatever
    the implementation had installed, so its own code keeps seeing its patches.
    """

    MISSING = object()

    def __init__(self) -> None:
        self.saved = {name: dict(vars(sys.modules[name])) for name in GUARDED_MODULES
                      if name in sys.modules}
        # the same, as (keys, values) tuples: unchanged modules are told apart in C
        self._flat = {name: (tuple(saved), tuple(saved.values()))
                      for name, saved in self.saved.items()}

    @contextlib.contextmanager
    def harness_view(self) -> Iterator[None]:
        changed: list[tuple[dict, str, Any]] = []
        for name, saved in self.saved.items():
            ns = vars(sys.modules.get(name, np))
            keys, values = self._flat[name]
            if all(map(operator.is_, map(ns.get, keys, repeat(self.MISSING)), values)):
                continue   # nothing of this module was patched (the usual case)
            for key, value in saved.items():
                current = ns.get(key, self.MISSING)
                if current is not value:
                    changed.append((ns, key, current))
                    ns[key] = value
        try:
            yield
        finally:
            for ns, key, value in changed:
                if value is self.MISSING:
                    ns.pop(key, None)
                else:
                    ns[key] = value


def install_numpy_aliases() -> None:
    for name, value in NUMPY_ALIASES.items():
        if value is not None and name not in vars(np):
            setattr(np, name, value)


def set_rlimits(spec: str) -> None:
    """Apply ``as=N,cpu=N,nproc=N,fsize=N`` (soft = hard, so they cannot be raised again)."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    for item in filter(None, spec.split(",")):
        key, _, value = item.partition("=")
        limit = int(value)
        with contextlib.suppress(ValueError, OSError):
            hard = resource.getrlimit(RLIMITS[key])[1]
            if hard != resource.RLIM_INFINITY:
                limit = min(limit, hard)
            resource.setrlimit(RLIMITS[key], (limit, limit))


# ------------------------------------------------------------------ requests
def handle_run(impl: Loaded | BaseException, impl_dir: Path,
               request: dict[str, Any],
               inputs: dict[str, np.ndarray], guard: NumpyGuard
               ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Run the requested op on `inputs`; the answer's header and arrays."""
    outputs = tuple(request["outputs"])
    header: dict[str, Any] = {"outputs": {}, "errors": {}}
    arrays: dict[str, np.ndarray] = {}
    try:
        if isinstance(impl, BaseException):
            raise impl
        module = impl.module(request["module"])
    except BaseException as exc:  # noqa: BLE001
        err = describe_error("import", exc, impl_dir)
        wanted = f"{getattr(impl, 'package', '')}.{request['module']}"
        if isinstance(exc, ModuleNotFoundError) and exc.name == wanted:   # no such file at all
            err.update(not_implemented=True, absent=request["cls"],
                       message=f"{request['module'].replace('.', '/')}.py does not exist")
        header["errors"] = {o: err for o in outputs}
        return header, arrays
    calls = Calls(**request["calls"]) if request.get("calls") else None
    methods = Methods(**request["methods"]) if request.get("methods") else None
    try:
        cls = getattr(module, request["cls"])
    except AttributeError as exc:
        err = describe_error("import", exc, impl_dir)
        what = "function" if calls else "class"
        err.update(not_implemented=True, absent=request["cls"],
                   message=f"{request['module'].replace('.', '/')}.py has no {what} "
                           f"{request['cls']}")
        header["errors"] = {o: err for o in outputs}
        return header, arrays
    if calls is not None:
        cls = module  # a function API: the driver calls the module's functions

    trace = LineTrace(impl_dir) if request.get("trace") else None

    def snapshot(stage: str) -> None:
        if trace is not None:
            trace.cut(stage)
        with guard.harness_view():
            for name, arr in inputs.items():
                arrays[f"after/{stage}/{name}"] = np.array(arr, copy=True)

    ctor = {k: tuple(v) if isinstance(v, list) else v for k, v in request["ctor"].items()}
    with trace or contextlib.nullcontext():
        run = run_op(request["kind"], cls, ctor, inputs, outputs, on_stage=snapshot,
                     calls=calls, methods=methods)
    if trace is not None:
        header["lines"] = trace.stages
        header["calls"] = list(trace.calls)
        header["values"] = trace.values
        arrays.update(trace.arrays)
    with guard.harness_view():
        for name, value in run.outputs.items():
            try:
                info, arr = describe_return(value)
            except BaseException as exc:  # noqa: BLE001 - e.g. an __array__ that raises
                info, arr = {"type": type(value).__qualname__, "repr": f"<{exc!r}>"}, None
            header["outputs"][name] = info
            if arr is not None:
                arrays[f"out/{name}"] = arr
    for name, (stage, error) in run.errors.items():
        header["errors"][name] = describe_error(stage, error, impl_dir)
    arrays.update((f"created/{k}", v) for k, v in run.created.items())
    return header, arrays


def limit_case_cpu(seconds: float | None) -> None:
    """Move this process's soft CPU limit to (CPU used so far) + `seconds`, never above the
    hard limit (what the parent does with prlimit before a single case; in a batch the next
    case starts before the parent could)."""
    if not seconds:
        return
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = math.ceil(usage.ru_utime + usage.ru_stime + seconds)
    with contextlib.suppress(ValueError, OSError):
        hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def batch_runs(request: dict[str, Any], inputs: dict[str, np.ndarray]
               ) -> Iterator[tuple[dict[str, Any], dict[str, np.ndarray]]]:
    """The (request, inputs) of each run of a batch request, in order."""
    per_run: list[dict[str, np.ndarray]] = [{} for _ in request["runs"]]
    for name, arr in inputs.items():
        index, _, key = name.partition("/")
        per_run[int(index)][key] = arr
    yield from zip(request["runs"], per_run, strict=True)


def handle_load(impl: Loaded | BaseException, impl_dir: Path,
                module: str) -> dict[str, Any]:
    """Import one contract module; ``{"ok": bool, "error": ..., "package_error": ...}``."""
    answer: dict[str, Any] = {"ok": True}
    try:
        if isinstance(impl, BaseException):
            raise impl
        if impl.package_error is not None:
            answer["package_error"] = describe_error("import", impl.package_error, impl_dir)
        impl.module(module)
    except BaseException as exc:  # noqa: BLE001
        answer.update(ok=False, error=describe_error("import", exc, impl_dir))
    return answer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m harness.child")
    parser.add_argument("impl")
    parser.add_argument("--graded", default="")
    parser.add_argument("--starter", default="")
    parser.add_argument("--missing-graded", default=BUNDLED, choices=(BUNDLED, "missing"))
    parser.add_argument("--bundled", default="",
                        help="the folder of the student_nn modules this child may use (copies "
                             "the parent staged; default: student_nn itself)")
    parser.add_argument("--substitute", default="",
                        help="modules taken from student_nn: an op of each fails on its own")
    parser.add_argument("--rlimits", default="")
    parser.add_argument("--refuse", default="")
    parser.add_argument("--numpy-compat", action="store_true")
    parser.add_argument("--api", default="",
                        help="the registered API whose loader imports the implementation "
                             "(default: the default API)")
    parser.add_argument("--library", default="",
                        help="package:module of a library API (an adapter's, not registered "
                             "in the child)")
    args = parser.parse_args(argv)

    # Private channels for the protocol; the implementation's prints (fds 1 and 2) go to the
    # parent's output pipe, which the sandbox started us with as fd 2.
    proto_in = os.fdopen(os.dup(0), "rb")
    proto_out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    faulthandler.enable()  # a segfault prints the Python stack, with the student's line

    graded = tuple(m for m in args.graded.split(",") if m) or None
    impl_dir = Path(args.impl).resolve()
    refuser = ImportRefuser({m for m in args.refuse.split(",") if m}, impl_dir)
    standins = install_standins()  # tqdm, pandas, ...: importable, not usable (standins.py)
    sys.meta_path.insert(0, SiteGate(standins))  # site packages: the allowed ones only
    if refuser.refused:
        sys.meta_path.insert(0, refuser)
    if args.numpy_compat:
        install_numpy_aliases()
    guard = NumpyGuard()
    set_rlimits(args.rlimits)

    impl: Loaded | BaseException
    loader: Loader
    if args.library:
        loader = LibraryLoader.from_arg(args.library)
    else:
        loader = (get_api(args.api) if args.api else default_api()).loader
    OWN_PACKAGES.update((loader.package, *loader.dirs))
    asked = LoadRequest(graded, Path(args.starter) if args.starter else None,
                        args.missing_graded, tuple(m for m in args.substitute.split(",") if m),
                        Path(args.bundled) if args.bundled else None)
    try:
        impl = loader.load(args.impl, asked)
        impl_dir = refuser.impl_dir = impl.package_dir
    except BaseException as exc:  # noqa: BLE001
        impl = exc
    def answer(header: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        header["refused"] = refuser.take()
        header["standins"] = sorted(standins.imported)
        with guard.harness_view():
            wire.write_message(proto_out, header, arrays)

    while True:
        try:
            message, inputs = wire.read_message(proto_in)
        except wire.WireError:
            return
        request: dict[str, Any] = message   # the parent's (harness.sandbox.parent), as it wrote it
        cmd = request.get("cmd")
        if cmd == "exit":
            return
        if cmd == "batch":
            marker = request["marker"].encode()
            for run, arrays in batch_runs(request, inputs):
                limit_case_cpu(request.get("case_cpu_seconds"))
                header, out = handle_run(impl, impl_dir, run, arrays, guard)
                with contextlib.suppress(Exception):
                    sys.stdout.flush()
                    sys.stderr.flush()
                with contextlib.suppress(OSError):   # fd 2 closed by the implementation:
                    os.write(2, marker)   # then its output is not split (this case's ends here)
                header["batched"] = True
                answer(header, out)
            continue
        if cmd == "ping":
            header, arrays = {}, {}
        elif cmd == "load":
            header, arrays = handle_load(impl, impl_dir, request["module"]), {}
        else:
            header, arrays = handle_run(impl, impl_dir, request, inputs, guard)
        answer(header, arrays)

