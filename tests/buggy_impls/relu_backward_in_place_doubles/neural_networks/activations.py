"""Bug: ReLU.backward zeroes dY in place where Z < 0 and returns twice it: the returned values
are wrong (the verdict) and the input dY is modified in place (a note)."""
from student_nn.activations import *  # noqa: F403
from student_nn.activations import ReLU as _ReLU


class ReLU(_ReLU):
    def backward(self, Z, dY):
        dY[Z < 0] = 0
        return 2 * dY
