"""Timing under noise: interleaved repeats, medians, thread counts and the machine.

Every comparison runs its contenders in the same loop, one sample each per repeat, the order
alternating from repeat to repeat, so that a burst of load from another process hits both
sides alike. A sample is ``number`` back-to-back calls (calibrated so one sample lasts at
least `min_sample_s`), timed with `time.perf_counter`, with the garbage collector off.
"""

from __future__ import annotations

import gc
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

# Environment variables that change what OpenBLAS does; reported, never set here.
BLAS_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
            "MKL_NUM_THREADS")


@dataclass
class Samples:
    """Seconds per call of each contender, one value per repeat (in repeat order)."""

    seconds: dict[str, list[float]]
    number: dict[str, int]                        # calls per sample, per contender
    repeats: int = field(init=False)

    def __post_init__(self) -> None:
        self.repeats = len(next(iter(self.seconds.values()), []))

    def median(self, name: str) -> float:
        return statistics.median(self.seconds[name])

    def best(self, name: str) -> float:
        return min(self.seconds[name])

    def spread(self, name: str) -> float:
        """The interquartile range relative to the median: how noisy the samples were."""
        q1, _, q3 = statistics.quantiles(self.seconds[name], n=4) if self.repeats > 1 \
            else (0.0, 0.0, 0.0)
        return (q3 - q1) / self.median(name)

    def paired_ratio(self, num: str, den: str) -> float:
        """Median over repeats of num/den, each pair measured back to back."""
        return statistics.median(a / b for a, b in zip(self.seconds[num], self.seconds[den],
                                                       strict=True))


def _timed(fn: Callable[[], object], number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def calibrate(fn: Callable[[], object], min_sample_s: float) -> int:
    """Calls per sample so that one sample of `fn` lasts at least min_sample_s."""
    return max(1, math.ceil(min_sample_s / max(_timed(fn, 1), 1e-9)))


def interleaved(contenders: dict[str, Callable[[], object]], repeats: int, warmup: int = 2,
                min_sample_s: float = 0.005) -> Samples:
    """`repeats` samples of every contender, interleaved, after `warmup` calls of each."""
    for fn in contenders.values():
        for _ in range(warmup):
            fn()
    number = {name: calibrate(fn, min_sample_s) for name, fn in contenders.items()}
    names = list(contenders)
    seconds: dict[str, list[float]] = {name: [] for name in names}
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for r in range(repeats):
            for name in names if r % 2 == 0 else reversed(names):
                seconds[name].append(_timed(contenders[name], number[name]))
    finally:
        if gc_was_enabled:
            gc.enable()
    return Samples(seconds, number)


def fit_exponent(x: list[float], y: list[float]) -> float:
    """The slope α of log y = a + α·log x (least squares): y grows like x^α."""
    lx, ly = np.log(np.asarray(x, float)), np.log(np.asarray(y, float))
    if len(lx) < 2 or np.ptp(lx) == 0:
        return float("nan")
    return float(np.polyfit(lx, ly, 1)[0])


# ---------------------------------------------------------------- BLAS threads
# threadpoolctl finds the BLAS NumPy loaded (OpenBLAS in NumPy's wheels, whatever the symbol
# prefix and suffix of its build; MKL or BLIS elsewhere) and reads or sets its thread count.
def _blas() -> list[dict[str, Any]]:
    """threadpoolctl's description of each BLAS library loaded in this process."""
    return [lib for lib in threadpool_info() if lib["user_api"] == "blas"]


def blas_threads() -> int | None:
    """The thread count of NumPy's BLAS (the smallest, if several are loaded), or None when
    there is none that threadpoolctl can read."""
    counts = [lib["num_threads"] for lib in _blas() if lib.get("num_threads")]
    return min(counts) if counts else None


def set_blas_threads(n: int) -> bool:
    """Set the thread count of NumPy's BLAS for this process; False when it cannot be set."""
    threadpool_limits(limits=n, user_api="blas")
    return blas_threads() == n


def thread_counts() -> dict[str, int | None]:
    import torch

    return {"torch": torch.get_num_threads(), "openblas": blas_threads()}


def set_threads(n: int) -> dict[str, int | None]:
    """The same thread count for torch and NumPy's OpenBLAS; returns what is now in force."""
    import torch

    torch.set_num_threads(n)
    set_blas_threads(n)
    return thread_counts()


# ---------------------------------------------------------------- the machine
def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    import torch

    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "torch": torch.__version__,
        "openblas": _blas_description(),
        "openblas_kernel": next((lib.get("architecture") for lib in _blas()), None),
        "torch_blas": "MKL" if torch.backends.mkl.is_available() else "other",
        "threads": thread_counts(),
        "blas_env": {k: os.environ[k] for k in BLAS_ENV if k in os.environ},
        "load_average": load_average(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
    }


def _blas_description() -> str | None:
    """NumPy's BLAS as threadpoolctl sees it, e.g. "OpenBLAS 0.3.31.188.0 (pthreads)"."""
    names = {"openblas": "OpenBLAS", "mkl": "MKL", "blis": "BLIS", "flexiblas": "FlexiBLAS"}
    found = [f"{names.get(lib['internal_api'], lib['internal_api'])} {lib.get('version')} "
             f"({lib.get('threading_layer')})" for lib in _blas()]
    return "; ".join(found) or None


def _memory_gib() -> float | None:
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None
    return round(pages * size / 2**30, 1)
