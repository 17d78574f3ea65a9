"""Bug: backward visits the layers in forward order."""
from student_nn.models import NeuralNetwork as _NeuralNetwork


class NeuralNetwork(_NeuralNetwork):
    def backward(self, target, out):
        dY = self.loss.backward(target, out)
        for layer in self.layers:
            dY = layer.backward(dY)
        return self.loss.forward(target, out)
