"""Bug: a syntax error: every loss fails to import; the other ops must still be checked."""
import numpy as np


class CrossEntropy:
    def forward(self, Y, Y_hat)
        return -np.sum(Y * np.log(Y_hat)) / Y.shape[0]
