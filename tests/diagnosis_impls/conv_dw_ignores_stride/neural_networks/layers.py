"""Bug: Conv2D.backward reads the windows for dW at stride 1 whatever the stride
(Xp[:, i:i+oh, j:j+ow] instead of Xp[:, i:i+s·oh:s, j:j+s·ow:s]): dW is right only with
stride 1. Forward, db and dX are right."""
from student_nn.layers import *  # noqa: F403
from student_nn.layers import Conv2D as _Conv2D
from student_nn.utils import pad2d, tap


class Conv2D(_Conv2D):
    def _weight_gradient(self, dZ):
        Xp = pad2d(self.cache["X"], self.pads)
        kh, kw, cin, cout = self.parameters["W"].shape
        oh, ow = self.cache["Z"].shape[1:3]
        dW = self.parameters["W"] * 0.0
        for i in range(kh):
            for j in range(kw):
                x = tap(Xp, i, j, (oh, ow), 1).reshape(-1, cin)
                dW[i, j] = x.T @ dZ
        self.cache.pop("cols", None)
        return dW
