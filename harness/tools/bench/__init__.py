"""``nnparity bench``: how fast student_nn is against PyTorch, and how fast the harness is.

- `harness.tools.bench.ops`: student_nn vs torch op by op, the GEMM rate, Conv2D step memory;
- `harness.tools.bench.throughput`: the harness's cases per second, its own share of the time,
  time against case size, grading throughput;
- `harness.tools.bench.timing`: interleaved repeats, thread counts, the machine;
- `harness.tools.bench.report`: bench.json, bench.md and the targets;
- `harness.tools.bench.suite` runs them all, `harness.tools.bench.cli` is the command line.
"""
