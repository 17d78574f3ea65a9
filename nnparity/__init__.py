"""nnparity from Python: check a NumPy neural-network library against PyTorch.

    import nnparity
    report = nnparity.check("cs231n/layers.py", api="cs231n")
    report          # the HTML report in Jupyter, the summary table in IPython
    report.passed   # True when every compared output matches

`check` runs the same sandboxed check as `nnparity check` and returns a `Report`
(see harness/notebook.py). Importing nnparity is cheap: the checker (and torch) load on the
first check or report.
"""

from __future__ import annotations

from importlib import metadata
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.notebook import Report, check

__all__ = ["Report", "__version__", "check"]

try:
    __version__ = metadata.version("nnparity")
except metadata.PackageNotFoundError:  # a source tree that is not installed
    __version__ = "0+unknown"


def __getattr__(name: str) -> Any:
    if name in ("check", "Report"):
        from harness import notebook

        value = getattr(notebook, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'nnparity' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
