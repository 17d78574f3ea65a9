"""HW3P1's activation.py of Fall 2022 and 2023 (a stand-in: not the student's to write).

Each activation is called (``act(x)``) and keeps its output in ``state``; the derivative is
``derivative()`` in Fall 2022 and ``backward()`` in 2023, both dA/dZ; Tanh's reads the
``state`` it is given, so that BPTT can step back through any time step.
"""

import numpy as np


class Activation:
    def __init__(self):
        self.state = None

    def __call__(self, x):
        return self.forward(x)


class Identity(Activation):
    def forward(self, x):
        self.state = x
        return x

    def derivative(self):
        return 1.0

    backward = derivative


class Sigmoid(Activation):
    def forward(self, x):
        self.state = 1 / (1 + np.exp(-x))
        return self.state

    def derivative(self):
        return self.state * (1 - self.state)

    backward = derivative


class Tanh(Activation):
    def forward(self, x):
        self.state = np.tanh(x)
        return self.state

    def derivative(self, state=None):
        a = self.state if state is None else state
        return 1 - a**2

    backward = derivative


class ReLU(Activation):
    def forward(self, x):
        self.state = np.maximum(x, 0)
        return self.state

    def derivative(self):
        return (self.state > 0).astype(float)

    backward = derivative
