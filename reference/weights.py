"""PyTorch twins of the contract's weight initialisers (`torch.nn.init`) and their laws.

`initialize_weights(name)` returns ``f(shape) -> ndarray`` like the contract's, drawing with
`torch.nn.init` on a tensor in torch's layout and handing it back in the contract's layout:

    contract (n_in, n_out)           <->  torch (n_out, n_in)
    contract (kh, kw, c_in, c_out)   <->  torch (c_out, c_in, kh, kw)

torch's fans of the torch-layout tensor are then the contract's: fan_in = kh·kw·c_in,
fan_out = kh·kw·c_out (kh = kw = 1 for a matrix).

`law(name, shape)` is the distribution itself, which the initializer ops compare a
submission's draws with (`harness.diagnosis.init_stats`): the fans come from torch's own
`_calculate_fan_in_and_fan_out` on the torch-layout tensor and the gain from
`torch.nn.init.calculate_gain`, with torch's defaults (the contract's
``initialize_weights(name, activation=None)`` has gain 1 for Xavier and torch's
kaiming default, nonlinearity="leaky_relu" with a=0, i.e. gain √2, for He):

    xavier_uniform  U(−a, a)   a = gain·sqrt(6 / (fan_in + fan_out)),  gain 1
    xavier_normal   N(0, σ²)   σ = gain·sqrt(2 / (fan_in + fan_out)),  gain 1
    he_uniform      U(−a, a)   a = gain·sqrt(3 / fan_in),              gain √2
    he_normal       N(0, σ²)   σ = gain / sqrt(fan_in),                gain √2
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from reference.laws import Law  # noqa: F401 - the law torch.nn.init draws from

Shape = tuple[int, ...]

# name -> (torch.nn.init function, distribution family, torch's default gain arguments)
INITIALIZERS: dict[str, tuple[Callable[..., torch.Tensor], str]] = {
    "xavier_uniform": (torch.nn.init.xavier_uniform_, "uniform"),
    "xavier_normal": (torch.nn.init.xavier_normal_, "normal"),
    "he_uniform": (torch.nn.init.kaiming_uniform_, "uniform"),
    "he_normal": (torch.nn.init.kaiming_normal_, "normal"),
}


def torch_shape(shape: Shape) -> Shape:
    """The contract's (n_in, n_out) or (kh, kw, c_in, c_out) in torch's layout."""
    if len(shape) == 2:
        return (shape[1], shape[0])
    if len(shape) == 4:
        kh, kw, cin, cout = shape
        return (cout, cin, kh, kw)
    raise ValueError(f"a weight is a matrix (n_in, n_out) or a kernel (kh, kw, c_in, c_out), "
                     f"not shape {shape}")


def from_torch(w: torch.Tensor) -> np.ndarray:
    """A torch-layout weight back in the contract's layout, as a float64 ndarray copy."""
    perm = (1, 0) if w.dim() == 2 else (2, 3, 1, 0)
    return w.permute(*perm).detach().numpy().copy()


def law(name: str, shape: Shape) -> Law:
    """The law torch.nn.init's `name` draws a weight of contract shape `shape` from."""
    if name not in INITIALIZERS:
        raise ValueError(f"unknown weight init {name!r}; choose one of {list(INITIALIZERS)}")
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(
        torch.empty(torch_shape(tuple(shape)), dtype=torch.float64))
    family = INITIALIZERS[name][1]
    if name.startswith("xavier"):
        gain = 1.0
        scale = gain * math.sqrt((6.0 if family == "uniform" else 2.0) / (fan_in + fan_out))
    else:
        gain = torch.nn.init.calculate_gain("leaky_relu", 0)
        scale = gain * math.sqrt(3.0 / fan_in) if family == "uniform" \
            else gain / math.sqrt(fan_in)
    return Law(family, float(scale), int(fan_in), int(fan_out), float(gain))


def initialize_weights(name: str, activation: str | None = None,
                       generator: torch.Generator | None = None
                       ) -> Callable[[Shape], np.ndarray]:
    """f(shape) -> float64 weights of contract shape `shape`, drawn by torch.nn.init.

    `activation` is accepted for the contract's signature; the gain is torch's default
    whatever it is (see the module docstring). `generator` seeds the draws (default: seed 0).
    """
    if name not in INITIALIZERS:
        raise ValueError(f"unknown weight init {name!r}; choose one of {list(INITIALIZERS)}")
    init = INITIALIZERS[name][0]
    gen = generator if generator is not None else torch.Generator().manual_seed(0)

    def draw(shape: Shape) -> np.ndarray:
        w = torch.empty(torch_shape(tuple(shape)), dtype=torch.float64)
        return from_torch(init(w, generator=gen))

    return draw
