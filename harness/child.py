"""The sandboxed child: imports an implementation and runs ops on request.

Started by `harness.sandbox.Sandbox` as ``python -m harness.child IMPL [--graded m1,m2]``.
It speaks `harness.wire` messages on private copies of its stdin/stdout; whatever the
implementation prints (Python or C level) goes to a capture file instead and is sent back,
truncated, with each answer. It sends back only what the implementation returned, as plain
arrays plus type descriptions, and copies of the inputs after each call: all judging happens
in the parent.
"""

from __future__ import annotations

import argparse
import linecache
import os
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

import numpy as np

from harness import wire
from harness.driver import run_op
from harness.loader import Implementation

MAX_CAPTURE = 4000


def describe_return(value: Any) -> tuple[dict[str, Any], np.ndarray | None]:
    """A JSON description of a returned value and, when it is numeric, its plain array."""
    info: dict[str, Any] = {"type": f"{type(value).__module__}.{type(value).__qualname__}"}
    if value is None or value is Ellipsis or value is NotImplemented:
        info["special"] = {None: "None", Ellipsis: "Ellipsis"}.get(value, "NotImplemented")
        return info, None
    try:
        arr = np.asarray(value)
    except Exception as exc:  # noqa: BLE001 - a student's object may refuse conversion
        info["repr"] = f"<cannot convert to an array: {exc}>"
        return info, None
    if arr.dtype.kind not in "biufc":
        info["repr"] = repr(value)[:200]
        return info, None
    if arr.dtype.kind == "c":
        info["complex"] = True
        arr = arr.real
    info["dtype"] = str(arr.dtype)
    return info, np.array(arr, copy=True)


def _student_frame(tb: traceback.StackSummary, impl_dir: Path) -> traceback.FrameSummary | None:
    inside = [f for f in tb if Path(f.filename).resolve().is_relative_to(impl_dir)]
    return inside[-1] if inside else None


def describe_error(stage: str, exc: BaseException, impl_dir: Path) -> dict[str, Any]:
    """Type, message and the last frame inside the implementation's own files."""
    tb = traceback.extract_tb(exc.__traceback__)
    info: dict[str, Any] = {
        "stage": stage,
        "type": type(exc).__name__,
        "message": str(exc)[:1000],
        "not_implemented": isinstance(exc, NotImplementedError),
        "traceback": "".join(traceback.format_exception(exc))[-4000:],
    }
    frame = _student_frame(tb, impl_dir)
    if isinstance(exc, SyntaxError) and exc.filename:
        info.update(file=exc.filename, line=exc.lineno, function="<module>",
                    code=(exc.text or "").strip())
    elif frame is not None:
        info.update(file=frame.filename, line=frame.lineno, function=frame.name,
                    code=linecache.getline(frame.filename, frame.lineno).strip())
    if "file" in info:
        try:
            info["file"] = str(Path(info["file"]).resolve().relative_to(impl_dir.parent))
        except ValueError:
            pass
    return info


class Capture:
    """Redirects fds 1 and 2 into a temporary file; `take()` returns and clears what is new."""

    def __init__(self) -> None:
        self.fd, path = tempfile.mkstemp(prefix="nnparity-out-")
        os.unlink(path)
        os.dup2(self.fd, 1)
        os.dup2(self.fd, 2)

    def take(self) -> str:
        sys.stdout.flush()
        sys.stderr.flush()
        size = os.lseek(self.fd, 0, os.SEEK_END)
        os.lseek(self.fd, 0, os.SEEK_SET)
        head = os.read(self.fd, MAX_CAPTURE)
        text = head.decode(errors="replace")
        if size > MAX_CAPTURE:
            text += f"\n... [{size - MAX_CAPTURE} more bytes of output cut]"
        os.ftruncate(self.fd, 0)
        os.lseek(self.fd, 0, os.SEEK_SET)
        return text


def handle_run(impl: Implementation | BaseException, impl_dir: Path, request: dict[str, Any],
               inputs: dict[str, np.ndarray]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Run the requested op on `inputs`; the answer's header and arrays."""
    outputs = tuple(request["outputs"])
    header: dict[str, Any] = {"outputs": {}, "errors": {}, "snapshots": []}
    arrays: dict[str, np.ndarray] = {}
    try:
        if isinstance(impl, BaseException):
            raise impl
        module = impl.module(request["module"])
        cls = getattr(module, request["cls"])
    except AttributeError as exc:
        err = describe_error("import", exc, impl_dir)
        err.update(not_implemented=True,
                   message=f"{request['module']}.py has no class {request['cls']}")
        header["errors"] = {o: err for o in outputs}
        return header, arrays
    except BaseException as exc:  # noqa: BLE001
        header["errors"] = {o: describe_error("import", exc, impl_dir) for o in outputs}
        return header, arrays

    def snapshot(stage: str) -> None:
        header["snapshots"].append(stage)
        for name, arr in inputs.items():
            arrays[f"after/{stage}/{name}"] = np.array(arr, copy=True)

    ctor = {k: tuple(v) if isinstance(v, list) else v for k, v in request["ctor"].items()}
    run = run_op(request["kind"], cls, ctor, inputs, outputs, on_stage=snapshot)
    for name, value in run.outputs.items():
        info, arr = describe_return(value)
        header["outputs"][name] = info
        if arr is not None:
            arrays[f"out/{name}"] = arr
    for name, (stage, exc) in run.errors.items():
        header["errors"][name] = describe_error(stage, exc, impl_dir)
    return header, arrays


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m harness.child")
    parser.add_argument("impl")
    parser.add_argument("--graded", default="")
    args = parser.parse_args(argv)

    # Private channels for the protocol; the implementation's prints go to the capture file.
    proto_in = os.fdopen(os.dup(0), "rb")
    proto_out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    capture = Capture()

    graded = tuple(m for m in args.graded.split(",") if m) or None
    impl: Implementation | BaseException
    impl_dir = Path(args.impl).resolve()
    try:
        impl = Implementation.load(args.impl, graded)
        impl_dir = impl.package_dir
    except BaseException as exc:  # noqa: BLE001
        impl = exc
    while True:
        try:
            request, inputs = wire.read_message(proto_in)
        except wire.WireError:
            return
        if request.get("cmd") == "exit":
            return
        header, arrays = handle_run(impl, impl_dir, request, inputs)
        header["stdout"] = capture.take()
        wire.write_message(proto_out, header, arrays)


if __name__ == "__main__":
    main()
