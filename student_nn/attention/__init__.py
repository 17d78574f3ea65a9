"""student_nn.attention: the attention API's bundled implementation, for nnparity's self-tests.

``attention`` is a correct, vectorised NumPy implementation of scaled dot-product and
multi-head attention, forward and backward, under the contract of docs/attention.md.
nnparity's ``--api attention`` checks it against ``reference.attention``, and the buggy
variants of tests/test_attention_api.py (its BUGS) are edits of it. It imports nothing but
NumPy.
"""
