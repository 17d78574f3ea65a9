"""Prints its whole environment at import (a secret of the grader must not be in it)."""
import os

from student_nn.activations import *  # noqa: F401,F403

print("ENV " + " ".join(f"{k}={v}" for k, v in sorted(os.environ.items())))
