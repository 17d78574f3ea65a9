"""The commit the grading benchmark compares with: main before issue #13's speed work
(`harness.tools.bench.throughput.grading_vs_base`). A module of its own, so the command line can
name it without importing the benchmarks."""

BASE_COMMIT = "f925467"
