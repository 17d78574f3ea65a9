"""Grading submitted implementations: ``nnparity grade`` and the Gradescope autograder.

- `rubric`: the rubric (TOML): graded modules, items and points, seeds, limits.
- `submission`: finding, fingerprinting and staging submissions (directories and zips).
- `grader`: grading one submission in the sandbox; statuses, scores and findings.
- `batch`: a batch in parallel workers, resumable; `outputs`: the files under --out.
- `distributed`: a batch on a Dask cluster (`nnparity grade --scheduler`), docs/distributed.md.
- `cohort`: the class report of a batch (class.html, .md, .json; harness/reports/class_page.py
  renders it), its failure signatures and clusters, and the regrade diff; `class_post`: the
  words of the anonymised post for the class.
- `command`: the command line; `gradescope`: the entry point of gradescope/run_autograder.

docs/gradescope.md describes it for course staff.
"""
