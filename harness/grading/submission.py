"""Submissions: finding them, fingerprinting them, and staging a private copy of each.

A submission is a directory or a .zip file. It is never run where it lies: `stage` copies (or
safely extracts) it into a fresh directory, skipping symlinks, special files, caches and
anything past the size limits, and hands that copy to the sandbox's uid, readable by it alone.
So a submission cannot change its original, read another student's copy, or be changed by one.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import itertools
import os
import re
import shutil
import stat
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from harness.apis.known import Api
from harness.core.loading import LoadError
from harness.sandbox.sources import module_files, top_level_modules

MAX_FILES = 2000
SYSTEM_DIRS = {Path(d) for d in ("/", "/proc", "/sys", "/dev", "/usr", "/etc", "/home")}
MAX_BYTES = 50 * 2**20
SKIP_DIRS = {"__pycache__", "__MACOSX", ".git", ".ipynb_checkpoints", ".venv", "venv"}


class InvalidSubmission(Exception):
    """The submission cannot be graded at all (status ``invalid``); the message says why."""


@dataclass(frozen=True)
class Submission:
    name: str        # unique in the batch; the name of its directory under --out
    path: Path       # a directory or a .zip file

    @functools.cached_property
    def fingerprint(self) -> str:
        """A hash of the submission's content (paths and bytes), to recognise it on resume."""
        h = hashlib.sha256()
        if self.path.is_file():
            with open(self.path, "rb") as f:
                while chunk := f.read(1 << 20):
                    h.update(chunk)
            return h.hexdigest()[:16]
        total = 0
        for path in sorted(itertools.islice(_walk(self.path), MAX_FILES + 1)):
            rel = path.relative_to(self.path).as_posix()
            h.update(os.fsencode(rel) + b"\0")   # file names as bytes, whatever they are
            if total < MAX_BYTES:
                data = path.read_bytes()
                total += len(data)
                h.update(hashlib.sha256(data).digest())
        return h.hexdigest()[:16]


