"""GRUCell: one unbatched GRU step, x (D,), h = h_prev_t (H,) -> h_t (H,).

    r   = σ(Wrx x + brx + Wrh h + brh)               reset gate
    z   = σ(Wzx x + bzx + Wzh h + bzh)               update gate
    n   = tanh(Wnx x + bnx + r ⊙ (Wnh h + bnh))      candidate
    h_t = (1 − z) ⊙ n + z ⊙ h

W*x (H, D), W*h (H, H), b** (H,). Backward, given delta = dL/dh_t (H,), the chain rule from
h_t back, each gate's pre-activation gradient (dr, dz, dn below) feeding its two linear maps:

    dn  = delta ⊙ (1 − z) ⊙ (1 − n²)                 through tanh
    dz  = delta ⊙ (h − n) ⊙ z(1 − z)                 through σ
    dr  = dn ⊙ (Wnh h + bnh) ⊙ r(1 − r)
    dWgx = dg xᵀ, dbgx = dg;  dWgh = dg' hᵀ, dbgh = dg'   (dg' = dg, but dn ⊙ r for the n gate)
    dx  = dr Wrx + dz Wzx + dn Wnx
    dh  = delta ⊙ z + dr Wrh + dz Wzh + (dn ⊙ r) Wnh

It returns dx (D,) and dh_prev_t (H,) (Spring 2024 on).
"""

from __future__ import annotations

import numpy as np

from .nn.activation import Sigmoid, Tanh


class GRUCell:
    def __init__(self, input_size: int, hidden_size: int) -> None:
        self.d, self.h = input_size, hidden_size
        h, d = hidden_size, input_size
        self.Wrx, self.Wzx, self.Wnx = (np.random.randn(h, d) for _ in range(3))
        self.Wrh, self.Wzh, self.Wnh = (np.random.randn(h, h) for _ in range(3))
        self.brx, self.bzx, self.bnx, self.brh, self.bzh, self.bnh = (
            np.random.randn(h) for _ in range(6))
        self.r_act, self.z_act, self.h_act = Sigmoid(), Sigmoid(), Tanh()

    def init_weights(self, Wrx: np.ndarray, Wzx: np.ndarray, Wnx: np.ndarray,
                     Wrh: np.ndarray, Wzh: np.ndarray, Wnh: np.ndarray, brx: np.ndarray,
                     bzx: np.ndarray, bnx: np.ndarray, brh: np.ndarray, bzh: np.ndarray,
                     bnh: np.ndarray) -> None:
        self.Wrx, self.Wzx, self.Wnx, self.Wrh, self.Wzh, self.Wnh = Wrx, Wzx, Wnx, Wrh, Wzh, Wnh
        self.brx, self.bzx, self.bnx, self.brh, self.bzh, self.bnh = brx, bzx, bnx, brh, bzh, bnh

    def __call__(self, x: np.ndarray, h_prev_t: np.ndarray) -> np.ndarray:
        return self.forward(x, h_prev_t)

    def forward(self, x: np.ndarray, h_prev_t: np.ndarray) -> np.ndarray:
        self.x, self.hidden = x, h_prev_t
        self.r = self.r_act.forward(self.Wrx @ x + self.brx + self.Wrh @ h_prev_t + self.brh)
        self.z = self.z_act.forward(self.Wzx @ x + self.bzx + self.Wzh @ h_prev_t + self.bzh)
        self.hn = self.Wnh @ h_prev_t + self.bnh
        self.n = self.h_act.forward(self.Wnx @ x + self.bnx + self.r * self.hn)
        return (1 - self.z) * self.n + self.z * h_prev_t

    def backward(self, delta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        delta = delta.reshape(-1)
        x, h = self.x, self.hidden
        dn = self.h_act.backward(delta * (1 - self.z), state=self.n)
        dz = self.z_act.backward(delta * (h - self.n))
        dr = self.r_act.backward(dn * self.hn)
        dn_h = dn * self.r
        self.dWrx, self.dWzx, self.dWnx = (np.outer(g, x) for g in (dr, dz, dn))
        self.dWrh, self.dWzh, self.dWnh = (np.outer(g, h) for g in (dr, dz, dn_h))
        self.dbrx, self.dbzx, self.dbnx = dr, dz, dn
        self.dbrh, self.dbzh, self.dbnh = dr, dz, dn_h
        dx = dr @ self.Wrx + dz @ self.Wzx + dn @ self.Wnx
        dh_prev_t = delta * self.z + dr @ self.Wrh + dz @ self.Wzh + dn_h @ self.Wnh
        return dx, dh_prev_t
