"""Bug: TanH.backward is still the starter code's NotImplementedError."""
from student_nn.activations import *  # noqa: F403
from student_nn.activations import TanH as _TanH


class TanH(_TanH):
    def backward(self, Z, dY):
        raise NotImplementedError("TanH.backward")
