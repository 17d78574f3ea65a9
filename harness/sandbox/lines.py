"""Which lines of the implementation's own files a run executes, call by call, and which of
its functions called which.

A run asked for with ``"trace": true`` is executed under `LineTrace`: every line event in a
file inside the implementation's package is recorded once, in the order the lines first
ran, and the record is cut at each stage the driver reports (after forward, after
backward), so the parent learns which lines ran for which call, callers before callees.
Each call of one of its functions is recorded as an edge from the nearest of its functions
on the stack (``("layers.py", "Conv2D.forward", "utils.py", "pad2d")``; none for a call
from the harness), so the parent knows which functions a method reached.
The parent uses this only to point at the function to open (`harness.diagnosis.suspects`);
no verdict depends on it. A frame of any other file (NumPy, the harness) gets no local
tracer, so the cost stays on the student's own lines.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

Function = tuple[str, str]   # (file relative to the package, qualified name)


class LineTrace:
    """Record the executed lines and calls of files under `root`; ``with`` installs and
    removes it."""

    def __init__(self, root: Path) -> None:
        self.prefix = str(root.resolve()) + "/"
        self._mine: dict[CodeType, Function | None] = {}   # None: not the implementation's
        self._lines: dict[tuple[str, int], None] = {}   # in the order first run
        self.stages: dict[str, list[tuple[str, int]]] = {}
        self.calls: dict[tuple[str, str, str, str], None] = {}

    def _function(self, code: CodeType) -> Function | None:
        if code not in self._mine:
            path = str(Path(code.co_filename).resolve())
            self._mine[code] = ((path.removeprefix(self.prefix),
                                 code.co_qualname.replace(".<locals>", ""))
                                if path.startswith(self.prefix) else None)
        return self._mine[code]

    def _local(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            self._lines.setdefault((frame.f_code.co_filename, frame.f_lineno))
        return self._local

    def _global(self, frame: FrameType, event: str, arg: Any) -> Any:
        callee = self._function(frame.f_code)
        if callee is None:
            return None
        self._lines.setdefault((frame.f_code.co_filename, frame.f_lineno))   # the def line
        caller = frame.f_back
        while caller is not None and self._function(caller.f_code) is None:
            caller = caller.f_back   # through NumPy or the harness to the nearest of its own
        if caller is not None:
            self.calls.setdefault((*self._function(caller.f_code), *callee))  # type: ignore[misc]
        return self._local

    def cut(self, stage: str) -> None:
        """Close the lines run since the last cut under `stage`: (file relative to root,
        line) in the order each first ran."""
        relative = {f: str(Path(f).resolve()).removeprefix(self.prefix)
                    for f in {file for file, _ in self._lines}}
        self.stages[stage] = [(relative[file], line) for file, line in self._lines]
        self._lines = {}

    def __enter__(self) -> LineTrace:
        sys.settrace(self._global)
        return self

    def __exit__(self, *exc: object) -> None:
        sys.settrace(None)
        if self._lines:
            self.cut("after")
