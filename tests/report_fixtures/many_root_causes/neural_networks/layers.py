"""
Layers (2021-2023 starter layout: FullyConnected, Conv2D, Pool2D, Flatten).
"""

import numpy as np
from abc import ABC, abstractmethod

from .activations import initialize_activation
from .weights import initialize_weights
from collections import OrderedDict
from .utils.convolution import *

from typing import Callable, List, Literal, Tuple, Union


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
        """Call the `forward` method but with `param_name` as the variable with
        value `param_val`, and keep `X` fixed.
        """

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


def initialize_layer(
    name: str,
    activation: str = None,
    weight_init: str = None,
    n_out: int = None,
    kernel_shape: Tuple[int, int] = None,
    stride: int = None,
    pad: int = None,
    mode: str = None,
    keep_dim: str = "first",
) -> Layer:
    """Factory function for layers."""
    if name == "fully_connected":
        return FullyConnected(n_out=n_out, activation=activation, weight_init=weight_init)
    elif name == "conv2d":
        return Conv2D(n_out=n_out, activation=activation, kernel_shape=kernel_shape,
                      stride=stride, pad=pad, weight_init=weight_init)
    elif name == "pool2d":
        return Pool2D(kernel_shape=kernel_shape, mode=mode, stride=stride, pad=pad)
    elif name == "flatten":
        return Flatten(keep_dim=keep_dim)
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

    def _init_parameters(self, X_shape: Tuple[int, int]) -> None:
        """Initialize all layer parameters (weights, biases)."""
        self.n_in = X_shape[1]

        ### BEGIN YOUR CODE ###

        W = self.init_weights((self.n_in, self.n_out))
        b = np.zeros((1, self.n_out))

        self.parameters = OrderedDict({"W": W, "b": b})
        self.cache: OrderedDict = OrderedDict({"X": [], "Z": []})  # cache for backprop
        self.gradients: OrderedDict = OrderedDict({"W": np.zeros_like(W), "b": np.zeros_like(b)})

        ### END YOUR CODE ###

    def forward(self, X: np.ndarray) -> np.ndarray:
        # initialize layer parameters if they have not been initialized
        if self.n_in is None:
            self._init_parameters(X.shape)

        ### BEGIN YOUR CODE ###

        Z = np.matmul(X, self.parameters["W"]) + self.parameters["b"]
        self.cache["X"], self.cache["Z"] = X, Z
        out = self.activation(Z)

        ### END YOUR CODE ###

        return out

    def backward(self, dLdY: np.ndarray) -> np.ndarray:
        ### BEGIN YOUR CODE ###

        X, Z = self.cache["X"], self.cache["Z"]
        dLdZ = self.activation.backward(Z, dLdY)
        self.gradients["W"] = np.matmul(X.T, dLdZ)
        self.gradients["b"] = np.ones(len(dLdZ)) @ dLdZ
        dX = np.matmul(dLdZ, self.parameters["W"].T)

        ### END YOUR CODE ###

        return dX


