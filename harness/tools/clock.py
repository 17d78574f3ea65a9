"""The tools' progress lines on stderr, each with the time since the run's first:
``[  12.3s] mutants: 68/696``."""

from __future__ import annotations

import sys
import time


class Elapsed:
    """Print a message with the seconds since the first message this object printed."""

    def __init__(self) -> None:
        self.start: float | None = None

    def __call__(self, message: str) -> None:
        if self.start is None:
            self.start = time.monotonic()
        print(f"[{time.monotonic() - self.start:7.1f}s] {message}", file=sys.stderr, flush=True)


log = Elapsed()   # one clock per process: a run's lines share it
