"""Run an implementation in a separate process and talk to it in plain arrays.

`Sandbox` starts ``python -m harness.child`` in a fresh temporary directory, in its own
process group, with a scrubbed environment, and sends it one request per case. A case that
takes longer than its time limit, or a child that dies (``sys.exit``, ``os._exit``, a
segfault), is reported as an `Outage`; the child is killed with its whole process group and a
fresh one is started for the next case, so one bad case never sinks the others.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from harness import wire

PROJECT_ROOT = Path(__file__).resolve().parent.parent
KEEP_ENV = ("PATH", "LANG", "LC_ALL", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "TZ")


@dataclass(frozen=True)
class Limits:
    """Resource limits for the child. `case_seconds` bounds one case's wall-clock time."""

    case_seconds: float = 20.0
    startup_seconds: float = 60.0


@dataclass(frozen=True)
class Outage:
    """The child produced no answer: it timed out or died."""

    status: str   # "timeout" | "crashed"
    detail: str


class _DeadlineReader:
    """A binary stream over a pipe whose reads fail with TimeoutError after a deadline."""

    def __init__(self, fd: int, deadline: float) -> None:
        self.fd, self.deadline = fd, deadline

    def read(self, n: int) -> bytes:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0 or not select.select([self.fd], [], [], remaining)[0]:
            raise TimeoutError
        return os.read(self.fd, min(n, 1 << 20))


def child_env(home: Path) -> dict[str, str]:
    env = {k: os.environ[k] for k in KEEP_ENV if k in os.environ}
    env.update(
        HOME=str(home), TMPDIR=str(home), PYTHONPATH=str(PROJECT_ROOT),
        PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0", PYTHONNOUSERSITE="1",
        OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
    )
    return env


class Sandbox:
    """One implementation in one child process, restarted after a timeout or crash."""

    def __init__(self, impl: str | Path, graded: tuple[str, ...] | None = None,
                 limits: Limits | None = None) -> None:
        self.impl = str(impl)
        self.graded = graded
        self.limits = limits or Limits()
        self.proc: subprocess.Popen | None = None
        self.workdir: Path | None = None
        self.starts = 0

    # -------------------------------------------------------------- lifecycle
    def _start(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="nnparity-child-"))
        self._stderr = open(self.workdir / ".stderr", "w+b")  # noqa: SIM115
        cmd = [sys.executable, "-m", "harness.child", self.impl]
        if self.graded:
            cmd += ["--graded", ",".join(self.graded)]
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
            cwd=self.workdir, env=child_env(self.workdir), start_new_session=True)
        self.starts += 1

    def close(self) -> None:
        """Kill the child's whole process group and remove its working directory."""
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
            for stream in (self.proc.stdin, self.proc.stdout):
                stream.close()
            self._stderr.close()
            self.proc = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -------------------------------------------------------------- requests
    def run(self, request: dict[str, Any], inputs: dict[str, np.ndarray]
            ) -> tuple[dict[str, Any], dict[str, np.ndarray]] | Outage:
        """Send one request; the answer, or an Outage after which the child is replaced."""
        first = self.proc is None
        if first:
            self._start()
        budget = self.limits.case_seconds + (self.limits.startup_seconds if first else 0)
        try:
            wire.write_message(self.proc.stdin, request, inputs)
            reader = _DeadlineReader(self.proc.stdout.fileno(), time.monotonic() + budget)
            return wire.read_message(reader)  # type: ignore[arg-type]
        except TimeoutError:
            self.close()
            return Outage("timeout", f"no answer within {self.limits.case_seconds:g} s "
                                     "(an infinite loop, or far too slow)")
        except (wire.WireError, BrokenPipeError, OSError):
            return Outage("crashed", self._death_notice())

    def _death_notice(self) -> str:
        proc = self.proc
        try:
            code = proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        self._stderr.seek(0)
        tail = self._stderr.read()[-1500:].decode(errors="replace").strip()
        self.close()
        if code is None:
            what = "the child process broke the protocol"
        elif code < 0:
            what = f"the process was killed by signal {signal.Signals(-code).name}"
        else:
            what = f"the process exited with code {code} (sys.exit or os._exit?)"
        return what + (f"; its last words: {tail}" if tail else "")
