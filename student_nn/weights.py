"""Weight initialisers with PyTorch's fan rules (gain 1, as torch.nn.init's default).

A weight of shape (..., n_in, n_out) has a receptive field of prod(...) taps:
a matrix (n_in, n_out) has 1, a kernel (kh, kw, c_in, c_out) has kh·kw. Then

    fan_in = taps · n_in,   fan_out = taps · n_out.

    xavier_uniform  U(−a, a),  a = sqrt(6 / (fan_in + fan_out))
    xavier_normal   N(0, σ²),  σ = sqrt(2 / (fan_in + fan_out))
    he_uniform      U(−a, a),  a = sqrt(6 / fan_in)
    he_normal       N(0, σ²),  σ = sqrt(2 / fan_in)

Random numbers come from NumPy's global generator, which `NeuralNetwork(seed=...)` seeds.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Shape = tuple[int, ...]


def fans(shape: Shape) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight whose last two axes are (n_in, n_out)."""
    taps = int(np.prod(shape[:-2]))
    return taps * shape[-2], taps * shape[-1]


def xavier_uniform(shape: Shape) -> np.ndarray:
    fan_in, fan_out = fans(shape)
    a = np.sqrt(6.0 / (fan_in + fan_out))
    return np.random.uniform(-a, a, size=shape)


def xavier_normal(shape: Shape) -> np.ndarray:
    fan_in, fan_out = fans(shape)
    return np.random.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), size=shape)


def he_uniform(shape: Shape) -> np.ndarray:
    fan_in, _ = fans(shape)
    a = np.sqrt(6.0 / fan_in)
    return np.random.uniform(-a, a, size=shape)


def he_normal(shape: Shape) -> np.ndarray:
    fan_in, _ = fans(shape)
    return np.random.normal(0.0, np.sqrt(2.0 / fan_in), size=shape)


INITIALIZERS: dict[str, Callable[[Shape], np.ndarray]] = {
    "xavier_uniform": xavier_uniform,
    "xavier_normal": xavier_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
}


def initialize_weights(name: str, activation: str | None = None) -> Callable[[Shape], np.ndarray]:
    """The initialiser `f(shape) -> W` called `name`.

    `activation` is accepted for the contract's signature; the gain is 1 whatever it is.
    """
    if name not in INITIALIZERS:
        raise ValueError(f"unknown weight init {name!r}; choose one of {', '.join(INITIALIZERS)}")
    return INITIALIZERS[name]
