"""The network of the fully-connected-only starter: update() takes no epoch."""

import numpy as np

from neural_networks.layers import initialize_layer
from neural_networks.losses import initialize_loss
from neural_networks.optimizers import initialize_optimizer


class NeuralNetwork:
    def __init__(self, loss, layer_args, optimizer_args, logger=None, seed=None):
        if seed is not None:
            np.random.seed(seed)
        self.n_layers = len(layer_args)
        self.layer_args = layer_args
        self.logger = logger
        self.loss = initialize_loss(loss)
        self.optimizer = initialize_optimizer(**optimizer_args)
        self.layers = [initialize_layer(**args) for args in layer_args]

    def forward(self, X):
        for layer in self.layers:
            X = layer.forward(X)
        return X

    def backward(self, target, out):
        loss = self.loss.forward(target, out)
        dY = self.loss.backward(target, out)
        for layer in reversed(self.layers):
            dY = layer.backward(dY)
        return loss

    def update(self):
        for i, layer in enumerate(self.layers):
            for name, param in layer.parameters.items():
                delta = self.optimizer.update(name + str(i), param, layer.gradients[name])
                layer.parameters[name] = param - delta
            layer.clear_gradients()

    def predict(self, X, Y):
        Y_hat = self.forward(X)
        return Y_hat, self.loss.forward(Y, Y_hat)
