"""HW3P1's linear.py (a stand-in: not the student's to write): the output layer of the RNN
classifier, ``Z = A Wᵀ + ι bᵀ`` with W (out, in) and b (out, 1) as the classifier's
``init_weights`` sets them; ``backward(dLdZ)`` returns dL/dA.
"""

import numpy as np


class Linear:
    def __init__(self, in_features, out_features, debug=False):
        self.W = np.zeros((out_features, in_features))
        self.b = np.zeros((out_features, 1))

    def __call__(self, A):
        return self.forward(A)

    def forward(self, A):
        self.A = A
        return A @ self.W.T + np.reshape(self.b, (1, -1))

    def backward(self, dLdZ):
        self.dLdW = dLdZ.T @ self.A
        self.dLdb = dLdZ.sum(axis=0).reshape(-1, 1)
        return dLdZ @ self.W
