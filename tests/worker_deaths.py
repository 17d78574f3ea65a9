"""Grading functions for the worker pools of tests/test_budgets.py: a module of its own, so
that the pool's spawned worker processes can import them."""

from __future__ import annotations

import os
import time
from typing import Any

from harness.grading import batch
from harness.grading.submission import Submission

KILLER = "kills_its_worker"


def grade_or_die(sub: Submission) -> dict[str, Any]:
    """The real grading, but a submission named KILLER kills the worker grading it (as a
    child that brings its grader down, or the OOM killer, would)."""
    if sub.name == KILLER:
        os._exit(9)
    return batch._grade_in_worker(sub)


def grade_packed_or_die(payload: Any, rubric: Any, files: Any = None, batch: str = ""
                        ) -> dict[str, Any]:
    """A Dask task: the real one (distributed.grade_packed), but KILLER kills its worker
    process, after a moment (so that the tasks queued behind it are on that worker)."""
    from harness.grading import distributed

    if payload.name == KILLER:
        time.sleep(0.5)
        os._exit(9)
    return distributed.grade_packed(payload, rubric, files, batch)
