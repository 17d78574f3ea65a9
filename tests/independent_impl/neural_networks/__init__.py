"""An independent implementation of the HW6 activations, layers and losses (see README.md)."""
