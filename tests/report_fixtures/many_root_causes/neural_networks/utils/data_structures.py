import numpy as np


class AttrDict(dict):
    """A dict whose keys are also attributes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.__dict__ = self


def integers_to_one_hot(integer_vector, max_val=None):
    integer_vector = np.squeeze(integer_vector).astype(int)
    if max_val is None:
        max_val = int(np.max(integer_vector))
    one_hot = np.zeros((integer_vector.shape[0], max_val + 1))
    one_hot[np.arange(integer_vector.shape[0]), integer_vector] = 1.0
    return one_hot
