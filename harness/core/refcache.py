"""An on-disk cache of the PyTorch twins' outputs, so that a warm `nnparity check` need not
import torch at all.

What is cached: `reference_outputs` of one seeded case (`harness.check.checker`), i.e. the
float64 arrays the twin computed for (op, case ID, conventions), or an initializer's law. A
case ID rebuilds the case's inputs exactly (`spec.inputs(case)`), so it names the computation.

The key. Every entry lives under a *generation*: a digest of the torch, NumPy and Python
versions and of the source of everything that decides what the twin computes (reference/,
harness/core/, harness/apis/ and the driver that runs a twin), so a changed twin, case
generator or op table starts an empty generation. Inside it, one file per entry, named by a
digest of (op, case ID, conventions); the file repeats its full key, and an entry whose
stored key differs, that cannot be read, or that is truncated, is a miss (and is rewritten).
Ops of a user's adapter file (harness/apis/user.py) are never cached: their twins are
mapped by a file outside the digest.

Where: ``$NNPARITY_CACHE_DIR``, else ``$XDG_CACHE_HOME/nnparity``, else
``~/.cache/nnparity``; its directories are created private to the user (mode 0700). Clearing
it is removing that directory. ``NNPARITY_NO_CACHE=1`` (or ``nnparity check --no-cache``)
turns the cache off: nothing is read or written.

Safety. Only the parent writes here, from arrays its own twin computed; the sandboxed child
never sees the directory (in namespaces it is not mounted; graded children run as another
uid, which the 0700 mode shuts out). Writes are atomic (a private temporary file, then
``os.replace``), so concurrent writers (pytest-xdist, grading workers) never leave a torn
entry: at worst both compute the same entry and the last rename wins. Entries are the wire's
format (`harness.core.wire`: a JSON header and .npy arrays, never pickles).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict, cast

import numpy as np

from harness.core import wire

if TYPE_CHECKING:
    from harness.core.conventions import Conventions
    from harness.core.report import JSON, JSONObject
    from reference.laws import Law

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ENV_DIR, ENV_OFF = "NNPARITY_CACHE_DIR", "NNPARITY_NO_CACHE"
# What decides a twin's outputs for a case ID: the twins, the case generators and op tables,
# the judging core that calls the twins, and the driver that runs them.
SOURCES = ("reference", "harness/core", "harness/apis", "harness/core/driver.py")
FORMAT = 3   # bump when the entry layout changes


def enabled() -> bool:
    """False when ``NNPARITY_NO_CACHE`` is set to anything but "" or "0"."""
    return os.environ.get(ENV_OFF, "") in ("", "0")


@contextlib.contextmanager
def disabled(off: bool = True) -> Iterator[None]:
    """While inside (when `off`), the cache is off for this process; as it was after."""
    if not off:
        yield
        return
    before = os.environ.get(ENV_OFF)
    os.environ[ENV_OFF] = "1"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(ENV_OFF, None)
        else:
            os.environ[ENV_OFF] = before


def cache_root() -> Path:
    """The cache directory (see the module docstring); not created here."""
    if os.environ.get(ENV_DIR):
        return Path(os.environ[ENV_DIR]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "nnparity"


def _sources_digest() -> str:
    h = hashlib.sha256()
    for top in SOURCES:
        path = PROJECT_ROOT / top
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for f in files:
            h.update(str(f.relative_to(PROJECT_ROOT)).encode() + b"\0")
            h.update(f.read_bytes() + b"\0")
    return h.hexdigest()


def _torch_version() -> str:
    """torch's version without importing torch (its distribution's metadata)."""
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("torch")
    except PackageNotFoundError:
        return "none"


@lru_cache(maxsize=1)
def generation() -> str:
    """The digest naming the current generation of entries (versions and sources)."""
    parts = {"format": FORMAT, "torch": _torch_version(), "numpy": np.__version__,
             "python": f"{sys.version_info[0]}.{sys.version_info[1]}",
             "sources": _sources_digest()}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:24]


def entry_key(op: str, case_id: str, conventions: Conventions) -> str:
    """The full key of one entry (stored in it, compared on every read)."""
    return json.dumps({"generation": generation(), "op": op, "case": case_id,
                       "conventions": repr(conventions)}, sort_keys=True)


def _path(key: str, op: str) -> Path:
    name = hashlib.sha256(key.encode()).hexdigest()[:40]
    safe_op = "".join(c if c.isalnum() or c in "._-" else "_" for c in op)
    return cache_root() / generation() / safe_op / f"{name}.ref"


# ------------------------------------------------------------------ values <-> files
class _LawFields(TypedDict):
    """A `reference.laws.Law` in an entry's header."""

    family: str
    scale: float
    fan_in: int
    fan_out: int
    gain: float


