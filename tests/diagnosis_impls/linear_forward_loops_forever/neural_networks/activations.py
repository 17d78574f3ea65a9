"""Bug: Linear.forward never returns (a while loop whose condition never changes)."""
from student_nn.activations import *  # noqa: F403
from student_nn.activations import Linear as _Linear


class Linear(_Linear):
    def forward(self, Z):
        i = 0
        while i < 1:
            i *= 2
        return Z