class Conv2D(Layer):
    """Convolutional layer for inputs with 2 spatial dimensions."""

    def __init__(
        self,
        n_out: int,
        kernel_shape: Tuple[int, int],
        activation: str,
        stride: int = 1,
        pad: str = "same",
        weight_init: str = "xavier_uniform",
    ) -> None:

        super().__init__()
        self.n_in = None
        self.n_out = n_out
        self.kernel_shape = kernel_shape
        self.stride = stride
        self.pad = pad

        self.activation = initialize_activation(activation)
        self.init_weights = initialize_weights(weight_init, activation=activation)

    def _init_parameters(self, X_shape: Tuple[int, int, int, int]) -> None:
        """Initialize all layer parameters and determine padding."""
        self.n_in = X_shape[3]

        W_shape = self.kernel_shape + (self.n_in,) + (self.n_out,)
        W = self.init_weights(W_shape)
        b = np.zeros((1, self.n_out))

        self.parameters = OrderedDict({"W": W, "b": b})
        self.cache = OrderedDict({"Z": [], "X": []})
        self.gradients = OrderedDict({"W": np.zeros_like(W), "b": np.zeros_like(b)})

        if self.pad == "same":
            self.pad = ((W_shape[0] - 1) // 2, (W_shape[1] - 1) // 2)
        elif self.pad == "valid":
            self.pad = (0, 0)
        elif isinstance(self.pad, int):
            self.pad = (self.pad, self.pad)
        else:
            raise ValueError("Invalid Pad mode found in self.pad.")

    def forward(self, X: np.ndarray) -> np.ndarray:
        if self.n_in is None:
            self._init_parameters(X.shape)

        W = self.parameters["W"]
        b = self.parameters["b"]

        kernel_height, kernel_width, in_channels, out_channels = W.shape
        n_examples, in_rows, in_cols, in_channels = X.shape
        kernel_shape = (kernel_height, kernel_width)

        ### BEGIN YOUR CODE ###

        pad_h, pad_w = self.pad
        out_rows = int((in_rows + 2 * pad_h - kernel_height) / self.stride) + 1
        out_cols = int((in_cols + 2 * pad_w - kernel_width) / self.stride) + 1
        X_pad = np.pad(X, ((0, 0), (pad_h, pad_h), (pad_w, pad_w), (0, 0)))
        print("conv", out_rows, out_cols)

        Z = np.empty((n_examples, out_rows, out_cols, out_channels))
        for r in range(out_rows):
            for c in range(out_cols):
                window = X_pad[:, r * self.stride:r * self.stride + kernel_height,
                               c * self.stride:c * self.stride + kernel_width, :]
                for f in range(out_channels):
                    Z[:, r, c, f] = np.sum(window * W[:, :, :, f], axis=(1, 2, 3)) + b[0, f]

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
        n_examples, in_rows, in_cols, in_channels = X.shape

        pad_h, pad_w = self.pad
        X_pad = np.pad(X, ((0, 0), (pad_h, pad_h), (pad_w, pad_w), (0, 0)))
        dZ = dLdY

        dX_pad = np.zeros(X_pad.shape)
        dW = np.zeros(W.shape)
        for i in range(dZ.shape[1]):
            for j in range(dZ.shape[2]):
                h, w = i * self.stride, j * self.stride
                g = dZ[:, i, j, :][:, np.newaxis, np.newaxis, np.newaxis, :]
                patch = X_pad[:, h:h + kernel_height, w:w + kernel_width, :, np.newaxis]
                dW += np.sum(patch * g, axis=0)
                dX_pad[:, h:h + kernel_height, w:w + kernel_width, :] += np.sum(W * g, axis=4)

        self.gradients["W"] = dW
        self.gradients["b"] = np.sum(dZ, axis=(0, 1, 2)).reshape(1, -1)

        dX = dX_pad[:, pad_h:-pad_h, pad_w:-pad_w, :]

        ### END YOUR CODE ###

        return dX


class Pool2D(Layer):
    """Pooling layer, implements max and average pooling."""

    def __init__(
        self,
        kernel_shape: Tuple[int, int],
        mode: str = "max",
        stride: int = 1,
        pad: Union[int, Literal["same"], Literal["valid"]] = 0,
    ) -> None:

        if type(kernel_shape) == int:
            kernel_shape = (kernel_shape, kernel_shape)

        self.kernel_shape = kernel_shape
        self.stride = stride

        if pad == "same":
            self.pad = ((kernel_shape[0] - 1) // 2, (kernel_shape[1] - 1) // 2)
        elif pad == "valid":
            self.pad = (0, 0)
        elif isinstance(pad, int):
            self.pad = (pad, pad)
        else:
            raise ValueError("Invalid Pad mode found in self.pad.")

        self.mode = mode

        if mode == "max":
            self.pool_fn = np.max
            self.arg_pool_fn = np.argmax
        elif mode == "average":
            self.pool_fn = np.mean

        self.cache = {
            "out_rows": [],
            "out_cols": [],
            "X_pad": [],
            "p": [],
            "pool_shape": [],
        }
        self.parameters = {}
        self.gradients = {}

    def forward(self, X: np.ndarray) -> np.ndarray:
        ### BEGIN YOUR CODE ###

        kernel_height, kernel_width = self.kernel_shape
        pad_h, pad_w = self.pad
        fill = -np.inf if self.mode == "max" else 0.0
        X_pad = np.pad(X, ((0, 0), (pad_h, pad_h), (pad_w, pad_w), (0, 0)),
                       constant_values=fill)
        out_rows = (X_pad.shape[1] - kernel_height) // self.stride + 1
        out_cols = (X_pad.shape[2] - kernel_width) // self.stride + 1

        X_pool = np.zeros((X.shape[0], out_rows, out_cols, X.shape[3]))
        for i in range(out_rows):
            for j in range(out_cols):
                h, w = i * self.stride, j * self.stride
                X_pool[:, i, j, :] = self.pool_fn(
                    X_pad[:, h:h + kernel_height, w:w + kernel_width, :], axis=(1, 2))

        self.cache["X_pad"] = X_pad

        ### END YOUR CODE ###

        return X_pool

    def backward(self, dLdY: np.ndarray) -> np.ndarray:
        """Backward pass for pooling layer.

        Parameters
        ----------
        dLdY  gradient of loss with respect to the output of this layer
              shape (batch_size, out_rows, out_cols, channels)

        Returns
        -------
        gradient of loss with respect to the input of this layer
        shape (batch_size, in_rows, in_cols, channels)
        """
        ### BEGIN YOUR CODE ###

        X_pad = self.cache["X_pad"]
        pad_h, pad_w = self.pad
        dX_pad = np.zeros(X_pad.shape)
        for i in range(dLdY.shape[1]):
            for j in range(dLdY.shape[2]):
                h, w = i * self.stride, j * self.stride
                window = X_pad[:, h:h + kernel_height, w:w + kernel_width, :]
                if self.mode == "max":
                    mask = window == window.max(axis=(1, 2), keepdims=True)
                    share = mask / mask.sum(axis=(1, 2), keepdims=True)
                else:
                    share = np.full(window.shape, 1 / (kernel_height * kernel_width))
                dX_pad[:, h:h + kernel_height, w:w + kernel_width, :] += (
                    share * dLdY[:, i:i + 1, j:j + 1, :])
        dX = dX_pad[:, pad_h:X_pad.shape[1] - pad_h, pad_w:X_pad.shape[2] - pad_w, :]

        ### END YOUR CODE ###

        return dX


class Flatten(Layer):
    """Flatten the input array."""

    def __init__(self, keep_dim: str = "first") -> None:
        super().__init__()

        self.keep_dim = keep_dim
        self._init_params()

    def _init_params(self):
        self.X = []
        self.gradients = {}
        self.parameters = {}
        self.cache = {"in_dims": []}

    def forward(self, X: np.ndarray, retain_derived: bool = True) -> np.ndarray:
        self.cache["in_dims"] = X.shape

        if self.keep_dim == -1:
            return X.flatten().reshape(1, -1)

        rs = (X.shape[0], -1) if self.keep_dim == "first" else (-1, X.shape[-1])
        return X.reshape(*rs)

    def backward(self, dLdY: np.ndarray) -> np.ndarray:
        in_dims = self.cache["in_dims"]
        dX = dLdY.reshape(in_dims)
        return dX
