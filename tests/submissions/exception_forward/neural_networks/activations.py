"""Sigmoid.forward raises."""
from student_nn import activations as base
from student_nn.activations import *  # noqa: F401,F403


class Sigmoid(base.Sigmoid):
    def forward(self, Z):
        raise ValueError("shapes (3,4) and (5,) not aligned")
