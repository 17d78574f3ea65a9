"""PyTorch twins of the contract's losses: `forward(Y, Y_hat) -> L`, `backward(Y, Y_hat) -> dY_hat`.

Y (targets) and Y_hat (predictions) are float64 ndarrays of shape (batch, classes); L is a 0-d
float64 ndarray and dY_hat = ∂L/∂Y_hat by autograd, shaped like Y_hat.

L2's targets are (batch_size, 1) under the contract; over several columns its reduction is the
convention l2_reduction (`reference.conventions`), passed as ``conventions=`` like the layers':
"elements" (the default, PyTorch's mse_loss mean) or "batch" (sum over columns, mean over
the batch). CrossEntropy has no convention and ignores it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from reference._autograd import leaf, to_numpy, vjp
from reference.conventions import PYTORCH, Conventions


class Loss(ABC):
    """A scalar loss of targets and predictions, with its gradient w.r.t. the predictions."""

    default_name = "loss"

    def __init__(self, name: str | None = None, conventions: Conventions | None = None) -> None:
        self.name = name or self.default_name
        self.conventions = conventions or PYTORCH

    @abstractmethod
    def apply(self, y: Tensor, y_hat: Tensor) -> Tensor:
        """The torch loss, a 0-d tensor."""

    def __call__(self, Y: np.ndarray, Y_hat: np.ndarray) -> np.ndarray:
        return self.forward(Y, Y_hat)

    def forward(self, Y: np.ndarray, Y_hat: np.ndarray) -> np.ndarray:
        """The loss, a 0-d float64 ndarray."""
        return to_numpy(self.apply(leaf(Y, False), leaf(Y_hat, False)))

    def backward(self, Y: np.ndarray, Y_hat: np.ndarray) -> np.ndarray:
        """∂L/∂Y_hat, shaped like Y_hat."""
        y_hat = leaf(Y_hat)
        return vjp(self.apply(leaf(Y, False), y_hat), [y_hat], np.array(1.0))[0]


class CrossEntropy(Loss):
    """−(1/m)·Σ Y·log(Y_hat), m = Y.shape[0] (the batch); gradient −(1/m)·Y/Y_hat."""

    default_name = "cross_entropy"

    def apply(self, y: Tensor, y_hat: Tensor) -> Tensor:
        return -(y * torch.log(y_hat)).sum() / y.shape[0]


# l2_reduction -> the loss of (y, y_hat); the two agree on targets of one column.
L2_REDUCTIONS: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "elements": lambda y, y_hat: F.mse_loss(y_hat, y, reduction="mean"),
    "batch": lambda y, y_hat: F.mse_loss(y_hat, y, reduction="sum") / y.shape[0],
}


class L2(Loss):
    """Mean over all elements of (Y − Y_hat)², i.e. `mse_loss(reduction="mean")`, under
    l2_reduction="elements"; Σ(Y − Y_hat)² / batch under "batch"."""

    default_name = "l2"

    def apply(self, y: Tensor, y_hat: Tensor) -> Tensor:
        try:
            reduce = L2_REDUCTIONS[self.conventions.l2_reduction]
        except KeyError:
            raise ValueError(f"unknown l2_reduction convention "
                             f"{self.conventions.l2_reduction!r}") from None
        return reduce(y, y_hat)


LOSSES: dict[str, type[Loss]] = {"cross_entropy": CrossEntropy, "l2": L2}


def initialize_loss(name: str) -> Loss:
    """The loss called `name`: cross_entropy | l2."""
    try:
        return LOSSES[name](name)
    except KeyError:
        raise ValueError(f"unknown loss {name!r}; choose one of {list(LOSSES)}") from None
