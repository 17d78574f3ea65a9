# Bug: the weights' gradients summed over the batch, not averaged (no / batch_size).
import numpy as np
from nn.activation import Tanh


class RNNCell:
    def __init__(self, input_size, hidden_size):
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.activation = Tanh()
        h, d = hidden_size, input_size
        self.W_ih = np.random.randn(h, d)
        self.W_hh = np.random.randn(h, h)
        self.b_ih = np.random.randn(h)
        self.b_hh = np.random.randn(h)
        self.dW_ih = np.zeros((h, d))
        self.dW_hh = np.zeros((h, h))
        self.db_ih = np.zeros(h)
        self.db_hh = np.zeros(h)

    def init_weights(self, W_ih, W_hh, b_ih, b_hh):
        self.W_ih = W_ih
        self.W_hh = W_hh
        self.b_ih = b_ih
        self.b_hh = b_hh

    def __call__(self, x, h_prev_t):
        return self.forward(x, h_prev_t)

    def forward(self, x, h_prev_t):
        z = np.dot(x, self.W_ih.T) + self.b_ih + np.dot(h_prev_t, self.W_hh.T) + self.b_hh
        return self.activation.forward(z)

    def backward(self, delta, h_t, h_prev_l, h_prev_t):
        dz = self.activation.backward(delta, state=h_t)
        self.dW_ih += np.dot(dz.T, h_prev_l)
        self.dW_hh += np.dot(dz.T, h_prev_t)
        self.db_ih += np.sum(dz, axis=0)
        self.db_hh += np.sum(dz, axis=0)
        dx = np.dot(dz, self.W_ih)
        dh_prev_t = np.dot(dz, self.W_hh)
        return dx, dh_prev_t
