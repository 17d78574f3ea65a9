"""Issue #21 point 3: NeuralNetwork.update raises, so everything after step 1 goes uncompared
unless judging counts it; forward is wrong from its second call on, and predict returns None.
Before the fix this earned 9 of 10 network points."""
from student_nn.models import NeuralNetwork as _NeuralNetwork


class NeuralNetwork(_NeuralNetwork):
    calls = 0

    def forward(self, X):
        self.calls += 1
        out = super().forward(X)
        return out if self.calls == 1 else out * 1.01

    def update(self, epoch):
        raise ValueError("the update is left for later")

    def predict(self, X, Y):
        return None
