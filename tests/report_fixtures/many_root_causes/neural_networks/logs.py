"""Experiment logging (starter code layout): plots with matplotlib, pickles the records."""

import numpy as np
import matplotlib.pyplot as plt
import pickle
import os


class Logger:
    def __init__(self, model_name, model_args, data_args, save=False, plot=False):
        self.model_name = model_name
        self.model_args = model_args
        self.data_args = data_args
        self.save = save
        self.plot = plot
        self.counter = 0
        self.log = {}
        self.save_dir = os.path.join("experiments", model_name)

    def push(self, log):
        for key, value in log.items():
            self.log.setdefault(key, []).append(value)
        self.counter += 1
        if self.save:
            os.makedirs(self.save_dir, exist_ok=True)
            with open(os.path.join(self.save_dir, "log"), "wb") as f:
                pickle.dump(self.log, f)
        if self.plot and self.counter % 10 == 0:
            self.plot_losses()

    def plot_losses(self):
        plt.figure(figsize=(12, 6))
        for key in ("loss", "val_loss"):
            if key in self.log:
                plt.plot(np.arange(len(self.log[key])), self.log[key], label=key)
        plt.legend()
        plt.savefig(os.path.join(self.save_dir, "loss.png"))
        plt.close()
