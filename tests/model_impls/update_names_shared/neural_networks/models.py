"""Bug: the optimizer's state is keyed by "W"/"b" only, shared by every layer."""
from student_nn.models import NeuralNetwork as _NeuralNetwork


class NeuralNetwork(_NeuralNetwork):
    def update(self, epoch):
        for layer in self.layers:
            for name, param in layer.parameters.items():
                delta = self.optimizer.update(name, param, layer.gradients[name], epoch)
                layer.parameters[name] = param - delta
            layer.clear_gradients()
