"""Optimisers: ``update(param_name, param, grad, epoch) -> delta``; the caller does param −= delta.

State (momentum, Adam's moments) is kept per parameter name, e.g. "W0", "b3".
The learning rate at an epoch is  lr · decay^(epoch / stage_length)  (floored with `staircase`)
for lr_scheduler="exponential", and plain lr for "constant".
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np


class Optimizer(ABC):
    def __init__(
        self,
        lr: float,
        lr_scheduler: str = "constant",
        lr_decay: float = 0.99,
        stage_length: int = 1000,
        staircase: bool = True,
    ) -> None:
        if lr_scheduler not in ("constant", "exponential"):
            raise ValueError(f"unknown lr_scheduler {lr_scheduler!r}; use constant | exponential")
        self.lr = lr
        self.lr_scheduler = lr_scheduler
        self.lr_decay = lr_decay
        self.stage_length = stage_length
        self.staircase = staircase
        self.cache: dict[str, dict[str, np.ndarray | int]] = {}

    def learning_rate(self, epoch: int) -> float:
        if self.lr_scheduler == "constant":
            return self.lr
        stage = epoch / self.stage_length
        return self.lr * self.lr_decay ** (np.floor(stage) if self.staircase else stage)

    @abstractmethod
    def update(
        self, param_name: str, param: np.ndarray, grad: np.ndarray, epoch: int = 0
    ) -> np.ndarray:
        """The step delta for `param`, to be subtracted from it (`epoch` 0 when the caller
        gives none: a fully-connected-only starter's model calls update without one)."""


def clip_by_norm(grad: np.ndarray, max_norm: float) -> np.ndarray:
    """grad rescaled, if needed, so that its L2 norm is at most max_norm."""
    norm = np.linalg.norm(grad)
    return grad * (max_norm / norm) if norm > max_norm else grad


class SGD(Optimizer):
    """v ← μ·v + g,  delta = lr·v  (plain SGD for μ = 0).

    With clip_norm, g is first rescaled so that ‖g‖₂ ≤ clip_norm.
    """

    def __init__(
        self, lr: float, momentum: float = 0.0, clip_norm: float | None = None, **schedule
    ) -> None:
        super().__init__(lr, **schedule)
        self.momentum = momentum
        self.clip_norm = clip_norm

    def update(
        self, param_name: str, param: np.ndarray, grad: np.ndarray, epoch: int = 0
    ) -> np.ndarray:
        if self.clip_norm is not None:
            grad = clip_by_norm(grad, self.clip_norm)
        state = self.cache.setdefault(param_name, {"v": np.zeros_like(param)})
        state["v"] = self.momentum * state["v"] + grad
        return self.learning_rate(epoch) * state["v"]


class Adam(Optimizer):
    """m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,  delta = lr · m̂ / (sqrt(v̂) + ε),

    with the bias corrections m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ) at step t of this parameter.
    """

    def __init__(
        self, lr: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8, **schedule
    ) -> None:
        super().__init__(lr, **schedule)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps

    def update(
        self, param_name: str, param: np.ndarray, grad: np.ndarray, epoch: int = 0
    ) -> np.ndarray:
        state = self.cache.setdefault(
            param_name, {"m": np.zeros_like(param), "v": np.zeros_like(param), "t": 0}
        )
        state["t"] += 1
        state["m"] = self.beta1 * state["m"] + (1 - self.beta1) * grad
        state["v"] = self.beta2 * state["v"] + (1 - self.beta2) * grad**2
        m_hat = state["m"] / (1 - self.beta1 ** state["t"])
        v_hat = state["v"] / (1 - self.beta2 ** state["t"])
        return self.learning_rate(epoch) * m_hat / (np.sqrt(v_hat) + self.eps)


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adam": Adam}


def initialize_optimizer(name: str, lr: float, **kwargs) -> Optimizer:
    """The optimiser called `name` (sgd | adam) with learning rate `lr` and its own options."""
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[name](lr, **kwargs)
