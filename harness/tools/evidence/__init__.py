"""``nnparity evidence``: what nnparity finds, measured (see docs/evidence.md).

    mutants.py   the mutation corpus: nnparity's own AST operators over student_nn's ops
    run.py       one mutant: killed? top diagnosis? course-style test? equivalent, and why?
    intent.py    which diagnosis codes describe which mutation operator
    course.py    the course-style baseline (assert_allclose on six configurations per op)
    labelled.py  diagnosis accuracy on the labelled single-bug implementations
    fp.py        false positives on correct implementations (student_nn, tests/independent_impl)
    suite.py     all of it in parallel processes; report.py writes docs/evidence.md
"""
