"""A correct NeuralNetwork (student_nn's) whose layers come from this package's layers.py."""
from neural_networks.layers import initialize_layer

from student_nn.models import NeuralNetwork as _NeuralNetwork


class NeuralNetwork(_NeuralNetwork):
    def __init__(self, loss, layer_args, optimizer_args, logger=None, seed=None):
        super().__init__(loss, layer_args, optimizer_args, logger, seed)
        self.layers = [initialize_layer(**args) for args in layer_args]