def _walk(root: Path):
    """The regular files under `root` (no symbolic links; what cannot be read is skipped)."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in filenames:
            p = Path(dirpath) / name
            try:
                regular = p.is_file() and not p.is_symlink()
            except OSError:
                continue
            if regular:
                yield p


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "submission"


def discover(paths: list[str]) -> list[Submission]:
    """One Submission per path (a directory or a .zip); ValueError for unusable paths."""
    subs: list[Submission] = []
    used: set[str] = set()
    for raw in paths:
        p = Path(raw).expanduser()
        if not p.exists():
            raise ValueError(f"{raw}: no such file or directory")
        if p.resolve() in SYSTEM_DIRS:
            raise ValueError(f"{raw}: that is the system's, not a submission: give the "
                             "directory (or .zip) holding one submission's neural_networks/")
        if p.is_file() and p.suffix.lower() != ".zip":
            raise ValueError(f"{raw}: a submission is a directory or a .zip file")
        base = safe_name(p.stem if p.is_file() else p.resolve().name)
        name, n = base, 2
        while name in used:
            name, n = f"{base}-{n}", n + 1
        used.add(name)
        subs.append(Submission(name, p.resolve()))
    return subs


# ------------------------------------------------------------------ staging
def _copy_tree(src: Path, dest: Path) -> None:
    count = size = 0
    for path in _walk(src):
        count += 1
        size += path.stat().st_size
        if count > MAX_FILES or size > MAX_BYTES:
            raise InvalidSubmission(f"the submission is too large (more than {MAX_FILES} files "
                                    f"or {MAX_BYTES // 2**20} MB)")
        target = dest / path.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


def _extract_zip(archive: Path, dest: Path) -> None:
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidSubmission(f"{archive.name} is not a readable zip file ({exc})") from None
    with zf:
        members = [m for m in zf.infolist() if not m.is_dir()]
        if len(members) > MAX_FILES:
            raise InvalidSubmission(f"{archive.name} holds more than {MAX_FILES} files")
        budget = MAX_BYTES
        for m in members:
            parts = PurePosixPath(m.filename.replace("\\", "/")).parts
            if m.filename.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
                raise InvalidSubmission(f"{archive.name}: unsafe path {m.filename!r} in the zip")
            if stat.S_ISLNK(m.external_attr >> 16) or any(p in SKIP_DIRS for p in parts):
                continue
            target = dest.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with zf.open(m) as src, open(target, "wb") as out:
                    while chunk := src.read(1 << 20):
                        budget -= len(chunk)
                        if budget < 0:
                            raise InvalidSubmission(f"{archive.name} unpacks to more than "
                                                    f"{MAX_BYTES // 2**20} MB")
                        out.write(chunk)
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
                raise InvalidSubmission(f"{archive.name}: cannot extract {m.filename!r} "
                                        f"({exc})") from None


def stage(sub: Submission, dest: Path, uid: int | None = None, gid: int | None = None) -> Path:
    """Copy or extract `sub` into the empty directory `dest` and give it to uid (read-only)."""
    if sub.path.is_file():
        _extract_zip(sub.path, dest)
    else:
        _copy_tree(sub.path, dest)
    inner = [p for p in dest.iterdir()]
    if len(inner) == 1 and inner[0].suffix.lower() == ".zip":  # an upload of one zip file
        archive = inner[0]
        _extract_zip(archive, dest / archive.stem)
        archive.unlink()
    for dirpath, dirnames, filenames in os.walk(dest):
        for name in dirnames:
            os.chmod(Path(dirpath) / name, 0o500 if uid is not None else 0o755)
        for name in filenames:
            os.chmod(Path(dirpath) / name, 0o400 if uid is not None else 0o644)
        if uid is not None:
            os.chown(dirpath, uid, gid if gid is not None else uid)
            for name in filenames:
                os.chown(Path(dirpath) / name, uid, gid if gid is not None else uid)
    os.chmod(dest, 0o500 if uid is not None else 0o755)
    return dest


def find_package(root: Path, api: Api) -> Path:
    """A package API's package directory inside a staged submission.

    As ``--impl`` (a package under one of the API's names, neural_networks/ or student_nn/
    for HW6, or a directory of its contract modules), also when it is nested a few levels
    down (hw6/neural_networks/, as zipped).
    """
    try:
        return api.loader.locate(root)
    except LoadError as exc:
        first_error = str(exc).replace(f"--impl {root}", "the submission")
    found = sorted({p for name in api.loader.dirs for p in root.glob(f"**/{name}")
                    if p.is_dir() and not SKIP_DIRS & set(p.parts)}
                   | {p.parent for m in api.loader.modules for p in root.glob(f"**/{m}.py")
                      if not SKIP_DIRS & set(p.parts)}, key=lambda p: (len(p.parts), str(p)))
    if found:
        return api.loader.locate(found[0])
    raise InvalidSubmission(first_error)


def find_library(root: Path, api: Api) -> Path:
    """The folder holding a function or class API's modules (cs231n/layers.py, or assignment
    3's cs231n/rnn_layers.py) inside a staged submission, also when nested
    (assignment2/cs231n/layers.py, as zipped)."""
    try:
        return api.loader.locate(root)
    except LoadError as exc:
        first_error = str(exc).replace(f"--impl {root}", "the submission")
    found = sorted({p.parent for module in api.modules for p in root.glob(f"**/{module}.py")
                    if not SKIP_DIRS & set(p.parts)},
                   key=lambda p: (p.name != api.package, len(p.parts), str(p)))
    if found:
        return found[0]
    raise InvalidSubmission(first_error)


# ------------------------------------------------------------------ refused imports, statically
def scan_imports(package_dir: Path, modules: Iterable[str], refused: tuple[str, ...]
                 ) -> list[dict[str, object]]:
    """Imports of refused modules in the given modules of the package (file:line each); a
    subpackage's every file counts.

    Catches what the child's import guard cannot see: imports in code that the grading never
    runs, or done in a way that bypasses the import system.
    """
    found: list[dict[str, object]] = []
    top = set(refused)
    own = top_level_modules(package_dir)
    paths = [p for m in sorted(modules) if m in own for p in module_files(own[m])]
    for path in paths:
        try:
            tree = ast.parse(path.read_bytes(), str(path))
        except (OSError, SyntaxError, ValueError):
            continue
        rel = f"{package_dir.name}/{path.relative_to(package_dir).as_posix()}"
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.Call) and node.args \
                    and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, str) \
                    and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                        "import_module", "__import__"):
                names = [node.args[0].value]
            for name in names:
                if name.partition(".")[0] in top:
                    found.append({"module": name, "file": rel,
                                  "line": getattr(node, "lineno", None)})
    return found
