"""PyTorch twins of the contract's optimisers: ``update(param_name, param, grad, epoch) -> delta``.

Each parameter name gets its own float64 torch tensor and its own `torch.optim` optimiser
(state is per parameter, as the contract's per-name cache). One update sets the tensor to
zero, hands it `grad` as its ``.grad``, takes one ``step()`` and returns minus the result: the
step torch applied, exactly (0 − x is exact, so no cancellation against the parameter's value
is involved). Neither SGD nor Adam without weight decay reads the parameter's value, so the
delta does not depend on `param`; the caller does ``param −= delta``.

    sgd    torch.optim.SGD(lr, momentum, dampening=0, nesterov=False):
           buf ← μ·buf + g (buf = g at the first step),  delta = lr·buf
    adam   torch.optim.Adam(lr, betas=(beta1, beta2), eps):
           delta = lr · m̂ / (sqrt(v̂) + eps), with bias corrections at the parameter's step t

``clip_norm`` (the starter's option) rescales g first, per parameter, so that ‖g‖₂ ≤ clip_norm
(computed with torch, ``g · clip_norm / ‖g‖`` exactly; `torch.nn.utils.clip_grad_norm_` adds
1e-6 to the norm and would not be the contract's formula). The learning rate at an epoch is
``lr`` for lr_scheduler="constant" and ``lr · lr_decay^(epoch / stage_length)`` (the exponent
floored with ``staircase``) for "exponential", set on the optimiser before its step.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from reference._autograd import leaf


class Optimizer:
    """Per-name torch optimisers behind the contract's `update`."""

    def __init__(self, lr: float, lr_scheduler: str | None = "constant",
                 lr_decay: float | None = 0.99, stage_length: int | None = 1000,
                 staircase: bool | None = True, clip_norm: float | None = None) -> None:
        if (lr_scheduler or "constant") not in ("constant", "exponential"):
            raise ValueError(f"unknown lr_scheduler {lr_scheduler!r}; use constant | exponential")
        self.lr = float(lr)
        self.lr_scheduler = lr_scheduler or "constant"
        self.lr_decay = 0.99 if lr_decay is None else float(lr_decay)
        self.stage_length = 1000 if stage_length is None else int(stage_length)
        self.staircase = True if staircase is None else bool(staircase)
        self.clip_norm = clip_norm
        self.params: dict[str, torch.Tensor] = {}
        self.optims: dict[str, torch.optim.Optimizer] = {}

    def learning_rate(self, epoch: int) -> float:
        if self.lr_scheduler == "constant":
            return self.lr
        stage = epoch / self.stage_length
        return self.lr * self.lr_decay ** (math.floor(stage) if self.staircase else stage)

    def _make(self, p: torch.Tensor) -> torch.optim.Optimizer:
        raise NotImplementedError

    def update(self, param_name: str, param: np.ndarray, grad: np.ndarray,
               epoch: int) -> np.ndarray:
        """The step for `param` (to be subtracted from it), from torch.optim."""
        if param_name not in self.params:
            self.params[param_name] = leaf(np.zeros(np.shape(param)), requires_grad=True)
            self.optims[param_name] = self._make(self.params[param_name])
        p, opt = self.params[param_name], self.optims[param_name]
        g = leaf(grad, requires_grad=False).reshape(p.shape)
        if self.clip_norm is not None:
            norm = torch.linalg.vector_norm(g)
            if norm > self.clip_norm:
                g = g * (self.clip_norm / norm)
        for group in opt.param_groups:
            group["lr"] = self.learning_rate(epoch)
        with torch.no_grad():
            p.zero_()
        p.grad = g.clone()
        opt.step()
        return (-p.detach()).numpy().copy()


class SGD(Optimizer):
    def __init__(self, lr: float, momentum: float | None = 0.0, **options: Any) -> None:
        super().__init__(lr, **options)
        self.momentum = float(momentum or 0.0)

    def _make(self, p: torch.Tensor) -> torch.optim.Optimizer:
        return torch.optim.SGD([p], lr=self.lr, momentum=self.momentum, dampening=0.0,
                               nesterov=False, foreach=False)


class Adam(Optimizer):
    def __init__(self, lr: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
                 **options: Any) -> None:
        super().__init__(lr, **options)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)

    def _make(self, p: torch.Tensor) -> torch.optim.Optimizer:
        return torch.optim.Adam([p], lr=self.lr, betas=(self.beta1, self.beta2), eps=self.eps,
                                foreach=False)


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adam": Adam}


def initialize_optimizer(name: str, lr: float, **kwargs: Any) -> Optimizer:
    """The optimiser called `name` (sgd | adam; any capitalisation) with its options."""
    key = str(name).lower()
    if key not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[key](lr, **kwargs)
