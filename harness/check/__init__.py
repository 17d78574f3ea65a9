"""Checking: the sandboxed `Checker` that judges cases, the session that checks ops and
investigates the failing ones, and the report of their verdicts.

It sits above the core, the sandbox, the diagnosis and the APIs, and below the reports,
grading and the pipeline (`harness.pipeline.run_check`, the one place a check happens).
"""
