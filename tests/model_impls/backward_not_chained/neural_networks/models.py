"""Bug: every layer gets the loss's gradient as its dY."""
from student_nn.models import NeuralNetwork as _NeuralNetwork


class NeuralNetwork(_NeuralNetwork):
    def backward(self, target, out):
        dL = self.loss.backward(target, out)
        for layer in reversed(self.layers):
            layer.backward(dL)
        return self.loss.forward(target, out)
