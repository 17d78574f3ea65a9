"""Bug: activations.py imports a module that does not exist."""
import numpy_extras  # noqa: F401
