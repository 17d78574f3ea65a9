"""mytorch.nn: one module per file of the handout, imported by file as the handout does
(``from mytorch.nn.Conv1d import Conv1d``).

Nothing is re-exported here: the classes Conv1d and Conv2d would shadow the modules Conv1d and
Conv2d as attributes of this package, and ``import mytorch.nn.Conv1d as m`` would then bind the
class.
"""
