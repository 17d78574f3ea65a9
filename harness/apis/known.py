"""The built-in APIs, registered with the core (`harness.core.registry`), and which one an
implementation's files follow.

Every entry point of a process imports this module (the CLI through the pipeline, the
pytest plugin when it checks, the notebook API, the grader, the checker, the sandboxed
child's `harness.child`), so the process knows HW6, CS231n, mytorch and attention before it
looks an op up.
"""

from __future__ import annotations

from pathlib import Path

from harness.apis import attention, cs231n, hw6, mytorch
from harness.core.api import Api
from harness.core.registry import APIS, register

__all__ = ["APIS", "ATTENTION", "CS231N", "DEFAULT", "HW6", "MYTORCH", "OPS", "Api",
           "detect_api", "register"]


HW6 = register(hw6.API, default=True)   # `check` without --api, and a tie's winner
CS231N = register(cs231n.SPEC)
MYTORCH = register(mytorch.SPEC)
ATTENTION = register(attention.SPEC)
DEFAULT = HW6
OPS = HW6.ops   # the default API's table, under its historical name


def detect_api(path: str | Path | None) -> Api:
    """The API an implementation's files follow: HW6 when its package or modules are there
    (also its default, and its layout wins a tie: a checkout may hold both), else CS231n when
    there is a cs231n/layers.py or cs231n/rnn_layers.py (assignment 3), either file alone, or
    PATH is one of them; else attention when PATH is attention.py or a folder holding it (or
    attention/attention.py)."""
    if path is None:
        return DEFAULT
    p = Path(path).expanduser()
    folder = p.parent if p.is_file() else p
    if _looks_like(HW6, folder):
        return HW6
    if _looks_like(MYTORCH, folder) or any(folder.glob("*/mytorch/nn")) or any(
            folder.glob("*/*/mytorch/nn")):
        return MYTORCH
    cs231n_files = tuple(f"{m}.py" for m in CS231N.modules)
    if p.is_file():
        return {**dict.fromkeys(cs231n_files, CS231N), "attention.py": ATTENTION}.get(
            p.name, DEFAULT)
    if _looks_like(CS231N, folder) or any(    # a checkout holding it deeper: the CS231n
            any(folder.glob(f"{deeper}cs231n/{name}"))   # loader's message says where
            for deeper in ("*/", "*/*/") for name in cs231n_files):
        return CS231N
    return ATTENTION if any((folder / m).is_file() for m in ATTENTION.markers) else DEFAULT


def _looks_like(api: Api, folder: Path) -> bool:
    """One of the API's marker files is there (HW6: or the folder is its package)."""
    if folder.name in api.loader.dirs:
        return True
    return any((folder / marker).exists() for marker in api.markers)
