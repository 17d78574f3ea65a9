import numpy as np
import math
from numpy.linalg import norm
from typing import Callable


class AttrDict(dict):
    """A dict whose keys are also attributes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.__dict__ = self


def integers_to_one_hot(integer_vector, max_val=None):
    integer_vector = np.squeeze(integer_vector).astype(int)
    if max_val is None:
        max_val = int(np.max(integer_vector))
    one_hot = np.zeros((integer_vector.shape[0], max_val + 1))
    one_hot[np.arange(integer_vector.shape[0]), integer_vector] = 1.0
    return one_hot


def center(X, axis=0):
    return X - np.mean(X, axis=axis)


def normalize(X, axis=0, max_val=None):
    X = X - np.min(X, axis=axis)
    return X / (np.max(X, axis=axis) if max_val is None else max_val)


def standardize(X, axis=0):
    return (X - np.mean(X, axis=axis)) / (np.std(X, axis=axis) + 1e-10)


def train_val_split(n, val_fraction=0.1, seed=0):
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    n_val = int(math.floor(n * val_fraction))
    return order[n_val:], order[:n_val]


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
