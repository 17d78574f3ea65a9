"""activations.py importing a module that does not exist."""
import numpy as np
import scipy_special_helpers_not_installed  # noqa: F401

from student_nn.activations import *  # noqa: F401,F403
