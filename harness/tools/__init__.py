"""Tools beside the product: `nnparity bench` (speed, memory and throughput, measured side by
side), `nnparity evidence` (what nnparity finds: mutants, labelled bugs, false positives) and
`nnparity adapter init` (a draft adapter file for a library, read from its source).

They use the product and import it; nothing of the product imports them, but the CLI, which
only delegates these sub-commands here (tests/test_layout.py holds to it).
"""

# Each tool is a way in, like the CLI: the built-in APIs are registered before it runs.
from harness.apis import known as _known  # noqa: F401
