"""Not a bug under the homework profile: max pooling pads with 0 (np.pad's default) instead
of -inf. Strict (PyTorch) semantics reject it; the homework profile accepts it with a note."""
import student_nn.layers as _base
from student_nn.layers import *  # noqa: F403

_base.MAXPOOL_PAD_VALUE = 0.0
