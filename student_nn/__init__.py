"""student_nn: nnparity's own NumPy implementation of the HW6 `neural_networks` contract.

Every array is float64 and every image is NHWC, ``(batch, rows, cols, channels)``.

- ``activations``: ``forward(Z) -> Y`` and ``backward(Z, dY) -> dZ`` (Z is the pre-activation).
- ``layers``: ``forward(X) -> Y`` and ``backward(dY) -> dX``; parameters are created lazily by
  ``_init_parameters(X.shape)`` and read from ``parameters`` at call time; ``backward`` stores
  ``gradients[k]`` with exactly the shape of ``parameters[k]``.
- ``losses``: ``forward(Y, Y_hat) -> L`` and ``backward(Y, Y_hat) -> dL/dY_hat``.
- ``weights``, ``optimizers``, ``models``: initialisers, update rules and the network that chains
  the layers.

No function modifies its input arrays. The harness grades submissions against this package and
borrows the modules a submission lacks from it, so it imports nothing but NumPy and uses relative
imports only (it may be loaded under another name).
"""
