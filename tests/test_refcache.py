"""The on-disk reference cache (harness/core/refcache.py): hits are the twin's own arrays, a
damaged or foreign entry is a miss, a changed twin starts afresh, and it can be turned off."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from harness.core import refcache
from harness.core import twin as twins
from harness.core.conventions import DEFAULT_PROFILE, Conventions
from harness.core.registry import get_op

CONV = DEFAULT_PROFILE.preferred
PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache of this test's own; the in-memory layer cleared before and after."""
    monkeypatch.setenv(refcache.ENV_DIR, str(tmp_path / "cache"))
    monkeypatch.delenv(refcache.ENV_OFF, raising=False)
    twins.cached_reference.cache_clear()
    yield tmp_path / "cache"
    twins.cached_reference.cache_clear()


def twin(op: str, index: int = 0, conventions: Conventions = CONV):
    spec = get_op(op)
    case = list(spec.cases(index + 1, 0))[index]
    return spec, case, twins.reference_outputs(spec, spec.ctor(case), spec.inputs(case),
                                                  conventions)


def entries(root: Path) -> list[Path]:
    return sorted(root.rglob("*.ref")) if root.exists() else []


@pytest.mark.parametrize("op", ["conv2d", "cross_entropy", "network", "xavier_normal"])
def test_a_hit_returns_exactly_what_the_twin_computed(cache, op):
    spec, case, want = twin(op)
    assert refcache.store(op, case.id, CONV, want)
    got = refcache.load(op, case.id, CONV)
    assert got is not None and list(got) == list(want)
    for name, value in want.items():
        if isinstance(value, np.ndarray):   # shapes (a loss is 0-d), dtypes and bits
            assert got[name].shape == value.shape and got[name].dtype == value.dtype
            np.testing.assert_array_equal(got[name], value)
        else:                               # an initializer's law
            assert got[name] == value


def test_the_checker_fills_the_cache_and_then_reads_it(cache, monkeypatch):
    spec, case, want = twin("fully_connected", 2)
    assert twins.cached_reference("fully_connected", case, CONV).keys() == want.keys()
    assert len(entries(cache)) == 1
    twins.cached_reference.cache_clear()
    monkeypatch.setattr(twins, "reference_outputs", lambda *a, **k: pytest.fail("computed"))
    hit = twins.cached_reference("fully_connected", case, CONV)
    for name in want:
        np.testing.assert_array_equal(hit[name], want[name])


def test_other_conventions_and_cases_are_other_entries(cache):
    spec, case, want = twin("pool2d_max", 0)
    other = Conventions(maxpool_pad="zero")
    refcache.store("pool2d_max", case.id, CONV, want)
    assert refcache.load("pool2d_max", case.id, other) is None
    assert refcache.load("pool2d_max", list(spec.cases(2, 0))[1].id, CONV) is None
    assert refcache.load("pool2d_average", case.id, CONV) is None


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty", "not a dict",
                                    "other key"])
def test_a_damaged_entry_is_a_miss_and_is_rewritten(cache, damage):
    spec, case, want = twin("relu", 1)
    refcache.store("relu", case.id, CONV, want)
    (path,) = entries(cache)
    data = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(data[: len(data) - 7])
    elif damage == "garbage":
        path.write_bytes(b"\x00\x01not an entry" * 10)
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "not a dict":   # a well-formed message whose header is a list
        path.write_bytes(len(b"[1, 2]").to_bytes(8, "little") + b"[1, 2]")
    else:   # a valid entry of another key under this file name
        other = list(spec.cases(3, 0))[2]
        refcache.store("relu", other.id, CONV, twin("relu", 2)[2])
        shutil.copy(next(p for p in entries(cache) if p != path), path)
    assert refcache.load("relu", case.id, CONV) is None
    got = twins.cached_reference("relu", case, CONV)   # computed again, stored again
    np.testing.assert_array_equal(got["forward"], want["forward"])
    assert refcache.load("relu", case.id, CONV) is not None


def test_a_changed_twin_invalidates_every_entry(cache, tmp_path, monkeypatch):
    tree = tmp_path / "project"
    for top in refcache.SOURCES:
        src, dest = PROJECT / top, tree / top
        if src.is_dir():
            shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, dest)
    monkeypatch.setattr(refcache, "PROJECT_ROOT", tree)
    refcache.generation.cache_clear()
    try:
        spec, case, want = twin("tanh")
        refcache.store("tanh", case.id, CONV, want)
        assert refcache.load("tanh", case.id, CONV) is not None
        twin_file = tree / "reference" / "activations.py"
        twin_file.write_text(twin_file.read_text() + "\n# a changed twin\n")
        refcache.generation.cache_clear()
        assert refcache.load("tanh", case.id, CONV) is None
    finally:
        refcache.generation.cache_clear()


def test_turned_off_nothing_is_read_or_written(cache, monkeypatch):
    spec, case, want = twin("sigmoid")
    with refcache.disabled():
        assert not refcache.store("sigmoid", case.id, CONV, want)
        assert entries(cache) == []
    assert os.environ.get(refcache.ENV_OFF) is None
    refcache.store("sigmoid", case.id, CONV, want)
    monkeypatch.setenv(refcache.ENV_OFF, "1")
    assert refcache.load("sigmoid", case.id, CONV) is None


def test_the_cache_directories_are_private(cache):
    spec, case, want = twin("linear")
    refcache.store("linear", case.id, CONV, want)
    (path,) = entries(cache)
    for d in [cache, *[p for p in path.parents if p.is_relative_to(cache) and p != cache]]:
        assert d.stat().st_mode & 0o777 == 0o700


def test_check_no_cache_writes_nothing_and_a_warm_check_imports_no_torch(tmp_path):
    env = {**os.environ, refcache.ENV_DIR: str(tmp_path / "cache"),
           "PYTHONPATH": str(PROJECT)}
    env.pop(refcache.ENV_OFF, None)
    script = ("import sys; from harness.cli import main; "
              "code = main(['check', '--ops', 'relu,xavier_normal,network,sgd', '--cases', '3', "
              f"'--report', {str(tmp_path / 'r')!r}] + sys.argv[1:]); "
              "print('torch imported' if 'torch' in sys.modules else 'no torch', code)")

    def check(*extra: str) -> str:
        proc = subprocess.run([sys.executable, "-c", script, *extra], env=env, cwd=PROJECT,
                              capture_output=True, text=True, timeout=300)
        return proc.stdout.strip().splitlines()[-1]

    assert check("--no-cache") == "torch imported 0"
    assert entries(tmp_path / "cache") == []
    assert check() == "torch imported 0"       # cold: computes and stores
    assert entries(tmp_path / "cache")
    assert check() == "no torch 0"             # warm: every reference from the cache
