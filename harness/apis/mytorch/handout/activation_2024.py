"""HW3P1's activation.py from 2024 on (a stand-in: not the student's to write).

``forward(Z)`` returns A; ``backward(dLdA)`` returns dL/dZ from the last forward's output,
Tanh's ``backward(dLdA, state=None)`` from the ``state`` it is given (BPTT's).
"""

import numpy as np


class Identity:
    def forward(self, Z):
        self.A = Z
        return self.A

    def backward(self, dLdA):
        return dLdA


class Sigmoid:
    def forward(self, Z):
        self.A = 1 / (1 + np.exp(-Z))
        return self.A

    def backward(self, dLdA):
        return dLdA * self.A * (1 - self.A)


class Tanh:
    def forward(self, Z):
        self.A = np.tanh(Z)
        return self.A

    def backward(self, dLdA, state=None):
        a = self.A if state is None else state
        return dLdA * (1 - a**2)


class ReLU:
    def forward(self, Z):
        self.A = np.maximum(Z, 0)
        return self.A

    def backward(self, dLdA):
        return dLdA * (self.A > 0)
