"""Bug: gradients accumulate across steps (added to, never cleared)."""
from student_nn.models import NeuralNetwork as _NeuralNetwork


class NeuralNetwork(_NeuralNetwork):
    def backward(self, target, out):
        dY = self.loss.backward(target, out)
        for layer in reversed(self.layers):
            before = {k: v.copy() for k, v in layer.gradients.items()}
            dY = layer.backward(dY)
            for k in layer.gradients:
                layer.gradients[k] = layer.gradients[k] + before[k]
        return self.loss.forward(target, out)

    def update(self, epoch):
        for i, layer in enumerate(self.layers):
            for name, param in layer.parameters.items():
                delta = self.optimizer.update(f"{name}{i}", param, layer.gradients[name], epoch)
                layer.parameters[name] = param - delta
