"""nnparity's own version, as installed."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def package_version() -> str:
    """nnparity's installed version (pyproject.toml's), or "unknown" from a bare checkout."""
    try:
        return version("nnparity")
    except PackageNotFoundError:
        return "unknown"
