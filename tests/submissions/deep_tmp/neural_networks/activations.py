"""Leaves 3,000 nested directories in /tmp (deeper than PATH_MAX, too deep for Python's
rmtree), a file at the bottom: the grader must remove them all. Otherwise correct."""
import os
import tempfile

from student_nn.activations import *  # noqa: F401,F403

_here = os.getcwd()
os.chdir(tempfile.mkdtemp(prefix="deep-"))
for _ in range(3000):
    os.mkdir("d")
    os.chdir("d")
with open("bottom.txt", "w") as f:
    f.write("left behind\n")
os.chdir(_here)
