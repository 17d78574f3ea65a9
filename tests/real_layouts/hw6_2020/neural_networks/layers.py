"""
Layers (Spring 2020 starter layout: FullyConnected, Elman, Conv2D; no Pool2D, no Flatten).
"""

import numpy as np
from abc import ABC, abstractmethod
import time, copy

from neural_networks.activations import initialize_activation
from neural_networks.weights import initialize_weights
from neural_networks.utils.convolution import im2col, col2im, pad2d

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
        """Call `forward` with `param_name` set to the argument, `X` fixed."""

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
    """A fully-connected layer multiplies its input by a weight matrix, adds
    a bias, and then applies an activation function.
    """

    def __init__(self, n_out: int, activation: str, weight_init="xavier_uniform") -> None:
        super().__init__()
        self.n_in = None
        self.n_out = n_out
        self.activation = initialize_activation(activation)

        # instantiate the weight initializer
        self.init_weights = initialize_weights(weight_init, activation=activation)

    def _init_parameters(self, X_shape: Tuple[int]) -> None:
        """Initialize all layer parameters (weights, biases)."""
        self.n_in = X_shape[1]

        ### BEGIN YOUR CODE ###

        W = self.init_weights((self.n_in, self.n_out))
        b = np.zeros((1, self.n_out))
        print("initialized FullyConnected:", W.shape, b.shape)

        self.parameters = OrderedDict({"W": W, "b": b})
        self.cache: OrderedDict = OrderedDict({"X": None, "Z": None})
        self.gradients: OrderedDict = OrderedDict({"W": np.zeros_like(W),
                                                   "b": np.zeros_like(b)})

        ### END YOUR CODE ###

    def forward(self, X: np.ndarray) -> np.ndarray:
        # initialize layer parameters if they have not been initialized
        if self.n_in is None:
            self._init_parameters(X.shape)

        ### BEGIN YOUR CODE ###

        Z = X @ self.parameters["W"] + self.parameters["b"]
        out = self.activation(Z)

        self.cache["X"] = X
        self.cache["Z"] = Z

        ### END YOUR CODE ###

        return out

    def backward(self, dLdY: np.ndarray) -> np.ndarray:
        ### BEGIN YOUR CODE ###

        X, Z = self.cache["X"], self.cache["Z"]
        dZ = self.activation.backward(Z, dLdY)

        self.gradients["W"] = X.T @ dZ
        self.gradients["b"] = np.sum(dZ, axis=0)
        dX = dZ @ self.parameters["W"].T

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
        """Initialize all layer parameters."""
        self.n_in = X_shape[1]

        ### BEGIN YOUR CODE ###

        W = self.init_weights((self.n_in, self.n_out))
        U = self.init_weights((self.n_out, self.n_out))
        b = np.zeros((1, self.n_out))

        self.parameters: OrderedDict = OrderedDict({"W": W, "U": U, "b": b})
        self.gradients: OrderedDict = OrderedDict(
            {k: np.zeros_like(v) for k, v in self.parameters.items()})

        ### END YOUR CODE ###

    def _init_cache(self, X_shape: Tuple[int]) -> None:
        """The hidden states start at zero."""
        ### BEGIN YOUR CODE ###

        s0 = np.zeros((X_shape[0], self.n_out))
        self.cache = OrderedDict({"s": [s0], "Z": [], "X": []})

        ### END YOUR CODE ###

    def forward_step(self, X: np.ndarray) -> np.ndarray:
        ### BEGIN YOUR CODE ###

        W, U, b = self.parameters["W"], self.parameters["U"], self.parameters["b"]
        Z = X @ W + self.cache["s"][-1] @ U + b
        out = self.activation(Z)

        self.cache["X"].append(X)
        self.cache["Z"].append(Z)
        self.cache["s"].append(out)

        ### END YOUR CODE ###

        return out

    def forward(self, X: np.ndarray) -> np.ndarray:
        """X: (batch_size, input_dim, t); returns the last hidden state."""
        if self.n_in is None:
            self._init_parameters(X.shape[:2])

        self._init_cache(X.shape)

        ### BEGIN YOUR CODE ###
        Y = []
        for t in range(X.shape[2]):
            Y.append(self.forward_step(X[:, :, t]))

        ### END YOUR CODE ###

        return Y[-1]

    def backward(self, dLdY: np.ndarray) -> List[np.ndarray]:
        """Backpropagation through time; the gradient w.r.t. the input of every step."""
        ### BEGIN YOUR CODE ###

        W, U = self.parameters["W"], self.parameters["U"]
        dW, dU = np.zeros_like(W), np.zeros_like(U)
        db = np.zeros_like(self.parameters["b"])

        dLdX = []
        ds = dLdY
        for t in reversed(range(len(self.cache["Z"]))):
            dZ = self.activation.backward(self.cache["Z"][t], ds)
            dW += self.cache["X"][t].T @ dZ
            dU += self.cache["s"][t].T @ dZ
            db += np.sum(dZ, axis=0, keepdims=True)
            dLdX.insert(0, dZ @ W.T)
            ds = dZ @ U.T

        self.gradients = OrderedDict({"W": dW, "U": dU, "b": db})

        ### END YOUR CODE ###

        return dLdX


