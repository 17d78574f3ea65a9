"""Bug: ReLU.backward returns the mask and forgets the upstream dY (layers.py's Conv2D uses
it, and has bugs of its own)."""
from student_nn.activations import *  # noqa: F403
from student_nn.activations import ReLU as _ReLU


class ReLU(_ReLU):
    def backward(self, Z, dY):
        return (Z > 0) * 1.0


def initialize_activation(name):
    return {"linear": Linear, "sigmoid": Sigmoid, "tanh": TanH, "relu": ReLU,  # noqa: F405
            "softmax": SoftMax}[name]()  # noqa: F405
