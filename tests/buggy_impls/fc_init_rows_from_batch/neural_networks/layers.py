"""Bug: FullyConnected._init_parameters reads n_in from the batch axis, so W is created as
(batch, n_out). A check that sets W itself never sees it; training with it breaks."""
from student_nn.layers import *  # noqa: F403
from student_nn.layers import FullyConnected as _FullyConnected


class FullyConnected(_FullyConnected):
    def _init_parameters(self, X_shape):
        self.n_in = X_shape[0]
        self._create_parameters((self.n_in, self.n_out))
