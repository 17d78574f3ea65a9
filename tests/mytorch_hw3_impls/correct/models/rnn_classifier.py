# A HW3P1 RNN classifier as a student writes it from the handout (tests/test_mytorch_hw3.py).
import sys

import numpy as np

sys.path.append("mytorch")
from nn.linear import Linear
from rnn_cell import RNNCell


class RNNPhonemeClassifier:
    def __init__(self, input_size, hidden_size, output_size, num_layers=2):
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.rnn = [RNNCell(input_size, hidden_size) if i == 0
                    else RNNCell(hidden_size, hidden_size) for i in range(num_layers)]
        self.output_layer = Linear(hidden_size, output_size)
        self.hiddens = []

    def init_weights(self, rnn_weights, linear_weights):
        for i, rnn_cell in enumerate(self.rnn):
            rnn_cell.init_weights(*rnn_weights[i])
        self.output_layer.W = linear_weights[0]
        self.output_layer.b = linear_weights[1].reshape(-1, 1)

    def __call__(self, x, h_0=None):
        return self.forward(x, h_0)

    def forward(self, x, h_0=None):
        batch_size, seq_len = x.shape[0], x.shape[1]
        if h_0 is None:
            hidden = np.zeros((self.num_layers, batch_size, self.hidden_size), dtype=float)
        else:
            hidden = h_0
        self.x = x
        self.hiddens.append(hidden.copy())
        for t in range(seq_len):
            layer_input = x[:, t, :]
            for i in range(self.num_layers):
                hidden[i] = self.rnn[i](layer_input, hidden[i])
                layer_input = hidden[i]
            self.hiddens.append(hidden.copy())
        logits = self.output_layer(hidden[-1])
        return logits

    def backward(self, delta):
        batch_size, seq_len = self.x.shape[0], self.x.shape[1]
        dh = np.zeros((self.num_layers, batch_size, self.hidden_size), dtype=float)
        dh[-1] = self.output_layer.backward(delta)
        for t in range(seq_len - 1, -1, -1):
            for i in range(self.num_layers - 1, -1, -1):
                h_t = self.hiddens[t + 1][i]
                if i == 0:
                    h_prev_l = self.x[:, t, :]
                else:
                    h_prev_l = self.hiddens[t + 1][i - 1]
                h_prev_t = self.hiddens[t][i]
                dx, dh[i] = self.rnn[i].backward(dh[i], h_t, h_prev_l, h_prev_t)
                if i != 0:
                    dh[i - 1] += dx
        return dh / batch_size
