"""Bug: predict gets its loss from backward with the prediction and the target swapped."""
from student_nn.models import NeuralNetwork as _NeuralNetwork


class NeuralNetwork(_NeuralNetwork):
    def predict(self, X, Y):
        Y_hat = self.forward(X)
        loss = self.backward(Y_hat, Y)
        return Y_hat, loss
