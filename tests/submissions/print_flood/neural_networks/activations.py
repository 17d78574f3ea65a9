"""Prints 100 MB at import, then behaves."""
import sys

from student_nn.activations import *  # noqa: F401,F403

line = "spam " * 200_000 + "\n"  # 1 MB
for _ in range(100):
    sys.stdout.write(line)
sys.stdout.flush()
