"""The APIs nnparity knows, by name, and which one an implementation's files follow."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from harness.apis import cs231n, hw6
from harness.apis.api import Api

__all__ = ["APIS", "CS231N", "DEFAULT", "HW6", "Api", "detect_api", "get_api", "judge_of",
           "kind_runners", "register"]


HW6 = hw6.API
CS231N = cs231n.SPEC
APIS: dict[str, Api] = {api.name: api for api in (HW6, CS231N)}
DEFAULT = HW6   # `check` without --api on the bundled implementation, and a tie's winner


def register(api: Api) -> Api:
    """Add a user-declared API (harness/apis/user.py) to the known ones."""
    APIS[api.name] = api
    return api


def kind_runners() -> dict[str, Any]:
    """Every API's own kinds of op and the runner of each (`harness.sandbox.driver`)."""
    runners: dict[str, Any] = {}
    for api in APIS.values():
        if api.runners:
            runners.update(importlib.import_module(api.runners).RUNNERS)
    return runners


def judge_of(spec: Any) -> Any | None:
    """The module that judges `spec`'s kind when its API declares one for it (whole models:
    more than one call, collected outputs), else None (the core judges it output by output)."""
    api = APIS.get(spec.api)
    if api is None or not api.judge:
        return None
    module = importlib.import_module(api.judge)
    return module if spec.kind in module.KINDS else None


def get_api(name: str) -> Api:
    try:
        return APIS[name]
    except KeyError:
        raise ValueError(f"unknown API {name!r}; known APIs: {', '.join(APIS)}") from None


def detect_api(path: str | Path | None) -> Api:
    """The API an implementation's files follow: HW6 when its package or modules are there
    (also its default, and its layout wins a tie: a checkout may hold both), else CS231n when
    there is a cs231n/layers.py, a layers.py, or PATH is layers.py."""
    if path is None:
        return DEFAULT
    p = Path(path).expanduser()
    folder = p.parent if p.is_file() else p
    if _looks_like(HW6, folder):
        return HW6
    if p.is_file():
        return CS231N if p.name == "layers.py" else DEFAULT
    if _looks_like(CS231N, folder) or any(folder.glob("*/cs231n/layers.py")) or any(
            folder.glob("*/*/cs231n/layers.py")):  # a checkout holding it deeper: the
        return CS231N                              # CS231n loader's message says where
    return DEFAULT


def _looks_like(api: Api, folder: Path) -> bool:
    """One of the API's marker files is there (HW6: or the folder is its package)."""
    if folder.name in api.package_names:
        return True
    return any((folder / marker).exists() for marker in api.markers)
