"""What the reports call a graded submission's outcomes, and the staff file they link to.

Grading writes each submission's files (harness/grading/outputs.py) and the reports render
them; both take these names from here.
"""

STAFF_FILE = "staff.md"   # a submission's full report for staff, in its output directory
STATUS_TEXT = {           # a submission's grading status, in words
    "graded": "graded",
    "refused_import": "refused import",
    "import_error": "import error",
    "crashed": "crashed",
    "timeout": "timed out",
    "memory_limit": "out of memory",
    "invalid": "not gradable",
    "internal_error": "nnparity error",
}
