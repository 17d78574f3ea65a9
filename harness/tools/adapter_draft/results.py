"""What `adapter init` hands back: the draft, and each of its [[op]] entries (render.py
writes them as TOML)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class OpDraft:
    """One [[op]] entry of the draft; commented out, with `todo` said, when it is not sure."""

    name: str
    cls: str
    module: str                      # the class's module below the package
    where: str                       # "common/layers.py:12"
    twin: str = ""
    keys: tuple[tuple[str, object], ...] = ()
    notes: tuple[str, ...] = ()
    todo: str = ""


@dataclass(frozen=True)
class Draft:
    impl: Path
    api: tuple[tuple[str, object], ...]      # the [api] table's keys, in order
    module: str                              # the [api] module
    ops: tuple[OpDraft, ...]
    not_layers: tuple[str, ...] = ()
    elsewhere: tuple[str, ...] = ()
    unreadable: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()           # said at the top, as TODOs
    out: str = ""                            # the file it is written to, for the header

    @property
    def active(self) -> tuple[OpDraft, ...]:
        return tuple(op for op in self.ops if not op.todo)
