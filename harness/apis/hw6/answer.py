"""What the child sent back for one case of a whole model, an optimiser or an initialiser:
the collected outputs, read by name (`harness.apis.hw6.model_eval` judges them;
`model_localize` and `optim_diagnose` read the traces and steps in them)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class Answer:
    """The child's answer for one case: what each collected output was, and the arrays."""

    header: dict[str, Any]
    arrays: dict[str, np.ndarray]

    def info(self, name: str) -> dict[str, Any] | None:
        return self.header["outputs"].get(name)

    def array(self, name: str) -> np.ndarray | None:
        return self.arrays.get(f"out/{name}")

    def text(self, name: str) -> str | None:
        """A string output (the tracer's parameter names), read back from its repr."""
        info = self.info(name) or {}
        if info.get("type") != "builtins.str":
            return None
        try:
            return str(ast.literal_eval(info.get("repr", "")))
        except (ValueError, SyntaxError):
            return None

    def error(self, output: str) -> dict[str, Any] | None:
        return self.header["errors"].get(output)

    def names(self, prefix: str) -> list[str]:
        return [k for k in self.header["outputs"] if k.startswith(prefix)]
