"""Running untrusted code: the sandboxed child process, its isolation, and how it finds,
imports and drives an implementation."""
