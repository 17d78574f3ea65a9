"""Grading submitted implementations: ``nnparity grade`` and the Gradescope autograder.

- `rubric`: the rubric (TOML): graded modules, items and points, seeds, limits.
- `submission`: finding, fingerprinting and staging submissions (directories and zips).
- `grader`: grading one submission in the sandbox; statuses, scores and findings.
- `batch`: a batch in parallel workers, resumable; `outputs`: the files under --out.
- `distributed`: a batch on a Dask cluster (`nnparity grade --scheduler`), docs/distributed.md.
- `command`: the command line; `gradescope`: the entry point of gradescope/run_autograder.

docs/gradescope.md describes it for course staff.
"""
