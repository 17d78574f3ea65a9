"""The APIs nnparity knows, by name, and which one an implementation's files follow."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.sandbox.sources import BUNDLED_DIR


@dataclass(frozen=True)
class Api:
    name: str
    title: str
    package: str          # the package the implementation is imported as
    modules: tuple[str, ...]  # its graded modules
    bundled: Path | None  # the correct implementation shipped for self-tests (or an example)
    reference: str        # the module of PyTorch twins ("" for HW6, the reference package,
                          # and for a user adapter, whose ops' twins are other ops')
    markers: tuple[str, ...]  # files (relative to --impl) that say an implementation is this API's
    adapter: str = ""     # a user-declared API's adapter file (harness/apis/user.py)

    @property
    def functions(self) -> bool:
        """Not HW6's package: a library of functions or classes in one module, loaded by
        `harness.apis.library` (CS231n's functions, a user-declared adapter's classes)."""
        return self.name != "hw6"

    @property
    def library(self) -> str | None:
        """'package:module' for the sandboxed child's loader (None: HW6's loader)."""
        return f"{self.package}:{self.modules[0]}" if self.functions else None


HW6 = Api("hw6", "Berkeley CS189 HW6 (neural_networks)", "neural_networks",
          ("activations", "layers", "losses", "models"), BUNDLED_DIR, "",
          ("neural_networks", "student_nn", "activations.py", "losses.py"))
CS231N = Api("cs231n", "CS231n assignment 2 (layers.py)", "cs231n", ("layers",),
             BUNDLED_DIR / "cs231n", "reference.cs231n",
             ("cs231n/layers.py", "layers.py"))
APIS: dict[str, Api] = {api.name: api for api in (HW6, CS231N)}
DEFAULT = HW6


def register(api: Api) -> Api:
    """Add a user-declared API (harness/apis/user.py) to the known ones."""
    APIS[api.name] = api
    return api


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
    if api is HW6 and folder.name in (HW6.package, "student_nn"):
        return True
    return any((folder / marker).exists() for marker in api.markers)
