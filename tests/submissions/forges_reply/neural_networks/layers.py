"""FullyConnected._init_parameters creates W transposed, (n_out, n_in): hidden by a forged
reply (_forge.py) that claims (n_in, n_out) and sends no created parameter."""
from student_nn.layers import *  # noqa: F403
from student_nn.layers import FullyConnected as _FullyConnected

from ._forge import hide


class FullyConnected(_FullyConnected):
    def _init_parameters(self, X_shape):
        self.n_in = X_shape[1]
        self._create_parameters((self.n_out, self.n_in))
        hide["created"] = True
