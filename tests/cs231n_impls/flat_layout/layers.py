"""Correct: a CS231n layers.py directly in the submission folder, without a cs231n/ package."""
from student_nn.cs231n.layers import *  # noqa: F403
