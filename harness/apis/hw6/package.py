"""HW6's package: the names it is imported under and the modules its contract names.

The package loader (harness/sandbox/loader.py, harness/sandbox/sources.py) imports a
submission's package as ``neural_networks`` whatever its directory is called, each module
from the submission, the course's starter or the bundled student_nn.
"""

from __future__ import annotations

from pathlib import Path

from harness.sandbox.loader import PackageLoader

CANONICAL = "neural_networks"        # the name the package is imported as
BUNDLED_DIR = Path(__file__).resolve().parents[3] / "student_nn"
LOADER = PackageLoader(
    package=CANONICAL,
    dirs=(CANONICAL, "student_nn"),   # the package directories an --impl may hold
    modules=("activations", "weights", "layers", "losses", "optimizers", "models", "utils"),
    bundled=BUNDLED_DIR,
    api="hw6")
