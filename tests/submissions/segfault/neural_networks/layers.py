"""Flatten.forward dereferences NULL through ctypes."""
import ctypes

from student_nn import layers as base
from student_nn.layers import *  # noqa: F401,F403


class Flatten(base.Flatten):
    def forward(self, X):
        return ctypes.string_at(0)
