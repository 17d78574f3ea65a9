"""mytorch.optim: ``from mytorch.optim.sgd import SGD``."""
