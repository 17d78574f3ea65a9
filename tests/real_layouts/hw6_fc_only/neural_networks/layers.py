"""Layers of the fully-connected-only starter: FullyConnected only."""

import numpy as np
from abc import ABC, abstractmethod
from collections import OrderedDict

from neural_networks.activations import initialize_activation
from neural_networks.weights import initialize_weights


class Layer(ABC):
    def __init__(self):
        self.activation = None
        self.n_in = None
        self.n_out = None
        self.parameters = {}
        self.cache = {}
        self.gradients = {}

    @abstractmethod
    def forward(self, z):
        pass

    def clear_gradients(self):
        self.cache = OrderedDict()
        self.gradients = OrderedDict((k, np.zeros_like(v)) for k, v in self.gradients.items())


def initialize_layer(name, activation, weight_init, n_out=None):
    if name == "fully_connected":
        return FullyConnected(n_out=n_out, activation=activation, weight_init=weight_init)
    raise NotImplementedError("Layer type {} is not implemented".format(name))


class FullyConnected(Layer):
    def __init__(self, n_out, activation, weight_init="xavier_uniform"):
        super().__init__()
        self.n_out = n_out
        self.activation = initialize_activation(activation)
        self.init_weights = initialize_weights(weight_init, activation=activation)

    def _init_parameters(self, X_shape):
        self.n_in = X_shape[1]
        W = self.init_weights((self.n_in, self.n_out))
        b = np.zeros((1, self.n_out))
        self.parameters = OrderedDict({"W": W, "b": b})
        self.cache = OrderedDict({"Z": [], "X": []})
        self.gradients = OrderedDict({"W": np.zeros_like(W), "b": np.zeros_like(b)})

    def forward(self, X):
        if self.n_in is None:
            self._init_parameters(X.shape)
        Z = X @ self.parameters["W"] + self.parameters["b"]
        self.cache["X"], self.cache["Z"] = X, Z
        return self.activation(Z)

    def backward(self, dLdY):
        X, Z = self.cache["X"], self.cache["Z"]
        dZ = self.activation.backward(Z, dLdY)
        self.gradients["W"] = X.T @ dZ
        self.gradients["b"] = np.sum(dZ, axis=0)
        return dZ @ self.parameters["W"].T
