"""Bug: SoftMax.forward adds 1e-9 to every probability "for safety" (the tolerance alone
would let it pass; a constant offset is judged as one)."""
from student_nn.activations import *  # noqa: F403
from student_nn.activations import SoftMax as _SoftMax


class SoftMax(_SoftMax):
    def forward(self, Z):
        return super().forward(Z) + 1e-9
