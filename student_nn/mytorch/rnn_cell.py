"""RNNCell: one step of an Elman RNN over a batch x (N, D), hidden state h (N, H).

    z   = x W_ihᵀ + b_ih + h W_hhᵀ + b_hh        W_ih (H, D), W_hh (H, H), b_ih, b_hh (H,)
    h_t = tanh(z)

Backward (BPTT calls it once per step, with that step's saved states), given delta = dL/dh_t:

    dz        = delta ⊙ (1 − h_t²)              (tanh' read from the h_t it is given)
    dx        = dz W_ih,     dh_prev_t = dz W_hh
    dW_ih    += dzᵀ h_prev_l / N,   dW_hh += dzᵀ h_prev_t / N
    db_ih    += Σ_n dz / N,         db_hh += Σ_n dz / N

The parameters' gradients are batch means and accumulate over the steps (+=).
"""

from __future__ import annotations

import numpy as np

from .nn.activation import Tanh


class RNNCell:
    def __init__(self, input_size: int, hidden_size: int) -> None:
        self.input_size, self.hidden_size = input_size, hidden_size
        self.activation = Tanh()
        h, d = hidden_size, input_size
        self.W_ih, self.W_hh = np.random.randn(h, d), np.random.randn(h, h)
        self.b_ih, self.b_hh = np.random.randn(h), np.random.randn(h)
        self.zero_grad()

    def init_weights(self, W_ih: np.ndarray, W_hh: np.ndarray, b_ih: np.ndarray,
                     b_hh: np.ndarray) -> None:
        self.W_ih, self.W_hh, self.b_ih, self.b_hh = W_ih, W_hh, b_ih, b_hh

    def zero_grad(self) -> None:
        h, d = self.hidden_size, self.input_size
        self.dW_ih, self.dW_hh = np.zeros((h, d)), np.zeros((h, h))
        self.db_ih, self.db_hh = np.zeros(h), np.zeros(h)

    def __call__(self, x: np.ndarray, h_prev_t: np.ndarray) -> np.ndarray:
        return self.forward(x, h_prev_t)

    def forward(self, x: np.ndarray, h_prev_t: np.ndarray) -> np.ndarray:
        z = x @ self.W_ih.T + self.b_ih + h_prev_t @ self.W_hh.T + self.b_hh
        return self.activation.forward(z)

    def backward(self, delta: np.ndarray, h_t: np.ndarray, h_prev_l: np.ndarray,
                 h_prev_t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        N = delta.shape[0]
        dz = delta * (1 - h_t**2)
        self.dW_ih += dz.T @ h_prev_l / N
        self.dW_hh += dz.T @ h_prev_t / N
        self.db_ih += dz.sum(axis=0) / N
        self.db_hh += dz.sum(axis=0) / N
        return dz @ self.W_ih, dz @ self.W_hh
