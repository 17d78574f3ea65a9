"""layers.py without Conv2D."""
from student_nn.layers import Flatten, FullyConnected, Layer, Pool2D  # noqa: F401
