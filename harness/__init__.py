"""nnparity's harness: cases, comparison, sandboxed runs, reports, CLI and pytest plugin."""
