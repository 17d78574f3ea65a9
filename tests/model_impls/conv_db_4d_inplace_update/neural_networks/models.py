"""A NeuralNetwork that updates in place, as the starter's update does (param -= delta)."""
from neural_networks.layers import initialize_layer

from student_nn.models import NeuralNetwork as _NeuralNetwork


class NeuralNetwork(_NeuralNetwork):
    def __init__(self, loss, layer_args, optimizer_args, logger=None, seed=None):
        super().__init__(loss, layer_args, optimizer_args, logger, seed)
        self.layers = [initialize_layer(**args) for args in layer_args]

    def update(self, epoch):
        for i, layer in enumerate(self.layers):
            for name, param in layer.parameters.items():
                param -= self.optimizer.update(f"{name}{i}", param, layer.gradients[name], epoch)
            layer.clear_gradients()
