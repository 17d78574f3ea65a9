# A HW3P1 GRUCell as a student writes it from the handout (tests/test_mytorch_hw3.py).
import numpy as np
from nn.activation import Sigmoid, Tanh


class GRUCell:
    def __init__(self, input_size, hidden_size):
        self.d = input_size
        self.h = hidden_size
        h, d = hidden_size, input_size
        for name in ("Wrx", "Wzx", "Wnx"):
            setattr(self, name, np.random.randn(h, d))
        for name in ("Wrh", "Wzh", "Wnh"):
            setattr(self, name, np.random.randn(h, h))
        for name in ("brx", "bzx", "bnx", "brh", "bzh", "bnh"):
            setattr(self, name, np.random.randn(h))
        self.r_act = Sigmoid()
        self.z_act = Sigmoid()
        self.h_act = Tanh()

    def init_weights(self, Wrx, Wzx, Wnx, Wrh, Wzh, Wnh, brx, bzx, bnx, brh, bzh, bnh):
        self.Wrx, self.Wzx, self.Wnx = Wrx, Wzx, Wnx
        self.Wrh, self.Wzh, self.Wnh = Wrh, Wzh, Wnh
        self.brx, self.bzx, self.bnx = brx, bzx, bnx
        self.brh, self.bzh, self.bnh = brh, bzh, bnh

    def __call__(self, x, h_prev_t):
        return self.forward(x, h_prev_t)

    def forward(self, x, h_prev_t):
        self.x = x
        self.hidden = h_prev_t
        self.r = self.r_act.forward(self.Wrx @ x + self.brx + self.Wrh @ h_prev_t + self.brh)
        self.z = self.z_act.forward(self.Wzx @ x + self.bzx + self.Wzh @ h_prev_t + self.bzh)
        self.nh = self.Wnh @ h_prev_t + self.bnh
        self.n = self.h_act.forward(self.Wnx @ x + self.bnx + self.r * self.nh)
        h_t = (1 - self.z) * self.n + self.z * h_prev_t
        return h_t

    def backward(self, delta):
        dn = self.h_act.backward(delta * (1 - self.z), state=self.n)
        dz = self.z_act.backward(delta * (self.hidden - self.n))
        dr = self.r_act.backward(dn * self.nh)

        self.dWnx = np.outer(dn, self.x)
        self.dbnx = dn
        self.dWnh = np.outer(dn * self.r, self.hidden)
        self.dbnh = dn * self.r
        self.dWzx = np.outer(dz, self.x)
        self.dbzx = dz
        self.dWzh = np.outer(dz, self.hidden)
        self.dbzh = dz
        self.dWrx = np.outer(dr, self.x)
        self.dbrx = dr
        self.dWrh = np.outer(dr, self.hidden)
        self.dbrh = dr

        dx = dn @ self.Wnx + dz @ self.Wzx + dr @ self.Wrx
        dh_prev_t = delta * self.z + (dn * self.r) @ self.Wnh + dz @ self.Wzh + dr @ self.Wrh
        return dx, dh_prev_t
