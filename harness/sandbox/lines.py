"""Which lines of the implementation's own files a run executes, call by call, and which of
its functions called which.

A run asked for with ``"trace": true`` is executed under `LineTrace`: every line event in a
file inside the implementation's package is recorded once, in the order the lines first
ran, and the record is cut at each stage the driver reports (after forward, after
backward), so the parent learns which lines ran for which call, callers before callees.
Each call of one of its functions is recorded as an edge from the nearest of its functions
on the stack (``("layers.py", "Conv2D.forward", "utils.py", "pad2d")``; none for a call
from the harness), so the parent knows which functions a method reached.
Each call's values are recorded too (`values`, `arrays`): what a function of the package was
given and what it returned (arrays as copies, ints and floats as they are), and the arrays
it was given as they were after the call (a function that fills a buffer), so the parent can
compare them with the reference's intermediate values (a padded input, a pre-activation).
The parent uses this only to point at the function to open (`harness.diagnosis.suspects`,
`harness.diagnosis.dataflow`); no verdict depends on it. A frame of any other file (NumPy,
the harness) gets no local tracer, so the cost stays on the student's own lines; a function
called more than MAX_CALLS times from one line in a stage has its later calls' values left
out, and arrays are copied up to MAX_TOTAL elements a run.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

import numpy as np

Function = tuple[str, str]   # (file relative to the package, qualified name)

MAX_ELEMENTS = 100_000        # a larger array is not recorded
MAX_TOTAL = 2_000_000         # nor any array once the run's recorded ones hold this many
MAX_CALLS = 32                # calls of one function recorded per stage
MAX_ENTRIES = 25              # entries of a tuple or list recorded apart (a 5×5 window's taps)


def _holds_numbers(value: Any, depth: int = 2) -> bool:
    """An array, a float, or a list or tuple holding one (two levels down): data, not the
    ints, slices and names of a configuration."""
    if isinstance(value, np.ndarray | float | np.floating):
        return True
    return depth > 0 and isinstance(value, list | tuple) and any(
        _holds_numbers(v, depth - 1) for v in value[:64])


class LineTrace:
    """Record the executed lines and calls of files under `root`; ``with`` installs and
    removes it."""

    def __init__(self, root: Path) -> None:
        self.prefix = str(root.resolve()) + "/"
        self._mine: dict[CodeType, Function | None] = {}   # None: not the implementation's
        self._lines: dict[tuple[str, int], None] = {}   # in the order first run
        self.stages: dict[str, list[tuple[str, int]]] = {}
        self.calls: dict[tuple[str, str, str, str], None] = {}
        # [stage, file, function, site (the file:line that called it, "" for the harness),
        #  k (its k-th call from there in the stage), slot, kind, payload]:
        # kind "array" (payload: a key of `arrays`), "ints" (a list), "numbers" (a list of
        # ints and floats), "float", or "opaque"
        # (data it could not record: arrays or floats in a list, too large, not numbers);
        # other values (strings, slices, a list of int pairs) are not recorded.
        self.values: list[list[Any]] = []
        self.arrays: dict[str, np.ndarray] = {}
        self._pending: list[list[Any]] = []
        self._count: dict[tuple[Function, str], int] = {}
        self._given: dict[int, tuple[Function, str, int, dict[str, Any]]] = {}   # by frame id
        self._keys: dict[tuple[int, str], str] = {}   # (frame id, argument) -> its copy
        self._elements = 0

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
        elif event == "return" and id(frame) in self._given:
            where, site, k, given = self._given.pop(id(frame))
            keys = {name: self._keys.pop((id(frame), name), "") for name in given}
            self._value((*where, site, k), "return", arg)
            for name, value in given.items():   # a buffer it filled
                before = self.arrays.get(keys[name])
                if before is not None and not np.array_equal(before, value, equal_nan=True):
                    self._value((*where, site, k), f"{name} after", value)
        return self._local

    def _record(self, frame: FrameType, where: Function, site: str) -> None:
        """Note the arguments of a call of `where` from `site` (not of a generator: it
        returns at each yield)."""
        if frame.f_code.co_flags & (inspect.CO_GENERATOR | inspect.CO_ASYNC_GENERATOR):
            return
        k = self._count[where, site] = self._count.get((where, site), -1) + 1
        if k >= MAX_CALLS:
            return
        code = frame.f_code
        names = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
        given = {name: frame.f_locals[name] for name in names
                 if name != "self" and name in frame.f_locals}
        for name, value in given.items():
            key = self._value((*where, site, k), name, value)
            if key is not None:
                self._keys[id(frame), name] = key
        self._given[id(frame)] = (where, site, k, given)

    def _value(self, call: tuple[str, str, str, int], slot: str, value: Any) -> str | None:
        """Record one value: an array (a copy: its key is returned), the entries of a tuple
        or list apart (up to MAX_ENTRIES: a list of a window's kh·kw taps), an int or
        float."""
        if isinstance(value, tuple | list) and value and not all(
                isinstance(v, int | np.integer | float | np.floating) for v in value):
            if len(value) > MAX_ENTRIES or "[" in slot:   # one level down only
                if _holds_numbers(value):
                    self._pending.append([*call, slot, "opaque", None])
                return None
            for i, v in enumerate(value):
                self._value(call, f"{slot}[{i}]", v)
            return None
        entry = [*call, slot]
        if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
            if value.size > MAX_ELEMENTS or self._elements + value.size > MAX_TOTAL:
                self._pending.append([*entry, "opaque", None])
                return None
            self._elements += value.size
            key = f"value/{len(self.arrays)}"
            self.arrays[key] = np.array(value, copy=True)
            self._pending.append([*entry, "array", key])
            return key
        if isinstance(value, bool):
            return None
        elif isinstance(value, int | np.integer):
            self._pending.append([*entry, "ints", [int(value)]])
        elif isinstance(value, tuple | list) and value and all(
                isinstance(v, int | np.integer) and not isinstance(v, bool) for v in value):
            self._pending.append([*entry, "ints", [int(v) for v in value[:8]]])
        elif isinstance(value, tuple | list) and value and not any(
                isinstance(v, bool) for v in value):   # (1.0, 1.0): a padding made by "/"
            self._pending.append([*entry, "numbers", [
                int(v) if isinstance(v, int | np.integer) else float(v) for v in value[:8]]])
        elif isinstance(value, float | np.floating):
            self._pending.append([*entry, "float", float(value)])
        elif _holds_numbers(value):   # arrays or floats it cannot compare
            self._pending.append([*entry, "opaque", None])
        return None

    def _global(self, frame: FrameType, event: str, arg: Any) -> Any:
        callee = self._function(frame.f_code)
        if callee is None:
            return None
        self._lines.setdefault((frame.f_code.co_filename, frame.f_lineno))   # the def line
        caller = frame.f_back
        while caller is not None and self._function(caller.f_code) is None:
            caller = caller.f_back   # through NumPy or the harness to the nearest of its own
        site = ""
        if caller is not None:
            self.calls.setdefault((*self._function(caller.f_code), *callee))  # type: ignore[misc]
            site = f"{self._function(caller.f_code)[0]}:{caller.f_lineno}"  # type: ignore[index]
        self._record(frame, callee, site)
        return self._local

    def cut(self, stage: str) -> None:
        """Close the lines run since the last cut under `stage`: (file relative to root,
        line) in the order each first ran."""
        relative = {f: str(Path(f).resolve()).removeprefix(self.prefix)
                    for f in {file for file, _ in self._lines}}
        self.stages[stage] = [(relative[file], line) for file, line in self._lines]
        self._lines = {}
        self.values += [[stage, *entry] for entry in self._pending]
        self._pending, self._count = [], {}

    def __enter__(self) -> LineTrace:
        sys.settrace(self._global)
        return self

    def __exit__(self, *exc: object) -> None:
        sys.settrace(None)
        if self._lines or self._pending:
            self.cut("after")
