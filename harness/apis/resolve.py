"""Which API and which implementation a command means (check, repro, the pytest plugin,
grading, nnparity.check): a ValueError says what to fix; callers turn it into their own
kind of usage error."""

from __future__ import annotations

from pathlib import Path

from harness.apis.known import HW6, Api, detect_api
from harness.apis.user import load_adapter
from harness.core.loading import LoadError
from harness.core.registry import api_of, get_api


def resolve_api(value: str | None, impl: str | Path | None, op: str | None = None) -> Api:
    """--api NAME or FILE (an adapter: harness/apis/user.py), else the API a case ID names,
    else the one the implementation's files follow (HW6 when unsure)."""
    try:
        if value and Path(value).suffix in (".toml", ".py"):
            return load_adapter(value)
        if value:
            return get_api(value)
        if op is not None and api_of(op) != "hw6":
            return get_api(api_of(op))
    except ValueError as exc:
        hint = "; an adapter's case needs --api with its file" if op and not value else ""
        raise ValueError(f"--api: {exc}{hint}") from None
    return detect_api(impl)


def resolve_impl(value: str | Path | None, api: Api = HW6) -> Path:
    """The directory --impl names for `api` (its bundled implementation when None)."""
    if value is None:
        if api.bundled is None:
            raise ValueError(f"--impl is required with --api {api.name} (its adapter names "
                             "no example implementation)")
        if not Path(api.bundled).is_dir():
            raise ValueError("--impl is required: this nnparity has no bundled implementation "
                             "(a student build); give --impl path/to/your/"
                             f"{api.package or 'implementation'}")
        return api.bundled
    try:
        return api.loader.locate(value)
    except LoadError as exc:
        raise ValueError(str(exc)) from None
