"""Bug: backward calls loss.backward(out, target) and loss.forward(out, target)."""
from student_nn.models import NeuralNetwork as _NeuralNetwork


class NeuralNetwork(_NeuralNetwork):
    def backward(self, target, out):
        dY = self.loss.backward(out, target)
        for layer in reversed(self.layers):
            dY = layer.backward(dY)
        return self.loss.forward(out, target)
