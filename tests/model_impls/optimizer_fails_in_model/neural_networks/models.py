"""A correct NeuralNetwork whose optimizer comes from this package's optimizers.py."""
from neural_networks.optimizers import make_optimizer

from student_nn.models import NeuralNetwork as _NeuralNetwork


class NeuralNetwork(_NeuralNetwork):
    def __init__(self, loss, layer_args, optimizer_args, logger=None, seed=None):
        super().__init__(loss, layer_args, optimizer_args, logger, seed)
        self.optimizer = make_optimizer(**optimizer_args)
