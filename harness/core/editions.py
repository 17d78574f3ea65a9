"""Editions of an API: what one year's assignment asks for, told from the submission's files.

A course changes its assignment from year to year: HW6's 2020 starter has no Pool2D or
Flatten, its 2024 one no L2, none offers Adam; CS231n before 2018 calls dropout's ``p`` the
probability of dropping a unit. An `Edition` is one such year as data: the ops its students
write (the others are not checked, never failed), the constructor arguments its semantics add
to an op, the ops whose code the course's starter provides (not the student's: not charged),
and the `Marker`s (facts about the files) that tell it. `detect` picks the first edition of an
API whose markers all hold, and says which facts it went by.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from harness.core.cases import Params
from harness.core.stubs import fingerprint as code_fingerprint
from harness.core.stubs import parsed

if TYPE_CHECKING:
    from harness.core.cases import Case
    from harness.core.opspec import OpSpec
    from harness.core.verdict import Verdict


@dataclass(frozen=True)
class Marker:
    """One fact about an implementation's files: `module` defines (or lacks) the top-level
    class or function `name`; its source matches (or not) the regular expression `text`; it
    is a single file (`single_file`) rather than a package folder; its path matches `where`;
    or, with none of these, the implementation has (or lacks) the module."""

    module: str
    name: str = ""
    text: str = ""
    single_file: bool | None = None
    present: bool = True
    where: str = ""     # a regular expression the module's path matches (its year's layout)

    def holds(self, files: Mapping[str, Path]) -> bool:
        """Whether the fact holds; never for a module the implementation does not have
        (a package holding only activations.py says nothing about its year's layers),
        except the bare fact that it has (or lacks) the module."""
        path = files.get(self.module)
        if self.where:
            return path is not None and bool(re.search(self.where, path.as_posix())) \
                == self.present
        if not (self.name or self.text or self.single_file is not None):
            return (path is not None) == self.present
        return path is not None and self._found(path) == self.present

    def _found(self, path: Path) -> bool:
        if self.single_file is not None:
            return path.is_file() == self.single_file
        if path.is_dir():
            return False
        try:
            source = path.read_text(errors="replace")
        except OSError:
            return False
        if self.name:
            pattern = rf"^(class|def)\s+{re.escape(self.name)}\b"
            return re.search(pattern, source, re.MULTILINE) is not None
        return re.search(self.text, source) is not None

    def describe(self) -> str:
        """'layers.py defines no Pool2D', 'utils is one file (utils.py)', 'no
        nn.batchnorm'."""
        if self.where:
            return f"{self.module}'s file {'matches' if self.present else 'does not match'} " \
                   f"{self.where!r}"
        if not (self.name or self.text or self.single_file is not None):
            return f"has {self.module}" if self.present else f"no {self.module}"
        if self.single_file is not None:
            what = "one file" if self.single_file else "a folder"
            return f"{self.module} is {what}" if self.present else f"{self.module} is not {what}"
        if self.name:
            return f"{self.module}.py {'defines' if self.present else 'defines no'} {self.name}"
        return f"{self.module}.py {'says' if self.present else 'does not say'} {self.text!r}"


@dataclass(frozen=True)
class Edition:
    """One year's assignment (or several with the same contract)."""

    name: str                      # "2021-23": what --edition and a rubric's `edition` take
    title: str                     # "HW6 2021–2023 (Pool2D, Flatten and L2; utils/ folder)"
    markers: tuple[Marker, ...] = ()
    leaves_out: tuple[str, ...] = ()   # ops this edition's students are not asked to write
    # Ops the handout marks optional: checked when written, not checked while the starter's
    # stub is left (every case not implemented); either way substituted for the ops using them.
    optional: tuple[str, ...] = ()
    classes: Mapping[str, str] = field(default_factory=dict)  # op -> its class that year
    # Names the implementation is given for the contract's ("linear" -> "identity": that
    # year's initialize_activation); the twin keeps the contract's.
    names: Mapping[str, str] = field(default_factory=dict)

    # Ops whose code the course's starter provides: op -> what to tell the student about it
    # ("the course's weights.py takes kernel fans from shape[0] and shape[-1]; ..."). Where
    # the module is that starter's (`starter_code`), they are listed as such, never charged.
    starter: Mapping[str, str] = field(default_factory=dict)
    # The course's starter modules, as fingerprints (`fingerprint`) of the versions seen in
    # real checkouts: module -> fingerprints. A submission's module equal to one of them is
    # the starter's (not the student's code), and so are the ops of `starter` it holds.
    starter_code: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # The starter's method templates (`harness.core.stubs`): qualified name -> fingerprints.
    # One left as it was is not implemented, not the student's exception.
    templates: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # The cases of an op this edition's contract covers: op -> (does it cover these params,
    # why not others). The 2020 starter's padding helper has no "valid" branch, for one.
    covers: Mapping[str, tuple[Callable[[Params], bool], str]] = field(default_factory=dict)
    # Constructor arguments this edition's semantics add to an op's cases (CS231n 2017's
    # dropout: {"p_means": "either"}), which its twin and its judge read.
    fixed: Mapping[str, Params] = field(default_factory=dict)
    # Ops this edition defines or drives otherwise: op -> the op as that year has it
    # (mytorch 2022's activations: ``backward()`` returns the local derivative).
    redefines: Mapping[str, Callable[[OpSpec], OpSpec]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()        # how its semantics differ, in words, for the report

    def rename(self, value: object) -> object:
        """`value` (constructor arguments, however nested) with this edition's names."""
        if isinstance(value, str):
            return self.names.get(value, value)
        if isinstance(value, dict):
            return {k: self.rename(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.rename(v) for v in value)
        return value

    def asks(self, op: str) -> bool:
        """Whether this edition's students write `op` (or its starter provides it)."""
        return op not in self.leaves_out

    def spec(self, spec: OpSpec, uses: Callable[[OpSpec, Case], frozenset[str]] | None
             ) -> OpSpec:
        """`spec` as this edition defines it: its semantics' constructor arguments added and,
        when the API says which other ops a case calls (`uses`), only the cases whose ops
        this edition asks for (a 2024 network has no L2 loss)."""
        extra = self.fixed.get(spec.name)
        if extra:
            spec = replace(spec, fixed={**spec.fixed, **extra})
        if spec.name in self.classes:
            cls = self.classes[spec.name]
            spec = spec.with_class(cls)
        if spec.name in self.redefines:
            spec = self.redefines[spec.name](spec)
        covered = self.covers.get(spec.name, (None, ""))[0]
        if (uses is not None and self.leaves_out) or covered is not None:
            left_out, base = frozenset(self.leaves_out), spec

            def keep(case: Case) -> bool:
                if covered is not None and not covered(case.p):
                    return False
                return uses is None or not uses(base, case) & left_out

            spec = replace(spec, keep=keep)
        return spec

    def unwritten(self, op: str, statuses: Iterable[str]) -> str | None:
        """Why `op` is not checked though it ran: optional that year and still the starter's
        stub (every case not implemented); None otherwise."""
        found = set(statuses)
        if op not in self.optional or found != {"not_implemented"}:
            return None
        return (f"optional in the {self.name} edition and left as the starter's stub: not "
                "checked (the ops that use it are checked with nnparity's in its place)")

    def left_out_reason(self, op: str) -> str:
        return f"not in the {self.name} edition ({self.title}): that year's assignment " \
               "does not ask for it"


def fingerprint(path: Path) -> str | None:
    """A module's code with whitespace, comments and docstrings normalised away
    (`harness.core.stubs.fingerprint`); None when it cannot be read or parsed."""
    tree = parsed(path)
    return code_fingerprint(tree) if tree is not None else None


@dataclass(frozen=True)
class Detected:
    """The edition an implementation follows, and why: detected from its files (the markers
    that held), or set by --edition or the rubric."""

    edition: Edition
    evidence: str
    source: str = "detected"       # detected | option | rubric

    def to_json(self) -> dict[str, str | list[str]]:
        return {"name": self.edition.name, "title": self.edition.title,
                "source": self.source, "evidence": self.evidence,
                "leaves_out": list(self.edition.leaves_out),
                "notes": [*self.edition.notes,
                          *(f"{op} cases: {why}" for op, (_, why) in self.edition.covers.items())]}

    def excluded(self, spec: OpSpec, package_dir: Path | None,
                 starter_dir: Path | None = None) -> tuple[str, str] | None:
        """(why, reason) `spec` is not checked for this implementation: "edition" (the year
        does not ask for it) or "starter" (its module is the course's unchanged code)."""
        if not self.edition.asks(spec.name):
            return "edition", self.edition.left_out_reason(spec.name)
        starter = self.starter_reason(spec, package_dir, starter_dir)
        return ("starter", starter) if starter is not None else None

    def unwritten_ops(self, verdicts: Mapping[tuple[str, str], Mapping[str, Verdict]]
                  ) -> dict[str, str]:
        """op -> why it is not reported: optional that year and every case of it not
        implemented (`verdicts`: (op, case ID) -> {output: verdict})."""
        statuses: dict[str, set[str]] = {}
        for (op, _), found in verdicts.items():
            statuses.setdefault(op, set()).update(v.status for v in found.values())
        return {op: reason for op, found in statuses.items()
                if (reason := self.edition.unwritten(op, found)) is not None}

    def starter_reason(self, spec: OpSpec, package_dir: Path | None,
                       starter_dir: Path | None = None) -> str | None:
        """Why `spec` is the course's starter code here (its module equals the edition's
        starter, or the given starter directory's copy), or None: it is the student's."""
        note = self.edition.starter.get(spec.name)
        if note is None or package_dir is None:
            return None
        module = package_dir / f"{spec.module}.py"
        known = set(self.edition.starter_code.get(spec.module, ()))
        if starter_dir is not None and (starter_dir / f"{spec.module}.py").is_file():
            known.add(fingerprint(starter_dir / f"{spec.module}.py") or "")
        found = fingerprint(module) if module.is_file() else None
        if found is None or found not in known:
            return None
        return (f"{spec.module}.py is the course's starter code, unchanged: not the "
                f"student's, so not checked or charged ({note})")


def detect(editions: tuple[Edition, ...], files: Mapping[str, Path]) -> Detected:
    """The first edition whose markers all hold for `files` (module name -> file or folder);
    when none does, the first edition (an API's full contract: nothing is left out)."""
    for edition in editions:
        if edition.markers and all(m.holds(files) for m in edition.markers):
            return Detected(edition, "; ".join(m.describe() for m in edition.markers))
    return Detected(editions[0], "no year's files recognised: the full contract")


def named(editions: tuple[Edition, ...], name: str, source: str) -> Detected:
    """The edition called `name` (--edition, a rubric); ValueError names the known ones."""
    for edition in editions:
        if edition.name == name:
            return Detected(edition, f"--edition {name}" if source == "option"
                            else f"edition = {name!r}", source)
    known = ", ".join(e.name for e in editions)
    raise ValueError(f"unknown edition {name!r}; this API's editions: {known}")
