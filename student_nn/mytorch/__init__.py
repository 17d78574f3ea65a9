"""mytorch: nnparity's own NumPy implementation of CMU 11-785's HW1P1 + HW2P1 + HW3P1 library
(S24+; HW3P1's CTC.py at its 2022–23 path, mytorch/CTC.py).

Every layer has ``forward(A) -> Z`` and ``backward(dLdZ) -> dLdA``; the parameters' gradients
are attributes (``dLdW``, ``dLdb``, ...) set by ``backward``, summed over the batch (HW3P1's
RNNCell averages them and GRUCell is unbatched, as that handout asks). Images are
``(N, C, W)`` or ``(N, C, H, W)``. Imports between modules are relative, so the package loads
whatever name it is imported under (``mytorch`` in a handout, ``student_nn.mytorch`` here).
"""
