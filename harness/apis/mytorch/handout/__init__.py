"""Stand-ins for the files the course's HW3P1 handouts ship and students do not write.

HW3P1's cells call the handout's activation.py, whose API is not HW1P1's: a checkout that
holds every homework in one tree has HW1P1's activation.py there, and its RNNCell would fail
on a Tanh it never wrote. The cells therefore always run with the activation.py of their
year's handout (the op table's `handout`; harness/sandbox/tree.py imports it under every
name the student's code uses):

- ``activation_2022_23``: Fall 2022 and 2023 — ``Activation.__call__``, ``Sigmoid`` and
  ``Tanh`` keep their output in ``state``; ``derivative()`` (Fall 2022) or ``backward()``
  (2023) returns dA/dZ, Tanh's from the ``state`` it is given (BPTT's);
- ``activation_2024``: 2024 on — ``forward(Z)``, ``backward(dLdA)`` returns dL/dZ, Tanh's
  ``backward(dLdA, state=None)`` from the ``state`` it is given.

The RNN classifier also calls the handout's Linear (``linear``), as its output layer.

These files are read by the sandboxed child, never imported here.
"""
