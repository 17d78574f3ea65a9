"""What of nnparity's own files a sandboxed child may see: the modules it runs, and nothing
that holds or computes an answer.

The child imports a small part of harness/ (`CHILD_MODULES`: the sandbox package, and the op
declarations its drivers and module plan read). Everything else in the project holds
answers or secrets: student_nn (the bundled solution), reference/ (the PyTorch twins),
tests/ (correct fixtures), .git (all of it, again), harness/rubrics (the hidden cases'
seeds), harness/diagnosis and harness/tools/evidence (NumPy formula catalogues), the checks
that a drawn case is informative (harness/core/informative.py: a forward of the layers). So:

- under namespaces, the sandbox binds exactly `child_files()` (each module and its cached
  bytecode) of the project, plus student_nn for a child that may import it;
- at the uid level the child sees the host's file system: every project path outside
  `child_files()` (`hidden_paths`) is denied to the sandbox uid alone by a POSIX ACL entry
  (`denied_to`), which leaves the files' owners, every other user and every other batch's
  uid as they were; the entries go when the submission is graded.

The list is checked by tests/test_integrity.py against what a child really imports.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import importlib.util
import os
import struct
import sys
from collections.abc import Iterable, Iterator, Sequence
from importlib.util import cache_from_source
from pathlib import Path

from harness.sandbox.packages import HIDDEN

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# The harness modules a child imports (the test named above keeps this list honest).
CHILD_MODULES = (
    "harness", "harness.child",
    "harness.apis", "harness.apis.attention", "harness.apis.cs231n", "harness.apis.cs231n.rnn",
    "harness.apis.known",
    "harness.apis.hw6", "harness.apis.hw6.editions", "harness.apis.hw6.layer_spec",
    "harness.apis.hw6.model_cases",
    "harness.apis.hw6.ops", "harness.apis.hw6.package", "harness.apis.hw6.runners",
    "harness.apis.mytorch", "harness.apis.mytorch.cases", "harness.apis.mytorch.editions",
    "harness.apis.mytorch.ops", "harness.apis.mytorch.rnn_cases", "harness.apis.mytorch.runners",
    "harness.core", "harness.core.api", "harness.core.array_layouts", "harness.core.cases",
    "harness.core.conventions", "harness.core.expressions",
    "harness.core.editions", "harness.core.loading", "harness.core.opspec",
    "harness.core.registry", "harness.core.stubs",
    "harness.sandbox", "harness.sandbox.child", "harness.core.driver",
    "harness.sandbox.imports", "harness.sandbox.library", "harness.sandbox.lines",
    "harness.sandbox.loader",
    "harness.sandbox.packages", "harness.sandbox.sources", "harness.sandbox.standins",
    "harness.sandbox.tree",
    "harness.core.wire",
)
SOLUTION = "student_nn"   # bound or left readable only for a child that may import it


def module_file(name: str) -> Path:
    """The source file of a harness module (a package's __init__.py)."""
    path = PROJECT_ROOT.joinpath(*name.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def child_files() -> list[Path]:
    """The project files a child may read: each child module and its cached bytecode."""
    files = []
    for name in CHILD_MODULES:
        source = module_file(name)
        files.append(source)
        compiled = Path(cache_from_source(str(source)))
        if compiled.exists():
            files.append(compiled)
    return files


def _python_dirs() -> list[Path]:
    """The Python installation when it lives inside the project (CI's .venv)."""
    dirs = {Path(os.path.realpath(p)) for p in (sys.prefix, sys.base_prefix, sys.executable)}
    return [d for d in dirs if d.is_relative_to(PROJECT_ROOT)]


def hidden_paths(solution: bool, exempt: Iterable[Path] = ()) -> list[Path]:
    """The fewest project paths whose denial leaves a child only `child_files()` (and
    student_nn when `solution`, the Python installation, and `exempt`: a starter kept in the
    project): every entry of a directory on the way to an allowed path that is neither
    allowed nor on the way to one."""
    allowed = {*child_files(), *_python_dirs(),
               *(Path(os.path.realpath(p)) for p in exempt)}
    if solution:
        allowed.add(PROJECT_ROOT / SOLUTION)
    allowed = {p for p in allowed if p.is_relative_to(PROJECT_ROOT)}
    on_the_way = {a for p in allowed for a in p.parents if a.is_relative_to(PROJECT_ROOT)}
    hidden = []
    for directory in sorted(on_the_way):
        for entry in sorted(directory.iterdir()):
            if entry not in allowed and entry not in on_the_way and not entry.is_symlink():
                hidden.append(entry)
    return hidden


def refused_package_dirs(names: Iterable[str]) -> list[Path]:
    """Where the refused packages (torch, ...) are installed, outside the project."""
    found = []
    for name in names:
        if not name.isidentifier():
            continue
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is None:
            continue
        places = list(spec.submodule_search_locations or []) or [spec.origin or ""]
        for place in filter(None, places):
            p = Path(place).resolve()
            if not p.is_relative_to(PROJECT_ROOT) and p.exists():
                found.append(p)
    return found


# ------------------------------------------------------------------ POSIX ACL entries
# The kernel's binary form of an access ACL (system.posix_acl_access): a version, then
# (tag, permissions, id) entries sorted by tag and id. See acl(5).
ACL_XATTR = "system.posix_acl_access"
_VERSION, _ENTRY = struct.Struct("<I"), struct.Struct("<HHI")
USER_OBJ, USER, GROUP_OBJ, GROUP, MASK, OTHER = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
NO_ID = 0xFFFFFFFF
LOCK = PROJECT_ROOT   # concurrent graders edit these ACLs under a lock on the project's folder


def _read_acl(path: Path) -> list[tuple[int, int, int]]:
    """The access ACL of `path` as (tag, perms, id); the one its mode means if it has none."""
    try:
        blob = os.getxattr(path, ACL_XATTR)
    except OSError as exc:
        if exc.errno != errno.ENODATA:
            raise
        mode = path.stat().st_mode
        return [(USER_OBJ, mode >> 6 & 7, NO_ID), (GROUP_OBJ, mode >> 3 & 7, NO_ID),
                (OTHER, mode & 7, NO_ID)]
    return [_ENTRY.unpack_from(blob, at) for at in range(_VERSION.size, len(blob), _ENTRY.size)]


def _write_acl(path: Path, entries: list[tuple[int, int, int]]) -> None:
    named = [e for e in entries if e[0] in (USER, GROUP)]
    if not named:   # back to what the mode says: no ACL at all
        with contextlib.suppress(OSError):
            os.removexattr(path, ACL_XATTR)
        return
    if not any(e[0] == MASK for e in entries):   # the mask: the group's bits, left unchanged
        group = next(p for t, p, _ in entries if t == GROUP_OBJ)
        entries = [*entries, (MASK, group, NO_ID)]
    blob = _VERSION.pack(2) + b"".join(_ENTRY.pack(*e) for e in sorted(entries,
                                                                       key=lambda e: e[::2]))
    os.setxattr(path, ACL_XATTR, blob)


def _set_uid_entry(paths: Iterable[Path], uid: int, deny: bool, perms: int = 0) -> None:
    """Add (deny) or remove the entry giving `uid` only `perms` (0: none, 1: search) on each
    path."""
    lock = os.open(LOCK, os.O_RDONLY)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for path in paths:
            with contextlib.suppress(FileNotFoundError):
                entries = [e for e in _read_acl(path) if not (e[0] == USER and e[2] == uid)]
                _write_acl(path, [*entries, (USER, perms, uid)] if deny else entries)
    finally:
        os.close(lock)   # (and the lock with it)


@contextlib.contextmanager
def denied_to(uid: int, paths: list[Path], passable: Sequence[Path] = ()
              ) -> Iterator[str | None]:
    """`paths` unreadable by `uid` (and by `uid` only) while inside, and the directories
    `passable` reachable through but not listable (what they hold is then found only by a
    name the child already knows). Yields None, or why the file system takes no ACL entry
    (nothing is then hidden: the caller says so)."""
    try:
        _set_uid_entry(paths, uid, deny=True)
        _set_uid_entry(passable, uid, deny=True, perms=1)
    except OSError as exc:
        with contextlib.suppress(OSError):
            _set_uid_entry([*paths, *passable], uid, deny=False)
        yield f"the file system of {PROJECT_ROOT} takes no POSIX ACL ({exc.strerror})"
        return
    try:
        yield None
    finally:
        _set_uid_entry([*paths, *passable], uid, deny=False)


def forget_uid(uid: int) -> None:
    """Remove entries `uid` may have kept from a grader that was killed (a claimed uid starts
    clean; a file system without ACLs has none)."""
    refused = refused_package_dirs(HIDDEN)
    with contextlib.suppress(OSError):
        _set_uid_entry([*hidden_paths(solution=False), PROJECT_ROOT / SOLUTION, *refused,
                        *{p.parent for p in refused}], uid, deny=False)
