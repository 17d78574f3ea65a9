"""student_nn.cs231n: the CS231n API twin of student_nn, for nnparity's self-tests.

``layers`` is a correct, vectorised NumPy implementation of CS231n assignment 2's
``cs231n/layers.py`` functions (affine, relu, conv, max pool, batchnorm, layernorm, dropout,
spatial batchnorm, softmax and SVM losses), with the assignment's names, signatures and return
conventions. nnparity's ``--api cs231n`` checks it against ``reference.cs231n``, and the buggy
variants in tests/cs231n_impls are built from it. It imports nothing but NumPy.
"""
