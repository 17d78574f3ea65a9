"""Bug: backward returns 2 * loss."""
from student_nn.models import NeuralNetwork as _NeuralNetwork


class NeuralNetwork(_NeuralNetwork):
    def backward(self, target, out):
        return 2 * super().backward(target, out)
