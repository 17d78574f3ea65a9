"""Training curves (not graded), plotted with matplotlib as the starters' logs.py do."""

import matplotlib.pyplot as plt


def plot_losses(losses, path):
    plt.plot(losses)
    plt.savefig(path)
