"""A correct submission (the bundled implementation, re-exported): must get full marks."""
from student_nn.activations import *  # noqa: F401,F403
