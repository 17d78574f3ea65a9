"""Tries to write into the project, the output directory and another submission.

The paths to attack are in targets.txt next to this file (the test writes it). Each attempt's
outcome is printed, so the test can see that it was denied. Otherwise correct.
"""
from pathlib import Path

from student_nn.activations import *  # noqa: F401,F403

targets = Path(__file__).with_name("targets.txt")
for line in targets.read_text().splitlines() if targets.exists() else []:
    try:
        with open(line, "a") as f:
            f.write("pwned\n")
        print(f"WROTE {line}")
    except OSError as exc:
        print(f"DENIED {line}: {type(exc).__name__}")
