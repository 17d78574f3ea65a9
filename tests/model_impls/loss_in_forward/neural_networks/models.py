"""Bug: the loss is computed in forward (with the previous batch's targets)."""
from student_nn.models import NeuralNetwork as _NeuralNetwork


class NeuralNetwork(_NeuralNetwork):
    def forward(self, X):
        out = super().forward(X)
        if getattr(self, "_target", None) is not None and self._target.shape == out.shape:
            self._loss = self.loss.forward(self._target, out)
        return out

    def backward(self, target, out):
        dY = self.loss.backward(target, out)
        for layer in reversed(self.layers):
            dY = layer.backward(dY)
        self._target = target
        loss = getattr(self, "_loss", None)
        return self.loss.forward(target, out) if loss is None else loss