class Conv2D(Layer):
    """Convolutional layer for inputs with 2 spatial dimensions."""

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
        """Initialize all layer parameters."""
        ### BEGIN YOUR CODE ###

        self.n_in = X_shape[3]
        W = self.init_weights((self.kernel_shape[0], self.kernel_shape[1], self.n_in, self.n_out))
        b = np.zeros((1, self.n_out))

        self.parameters: OrderedDict = OrderedDict({"W": W, "b": b})
        self.cache: OrderedDict = OrderedDict({"X": None, "Z": None})
        self.gradients: OrderedDict = OrderedDict({"W": np.zeros_like(W),
                                                   "b": np.zeros_like(b)})

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

        X_pad, p = pad2d(X, self.pad, kernel_shape, self.stride)
        out_rows = (in_rows + p[0] + p[1] - kernel_height) // self.stride + 1
        out_cols = (in_cols + p[2] + p[3] - kernel_width) // self.stride + 1
        print("Conv2D.forward", X.shape, "->", (n_examples, out_rows, out_cols, out_channels))

        Z = np.zeros((n_examples, out_rows, out_cols, out_channels))
        for r in range(out_rows):
            for c in range(out_cols):
                r0, c0 = r * self.stride, c * self.stride
                window = X_pad[:, r0:r0 + kernel_height, c0:c0 + kernel_width, :]
                for k in range(out_channels):
                    Z[:, r, c, k] = np.sum(window * W[:, :, :, k], axis=(1, 2, 3)) + b[0, k]

        out = self.activation(Z)
        self.cache["X"] = X
        self.cache["Z"] = Z

        ### END YOUR CODE ###

        return out

    def backward(self, dLdY: np.ndarray) -> np.ndarray:
        ### BEGIN YOUR CODE ###

        W = self.parameters["W"]
        X, Z = self.cache["X"], self.cache["Z"]
        kernel_height, kernel_width, in_channels, out_channels = W.shape
        kernel_shape = (kernel_height, kernel_width)

        X_pad, p = pad2d(X, self.pad, kernel_shape, self.stride)
        dZ = self.activation.backward(Z, dLdY)

        dX_pad = np.zeros_like(X_pad)
        dW = np.zeros_like(W)
        for r in range(dZ.shape[1]):
            for c in range(dZ.shape[2]):
                r0, c0 = r * self.stride, c * self.stride
                window = X_pad[:, r0:r0 + kernel_height, c0:c0 + kernel_width, :]
                for k in range(out_channels):
                    g = dZ[:, r, c, k][:, None, None, None]
                    dW[:, :, :, k] += np.sum(window * g, axis=0)
                    dX_pad[:, r0:r0 + kernel_height, c0:c0 + kernel_width, :] += W[:, :, :, k] * g

        self.gradients["W"] = dW
        self.gradients["b"] = np.sum(dZ, axis=(0, 1, 2)).reshape(1, -1)

        # strip the padding
        dX = dX_pad[:, p[0]:-p[1], p[2]:-p[3], :]

        ### END YOUR CODE ###

        return dX

    def forward_faster(self, X: np.ndarray) -> np.ndarray:
        """The starter's im2col forward pass. DO NOT ALTER THIS METHOD."""
        if self.n_in is None:
            self._init_parameters(X.shape)

        W = self.parameters["W"]
        b = self.parameters["b"]

        kernel_height, kernel_width, in_channels, out_channels = W.shape
        n_examples, in_rows, in_cols, in_channels = X.shape
        kernel_shape = (kernel_height, kernel_width)

        X_col, p = im2col(X, kernel_shape, self.stride, self.pad)

        out_rows = (in_rows + p[0] + p[1] - kernel_height) // self.stride + 1
        out_cols = (in_cols + p[2] + p[3] - kernel_width) // self.stride + 1

        W_col = W.reshape(-1, out_channels).T
        Z = (W_col @ X_col).reshape(out_channels, out_rows, out_cols, n_examples)
        Z = Z.transpose(3, 1, 2, 0) + b
        out = self.activation(Z)

        self.cache["Z"] = Z
        self.cache["X"] = X

        return out

    def backward_faster(self, dLdY: np.ndarray) -> np.ndarray:
        """The starter's im2col backward pass. DO NOT ALTER THIS METHOD."""
        W = self.parameters["W"]
        Z = self.cache["Z"]
        X = self.cache["X"]

        kernel_height, kernel_width, in_channels, out_channels = W.shape
        kernel_shape = (kernel_height, kernel_width)

        dZ = self.activation.backward(Z, dLdY)
        dZ_col = dZ.transpose(3, 1, 2, 0).reshape(out_channels, -1)
        X_col, p = im2col(X, kernel_shape, self.stride, self.pad)

        self.gradients["W"] = (X_col @ dZ_col.T).reshape(W.shape)
        self.gradients["b"] = dZ_col.sum(axis=1).reshape(1, -1)

        dX_col = W.reshape(-1, out_channels) @ dZ_col
        return col2im(dX_col, X, W.shape, self.stride, p)
