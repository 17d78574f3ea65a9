"""
Layers (Spring 2020 starter layout: FullyConnected, Elman, Conv2D; no Pool2D, no Flatten).
This copy imports its siblings relatively and its package has no __init__.py.
"""

import numpy as np
from abc import ABC, abstractmethod

from .activations import initialize_activation
from .weights import initialize_weights
from .utils.convolution import im2col, col2im, pad2d

from collections import OrderedDict

from typing import Callable, List, Tuple


class Layer(ABC):
    """Abstract class defining the `Layer` interface."""

    def __init__(self):
        self.activation = None
        self.n_in = None
        self.n_out = None
        self.parameters = {}
        self.cache = {}
        self.gradients = {}
        super().__init__()

    @abstractmethod
    def forward(self, z: np.ndarray) -> np.ndarray:
        pass

    def clear_gradients(self) -> None:
        self.cache = OrderedDict({a: [] for a, b in self.cache.items()})
        self.gradients = OrderedDict({a: np.zeros_like(b) for a, b in self.gradients.items()})

    def forward_with_param(self, param_name: str, X: np.ndarray
                           ) -> Callable[[np.ndarray], np.ndarray]:
        def inner_forward(param_val: np.ndarray) -> np.ndarray:
            self.parameters[param_name] = param_val
            return self.forward(X)

        return inner_forward

    def _get_parameters(self) -> List[np.ndarray]:
        return [b for a, b in self.parameters.items()]

    def _get_cache(self) -> List[np.ndarray]:
        return [b for a, b in self.cache.items()]

    def _get_gradients(self) -> List[np.ndarray]:
        return [b for a, b in self.gradients.items()]


def initialize_layer(name: str, activation: str = None, weight_init: str = None,
                     n_out: int = None, kernel_shape: Tuple[int] = None, stride: int = None,
                     pad: int = None, mode: str = None, keep_dim: str = "first") -> Layer:
    """Factory function for layers."""
    if name == "fully_connected":
        return FullyConnected(n_out=n_out, activation=activation, weight_init=weight_init)
    elif name == "elman":
        return Elman(n_out=n_out, activation=activation, weight_init=weight_init)
    elif name == "conv2d":
        return Conv2D(n_out=n_out, activation=activation, kernel_shape=kernel_shape,
                      stride=stride, pad=pad, weight_init=weight_init)
    else:
        raise NotImplementedError("Layer type {} is not implemented".format(name))


class FullyConnected(Layer):
    def __init__(self, n_out: int, activation: str, weight_init="xavier_uniform") -> None:
        super().__init__()
        self.n_in = None
        self.n_out = n_out
        self.activation = initialize_activation(activation)
        self.init_weights = initialize_weights(weight_init, activation=activation)

    def _init_parameters(self, X_shape: Tuple[int]) -> None:
        self.n_in = X_shape[1]

        ### BEGIN YOUR CODE ###

        W = self.init_weights((self.n_in, self.n_out))
        b = np.zeros((1, self.n_out))

        self.parameters = OrderedDict({"W": W, "b": b})
        self.cache: OrderedDict = OrderedDict()
        self.gradients: OrderedDict = OrderedDict({"W": np.zeros(W.shape), "b": np.zeros(b.shape)})

        ### END YOUR CODE ###

    def forward(self, X: np.ndarray) -> np.ndarray:
        if self.n_in is None:
            self._init_parameters(X.shape)

        ### BEGIN YOUR CODE ###

        Z = np.dot(X, self.parameters["W"]) + self.parameters["b"]
        self.cache["X"] = X
        self.cache["Z"] = Z

        ### END YOUR CODE ###

        return self.activation(Z)

    def backward(self, dLdY: np.ndarray) -> np.ndarray:
        ### BEGIN YOUR CODE ###

        dZ = self.activation.backward(self.cache["Z"], dLdY)
        self.gradients["W"] = np.dot(self.cache["X"].T, dZ)
        self.gradients["b"] = np.dot(np.ones((1, dZ.shape[0])), dZ)
        dX = np.dot(dZ, self.parameters["W"].T)

        ### END YOUR CODE ###

        return dX


