import numpy as np
from numpy.linalg import norm
from typing import Callable


def check_gradients(fn: Callable[[np.ndarray], np.ndarray], grad: np.ndarray, x: np.ndarray,
                    dLdf: np.ndarray, h: float = 1e-6) -> float:
    """Relative difference between `grad` and a two-sided finite-difference gradient of
    sum(fn(x) * dLdf) with respect to x."""
    numgrad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        pos = fn(x).copy()
        x[ix] = old - h
        neg = fn(x).copy()
        x[ix] = old
        numgrad[ix] = np.sum((pos - neg) * dLdf) / (2 * h)
        it.iternext()
    return norm(numgrad - grad) / norm(numgrad + grad)
