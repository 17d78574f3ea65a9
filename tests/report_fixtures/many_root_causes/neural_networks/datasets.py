"""Datasets (starter code layout): arrays from .npz files, minibatches."""

import numpy as np
import math
import pandas as pd
from neural_networks.utils.data_processing import normalize, standardize
from neural_networks.utils.data_structures import integers_to_one_hot


class Data:
    def __init__(self, data, batch_size=50, shuffle=True, seed=0):
        self.data_ = data
        self.n_samples = data[0].shape[0]
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.rng = np.random.default_rng(seed)
        self.samples_per_epoch = math.ceil(self.n_samples / batch_size)
        self.reset()

    def reset(self):
        self.order = self.rng.permutation(self.n_samples) if self.shuffle \
            else np.arange(self.n_samples)
        self.iteration = 0

    def sample(self):
        idx = self.order[self.iteration * self.batch_size:(self.iteration + 1) * self.batch_size]
        self.iteration += 1
        if self.iteration >= self.samples_per_epoch:
            self.reset()
        return [d[idx] for d in self.data_]


class Dataset:
    def __init__(self, name, batch_size=50, target_name="labels", preprocessing="standardize"):
        self.name = name
        self.batch_size = batch_size
        self.target_name = target_name
        self.preprocessing = preprocessing

    def load(self, path):
        if str(path).endswith(".csv"):
            frame = pd.read_csv(path)
            X, y = frame.drop(columns=[self.target_name]).to_numpy(), frame[self.target_name]
            y = y.to_numpy()
        else:
            arrays = np.load(path)
            X, y = arrays["X"], arrays[self.target_name]
        X = standardize(X) if self.preprocessing == "standardize" else normalize(X)
        if self.target_name == "labels":
            y = integers_to_one_hot(y)
        self.train = Data([X, y], self.batch_size)
        return self.train


def initialize_dataset(name, batch_size=50, target_name="labels"):
    return Dataset(name, batch_size=batch_size, target_name=target_name)
