"""L2.forward forks up to 200 processes that try to outlive the grading (a bounded fork
storm): each leaves the process group and sleeps in a shell whose command line carries a
marker the test looks for. Then it answers correctly."""
import os

from student_nn import losses as base
from student_nn.losses import *  # noqa: F401,F403


class L2(base.L2):
    def forward(self, Y, Y_hat):
        for _ in range(200):
            try:
                pid = os.fork()
            except OSError:
                break
            if pid == 0:
                os.setsid()
                os.execv("/bin/sh", ["sh", "-c", "sleep 300; : nnparity-fork-storm"])
        return super().forward(Y, Y_hat)
