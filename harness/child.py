"""The sandboxed child process's entry point: ``python -m harness.child IMPL [options]``.

Like the CLI, the pipeline and the pytest plugin, it is where a process of nnparity starts,
so it registers the built-in APIs (harness/apis/known.py) before it serves requests
(harness/sandbox/child.py: what the child does, and its options).
"""

from harness.apis import known  # noqa: F401 - registers HW6 and CS231n with the core
from harness.sandbox.child import main

if __name__ == "__main__":
    main()
