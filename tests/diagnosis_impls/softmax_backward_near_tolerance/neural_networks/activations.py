"""SoftMax.backward adds 1.2e-9·sign(dY): just past the tolerance on small gradients only,
so about one case in ten fails, whatever its batch size or the inputs' magnitude. Changing
one factor also draws new data, and new data alone passes: no factor may be named."""
import numpy as np

from student_nn.activations import *  # noqa: F403
from student_nn.activations import SoftMax as _SoftMax


class SoftMax(_SoftMax):
    def backward(self, Z, dY):
        return super().backward(Z, dY) + 1.2e-9 * np.sign(dY)