class Elman(Layer):
    """Elman recurrent layer: s_t+1 = f(X_t W + s_t U + b)."""

    def __init__(self, n_out: int, activation: str = "tanh",
                 weight_init: str = "xavier_uniform") -> None:
        super().__init__()
        self.n_in = None
        self.n_out = n_out
        self.activation = initialize_activation(activation)
        self.init_weights = initialize_weights(weight_init, activation=activation)

    def _init_parameters(self, X_shape: Tuple[int]) -> None:
        self.n_in = X_shape[1]
        W = self.init_weights((self.n_in, self.n_out))
        U = self.init_weights((self.n_out, self.n_out))
        b = np.zeros((1, self.n_out))
        self.parameters: OrderedDict = OrderedDict({"W": W, "U": U, "b": b})
        self.gradients: OrderedDict = OrderedDict(
            (k, np.zeros_like(v)) for k, v in self.parameters.items())

    def _init_cache(self, X_shape: Tuple[int]) -> None:
        self.cache = OrderedDict({"s": [np.zeros((X_shape[0], self.n_out))], "Z": [], "X": []})

    def forward_step(self, X: np.ndarray) -> np.ndarray:
        p = self.parameters
        Z = np.dot(X, p["W"]) + np.dot(self.cache["s"][-1], p["U"]) + p["b"]
        s = self.activation(Z)
        self.cache["X"].append(X)
        self.cache["Z"].append(Z)
        self.cache["s"].append(s)
        return s

    def forward(self, X: np.ndarray) -> np.ndarray:
        if self.n_in is None:
            self._init_parameters(X.shape[:2])
        self._init_cache(X.shape)
        Y = [self.forward_step(X[:, :, t]) for t in range(X.shape[2])]
        return Y[-1]

    def backward(self, dLdY: np.ndarray) -> List[np.ndarray]:
        p = self.parameters
        grads = OrderedDict((k, np.zeros_like(v)) for k, v in p.items())
        dLdX = []
        ds = dLdY
        for t in range(len(self.cache["Z"]) - 1, -1, -1):
            dZ = self.activation.backward(self.cache["Z"][t], ds)
            grads["W"] += np.dot(self.cache["X"][t].T, dZ)
            grads["U"] += np.dot(self.cache["s"][t].T, dZ)
            grads["b"] += dZ.sum(axis=0, keepdims=True)
            dLdX = [np.dot(dZ, p["W"].T)] + dLdX
            ds = np.dot(dZ, p["U"].T)
        self.gradients = grads
        return dLdX


class Conv2D(Layer):
    """Convolutional layer for inputs with 2 spatial dimensions (im2col for both passes)."""

    def __init__(self, n_out: int, kernel_shape: Tuple[int], activation: str, stride: int = 1,
                 pad: str = "same", weight_init: str = "xavier_uniform") -> None:
        super().__init__()
        self.n_in = None
        self.n_out = n_out
        self.kernel_shape = kernel_shape
        self.stride = stride
        self.pad = pad
        self.activation = initialize_activation(activation)
        self.init_weights = initialize_weights(weight_init, activation=activation)

    def _init_parameters(self, X_shape: Tuple[int]) -> None:
        ### BEGIN YOUR CODE ###

        self.n_in = X_shape[3]
        W = self.init_weights(tuple(self.kernel_shape) + (self.n_in, self.n_out))
        b = np.zeros((1, self.n_out))
        self.parameters: OrderedDict = OrderedDict({"W": W, "b": b})
        self.cache: OrderedDict = OrderedDict({"X": None, "Z": None})
        self.gradients: OrderedDict = OrderedDict({"W": np.zeros_like(W), "b": np.zeros_like(b)})

        ### END YOUR CODE ###

    def forward(self, X: np.ndarray) -> np.ndarray:
        if self.n_in is None:
            self._init_parameters(X.shape)

        W = self.parameters["W"]
        b = self.parameters["b"]

        kernel_height, kernel_width, in_channels, out_channels = W.shape
        n_examples, in_rows, in_cols, in_channels = X.shape
        kernel_shape = (kernel_height, kernel_width)

        ### BEGIN YOUR CODE ###

        X_col, p = im2col(X, kernel_shape, self.stride, self.pad)
        out_rows = (in_rows + p[0] + p[1] - kernel_height) // self.stride + 1
        out_cols = (in_cols + p[2] + p[3] - kernel_width) // self.stride + 1

        Z = np.dot(W.reshape(-1, out_channels).T, X_col)
        Z = Z.reshape(out_channels, out_rows, out_cols, n_examples).transpose(3, 1, 2, 0) + b

        self.cache["X"] = X
        self.cache["Z"] = Z

        ### END YOUR CODE ###

        return self.activation(Z)

    def backward(self, dLdY: np.ndarray) -> np.ndarray:
        ### BEGIN YOUR CODE ###

        W = self.parameters["W"]
        X, Z = self.cache["X"], self.cache["Z"]
        kernel_shape = W.shape[:2]
        out_channels = W.shape[3]

        dZ = self.activation.backward(Z, dLdY)
        dZ_col = dZ.transpose(3, 1, 2, 0).reshape(out_channels, -1)
        X_col, p = im2col(X, kernel_shape, self.stride, self.pad)

        self.gradients["W"] = np.dot(X_col, dZ_col.T).reshape(W.shape)
        self.gradients["b"] = dZ.sum(axis=(0, 1, 2)).reshape(1, out_channels)
        dX = col2im(np.dot(W.reshape(-1, out_channels), dZ_col), X, W.shape, self.stride, p)

        ### END YOUR CODE ###

        return dX
