"""The bundled layers, with activations from this package (where SoftMax is broken), so
FullyConnected fails too, but only with act=softmax."""
from student_nn.layers import *  # noqa: F403
from student_nn.layers import FullyConnected as _FullyConnected

from . import activations


class FullyConnected(_FullyConnected):
    def __init__(self, n_out, activation, weight_init="xavier_uniform"):
        super().__init__(n_out, activation, weight_init)
        self.activation = activations.initialize_activation(activation)
