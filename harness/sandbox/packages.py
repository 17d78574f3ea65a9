"""The site packages graded code may import, and what keeps the child to them.

In namespaces (harness/sandbox/isolation.py) the child sees no site package but the allowed
ones: the others are not there. Below namespaces (uid, process) the child runs the host's
Python without the site module (``python -S``) and with `allowed_site`, a directory of links to
the allowed packages, on its path instead of site-packages; at the uid level the grader also
denies its uid the refused packages and the listing of their site-packages directory (POSIX
ACL entries, harness/sandbox/visible.py), so that no path a submission puts on sys.path finds
them, even as an empty namespace package. `SiteGate` turns away, as a module that is not found
(a stand-in for those that have one, `harness.sandbox.standins`), any other site package a
path still reaches: a verdict does not depend on the isolation level or on what the grader
happens to have installed.
"""

from __future__ import annotations

import atexit
import functools
import importlib.abc
import importlib.machinery
import importlib.util
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from typing import Any

# top-level package -> why graded code may import it. Nothing but itself, NumPy and its own
# bundled libraries (the sandbox binds the package alone, none of its other dependencies),
# and nothing that can reach torch & co.
ALLOWED: dict[str, str] = {
    "numpy": "the assignment's one library",
    "scipy": "the handouts' own tool for what NumPy lacks (CMU 11-785's GELU: "
             "scipy.special.erf); a rubric that wants NumPy alone refuses it "
             "(refuse_imports)",
    "typing_extensions": "type hints newer than the Python a submission was written for "
                         "(Literal, Protocol, Self, ...); one file, standard library only",
}
# Never importable in the child, at any level (in namespaces they are not there at all).
HIDDEN: tuple[str, ...] = ("torch", "tensorflow", "jax")
assert not set(ALLOWED) & set(HIDDEN)

SITE_DIRS = ("site-packages", "dist-packages")


def allowed_text() -> str:
    """What graded code may import, in words ("NumPy, the standard library, scipy and
    typing_extensions")."""
    names = ["NumPy", "the standard library", *(name for name in ALLOWED if name != "numpy")]
    return ", ".join(names[:-1]) + " and " + names[-1]


def unavailable(top: str) -> str:
    """Why an import of the package `top` failed in the sandbox (installed here or not)."""
    return (f"the package '{top}' is not available inside the grader's sandbox: graded code "
            f"may use {allowed_text()} only")


def site_dirs(path: Sequence[str]) -> tuple[str, ...]:
    """The site-packages directories on `path` (a sys.path)."""
    return tuple(os.path.realpath(p) for p in path
                 if p and os.path.basename(p) in SITE_DIRS and os.path.isdir(p))


class SiteGate(importlib.abc.MetaPathFinder):
    """Turns away a top-level import that only a site package not in ALLOWED provides: to a
    stand-in when `stand_ins` has one, else as a module that is not found. Imports the
    implementation's own files, the project and the standard library provide pass."""

    def __init__(self, stand_ins: importlib.abc.MetaPathFinder | None = None) -> None:
        self.sites = site_dirs(sys.path)
        self.stand_ins = stand_ins

    def find_spec(self, fullname: str, path: Any = None, target: Any = None
                  ) -> importlib.machinery.ModuleSpec | None:
        if path is not None or fullname in ALLOWED or not self.sites:
            return None   # a submodule (its package got past the gate), or nothing to guard
        found = importlib.machinery.PathFinder.find_spec(fullname)
        if found is None or not self._in_site(found):
            return None
        stand_in = self.stand_ins.find_spec(fullname, None) if self.stand_ins else None
        if stand_in is not None:
            return stand_in
        raise ModuleNotFoundError(f"No module named '{fullname}'", name=fullname)

    def _in_site(self, spec: importlib.machinery.ModuleSpec) -> bool:
        places = list(spec.submodule_search_locations or []) or [spec.origin or ""]
        return any(os.path.realpath(p).startswith(site + os.sep)
                   for p in places if p for site in self.sites)


def package_paths(name: str) -> list[str]:
    """Where the installed package `name` is: its directories (with a wheel's bundled
    libraries, `.libs`), or its one file for a single-module package (typing_extensions)."""
    spec = importlib.util.find_spec(name)
    if spec is None:
        return []
    if spec.submodule_search_locations is None:
        return [os.path.realpath(spec.origin)] if spec.origin and os.path.isfile(spec.origin) \
            else []
    dirs = [os.path.realpath(p) for p in spec.submodule_search_locations]
    return [p for d in dirs for p in (d, d + ".libs") if os.path.isdir(p)]


@functools.cache
def allowed_site(through: tuple[str, str] | None = None) -> str:
    """A directory of links to the allowed packages only (ALLOWED, with a wheel's bundled
    libraries). Below namespaces the child starts without the site module (``python -S``)
    and with this directory on its path instead of site-packages: torch and the like are
    then not on its path at all, not even as an empty namespace package (a directory whose
    mode hides its files still exists). Made once per process (and `through`), readable by
    every user, removed at exit.

    `through` = (prefix, reachable): a link to a package under `prefix` goes through
    `reachable` instead (a Python installed under /root, which the sandbox's uid cannot
    search, is reached through a directory the parent opened for the child:
    ``/proc/self/fd/N``, harness/sandbox/confine.py)."""
    site = tempfile.mkdtemp(prefix="nnparity-site-")
    os.chmod(site, 0o755)
    atexit.register(shutil.rmtree, site, True)
    for name in ALLOWED:
        for path in package_paths(name):
            if through and path.startswith(through[0] + os.sep):
                target = through[1] + path[len(through[0]):]
            else:
                target = path
            os.symlink(target, os.path.join(site, os.path.basename(path)))
    return site
