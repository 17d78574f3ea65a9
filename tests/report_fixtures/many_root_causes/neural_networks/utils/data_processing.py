import numpy as np
import math


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
