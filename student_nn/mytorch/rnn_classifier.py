"""RNNPhonemeClassifier: a stack of L RNNCells run over a sequence, then a Linear on the last
step's top state.

Forward over x (N, T, D), from h_0 (L, N, H) (zeros unless given): at each step t, layer by
layer,

    h[l] = cell_l(x[:, t] if l = 0 else h[l − 1],  h[l])

keeping the states of every step: hiddens[0] = h_0, hiddens[t + 1] after step t. The logits
are Linear(h[L − 1]) after the last step.

Backward (BPTT), given delta = dL/dlogits (N, O): dh[L − 1] = Linear.backward(delta), then
for t = T − 1 … 0 and l = L − 1 … 0,

    dx, dh[l] = cell_l.backward(dh[l], hiddens[t + 1][l], input_l(t), hiddens[t][l])
    dh[l − 1] += dx           (l > 0: layer l's input at step t was layer l − 1's state)

where input_l(t) is x[:, t] for l = 0 and hiddens[t + 1][l − 1] above. The cells add up their
weights' gradients over the steps; dh ends as the gradient w.r.t. h_0, returned averaged over
the batch (dh / N) as the cells' gradients are.
"""

from __future__ import annotations

import numpy as np

from .nn.linear import Linear
from .rnn_cell import RNNCell


class RNNPhonemeClassifier:
    def __init__(self, input_size: int, hidden_size: int, output_size: int,
                 num_layers: int = 2) -> None:
        self.hidden_size, self.num_layers = hidden_size, num_layers
        self.rnn = [RNNCell(input_size if layer == 0 else hidden_size, hidden_size)
                    for layer in range(num_layers)]
        self.output_layer = Linear(hidden_size, output_size)
        self.hiddens: list[np.ndarray] = []

    def init_weights(self, rnn_weights: list[list[np.ndarray]],
                     linear_weights: list[np.ndarray]) -> None:
        for cell, weights in zip(self.rnn, rnn_weights, strict=True):
            cell.init_weights(*weights)
        self.output_layer.W = linear_weights[0]
        self.output_layer.b = linear_weights[1].reshape(-1, 1)

    def __call__(self, x: np.ndarray, h_0: np.ndarray | None = None) -> np.ndarray:
        return self.forward(x, h_0)

    def forward(self, x: np.ndarray, h_0: np.ndarray | None = None) -> np.ndarray:
        n, t_len = x.shape[:2]
        h = np.zeros((self.num_layers, n, self.hidden_size)) if h_0 is None else h_0.copy()
        self.x, self.hiddens = x, [h.copy()]
        for t in range(t_len):
            below = x[:, t]
            for layer, cell in enumerate(self.rnn):
                h[layer] = below = cell.forward(below, h[layer])
            self.hiddens.append(h.copy())
        return self.output_layer.forward(h[-1])

    def backward(self, delta: np.ndarray) -> np.ndarray:
        n, t_len = self.x.shape[:2]
        dh = np.zeros((self.num_layers, n, self.hidden_size))
        dh[-1] = self.output_layer.backward(delta)
        for t in reversed(range(t_len)):
            for layer in reversed(range(self.num_layers)):
                below = self.x[:, t] if layer == 0 else self.hiddens[t + 1][layer - 1]
                dx, dh[layer] = self.rnn[layer].backward(
                    dh[layer], self.hiddens[t + 1][layer], below, self.hiddens[t][layer])
                if layer > 0:
                    dh[layer - 1] += dx
        return dh / n