class _Entry(TypedDict):
    """An entry's header, as `_encode` writes it."""

    key: str
    laws: dict[str, _LawFields]
    shapes: dict[str, list[int]]
    order: list[str]


def _encode(key: str, value: Mapping[str, object]) -> bytes | None:
    """An entry's bytes; None for a value this cache does not store."""
    laws: dict[str, JSON] = {}
    shapes: dict[str, JSON] = {}
    header: JSONObject = {"key": key, "laws": laws, "shapes": shapes, "order": list(value)}
    arrays: dict[str, np.ndarray] = {}
    for name, v in value.items():
        if isinstance(v, np.ndarray) and v.dtype.kind in "biuf":
            arrays[name] = v
            shapes[name] = list(v.shape)   # the wire sends a 0-d array as 1-d
        elif type(v).__name__ == "Law" and type(v).__module__ == "reference.laws":
            laws[name] = {f: getattr(v, f) for f in
                          ("family", "scale", "fan_in", "fan_out", "gain")}
        else:
            return None
    buf = io.BytesIO()
    wire.write_message(buf, header, arrays)
    return buf.getvalue()


def _decode(data: bytes, key: str) -> dict[str, np.ndarray | Law] | None:
    found_header, arrays = wire.read_message(io.BytesIO(data))
    if found_header.get("key") != key:
        return None
    # `_encode` wrote it (its key matched); damaged in any other way, it raises below: a miss
    header = cast(_Entry, found_header)
    shapes = header["shapes"]
    if set(shapes) != set(arrays):
        return None
    found: dict[str, np.ndarray | Law] = {k: v.reshape(shapes[k]) for k, v in arrays.items()}
    if header["laws"]:
        from reference.laws import Law  # torch-free: the law's record, not torch.nn.init
        for name, fields in header["laws"].items():
            found[name] = Law(**fields)
    if sorted(found) != sorted(header["order"]):
        return None
    return {name: found[name] for name in header["order"]}   # in the twin's order


# ------------------------------------------------------------------ the cache
def load(op: str, case_id: str, conventions: Conventions
         ) -> dict[str, np.ndarray | Law] | None:
    """The cached outputs of (op, case, conventions), or None (a miss: absent, disabled,
    unreadable, corrupt or another key's). Arrays come back as the twin computed them."""
    if not enabled():
        return None
    key = entry_key(op, case_id, conventions)
    try:
        return _decode(_path(key, op).read_bytes(), key)
    except Exception:  # noqa: BLE001 - absent or damaged in any way: a miss, computed afresh
        return None


def store(op: str, case_id: str, conventions: Conventions, value: Mapping[str, object]
          ) -> bool:
    """Write one entry atomically; False when it was not written (disabled, a value this
    cache does not store, or the directory is not writable: the cache is only an
    optimisation, so nothing here raises)."""
    if not enabled():
        return False
    key = entry_key(op, case_id, conventions)
    data = _encode(key, value)
    if data is None:
        return False
    path = _path(key, op)
    try:
        _private_dirs(path.parent)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".ref")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError:
        return False
    return True


def _private_dirs(path: Path) -> None:
    """Create `path` and the cache directories above it, each mode 0700."""
    if path.is_dir():
        return
    root = cache_root()
    root.parent.mkdir(parents=True, exist_ok=True)
    d = root
    for part in ("", *path.relative_to(root).parts):
        d = d / part if part else d
        if not d.is_dir():
            with contextlib.suppress(FileExistsError):
                d.mkdir(mode=0o700)
