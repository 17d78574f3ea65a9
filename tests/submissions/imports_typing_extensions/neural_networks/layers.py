"""Correct layers whose type hints come from typing_extensions, as in many real submissions:
the import must work in the sandbox, at every isolation level."""
from typing_extensions import Literal

from student_nn.layers import *  # noqa: F401,F403

PoolMode = Literal["max", "average"]
