"""layers.py with a syntax error on line 5."""
from student_nn.layers import *  # noqa: F401,F403


def broken(:
    pass
