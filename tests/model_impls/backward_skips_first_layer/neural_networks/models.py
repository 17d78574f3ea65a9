"""Bug: backward stops before layer 0 (range(n - 1, 0, -1))."""
from student_nn.models import NeuralNetwork as _NeuralNetwork


class NeuralNetwork(_NeuralNetwork):
    def backward(self, target, out):
        loss = self.loss.forward(target, out)
        dY = self.loss.backward(target, out)
        for i in range(len(self.layers) - 1, 0, -1):
            dY = self.layers[i].backward(dY)
        return loss
