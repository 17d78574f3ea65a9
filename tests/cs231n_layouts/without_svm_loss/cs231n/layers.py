"""A recent year's layers.py: every function but svm_loss (and layernorm), which that year's
assignment does not ask for; the rest correct (the bundled twin)."""
from student_nn.cs231n.layers import *  # noqa: F403

del svm_loss, layernorm_forward, layernorm_backward  # noqa: F821
