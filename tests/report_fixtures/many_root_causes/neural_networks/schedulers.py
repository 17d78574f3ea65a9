"""Learning-rate schedulers (starter code layout)."""

import numpy as np
from abc import ABC, abstractmethod
import math


def initialize_scheduler(name, lr, decay=0.9, stage_length=1000, staircase=True):
    if name == "constant":
        return Constant(lr=lr)
    elif name == "exponential":
        return Exponential(lr=lr, decay=decay, stage_length=stage_length, staircase=staircase)
    else:
        raise NotImplementedError("{} scheduler is not implemented".format(name))


class Scheduler(ABC):
    @abstractmethod
    def __call__(self, step):
        pass


class Constant(Scheduler):
    def __init__(self, lr=0.01):
        self.lr = lr

    def __call__(self, step):
        return self.lr


class Exponential(Scheduler):
    def __init__(self, lr=0.01, decay=0.9, stage_length=1000, staircase=True):
        self.lr, self.decay = lr, decay
        self.stage_length, self.staircase = stage_length, staircase

    def __call__(self, step):
        stage = step / self.stage_length
        if self.staircase:
            stage = math.floor(stage)
        return self.lr * self.decay ** stage
