"""HW6's editions: what each year's starter code asks students to write.

Told from the submission's files (harness/core/editions.py), first match first:

- ``contract``: every op nnparity checks, as student_nn implements them (an implementation
  with an Adam optimiser, a Pool2D and an L2 loss: no course starter has all three);
- ``fc-only``: a starter with FullyConnected only, whose linear activation is ``Identity``
  (``initialize_activation("identity")``) and whose ``update`` methods take no epoch;
- ``2020``: the spring 2020 starter: FullyConnected, an Elman RNN and Conv2D, no Pool2D and
  no Flatten (``layers.py`` defines neither); Sigmoid and TanH are optional;
- ``2024+``: the 2024 and later starters: one ``utils.py`` file, and ``losses.py`` has
  CrossEntropy only (no L2);
- ``2021-23``: Pool2D, Flatten, CrossEntropy and L2 (the default).

No HW6 starter from 2020 to 2025 offers Adam (``initialize_optimizer`` knows SGD only), and
in every year ``weights.py`` is the course's own code: the weight initialisers are checked and
reported as the starter's, never charged to the student.
"""

from __future__ import annotations

from harness.core.editions import Edition, Marker

WEIGHTS = ("xavier_uniform", "xavier_normal", "he_uniform", "he_normal")
# What the course's weights.py does differently from torch.nn.init (not the student's code).
STARTER_WEIGHTS = ("the course's weights.py (starter code, not yours) takes a kernel's fans "
                   "from shape[0] and shape[-1] where PyTorch multiplies by the kernel's "
                   "taps (kh·kw·cin and kh·kw·cout), and He's gain from the layer's "
                   "activation")
STARTER = {name: STARTER_WEIGHTS for name in WEIGHTS}
# The course's weights.py as found in real checkouts (harness.core.editions.fingerprint): one
# per starter generation, each unchanged in every checkout of it that we read (13 of the
# 2021–2025 starters, 3 of 2020's, 2 of a fully-connected-only starter's).
STARTER_CODE = {"weights": frozenset({"35b0806238877fea", "4a4667c21330f869",
                                      "b2b56230b35b421b"})}
# The 2021–2025 starters' method templates (harness/core/stubs.py), each found untouched in
# two checkouts: the body between "BEGIN YOUR CODE" and "END YOUR CODE" is comments only, and
# the method returns a name it never computes (out, X_pool, dX).
TEMPLATES = {"Conv2D.forward": frozenset({"9a6574b2367f5bbc"}),
             "Conv2D.backward": frozenset({"14806d0d8da48f26"}),
             "Pool2D.forward": frozenset({"2c31fc5857d144db"})}

# The 2020 starter's utils/convolution.py pads with a helper that has no branch for "valid"
# and computes "same" from the stride in a way that is the contract's only at stride 1: its
# Conv2D cases are those (students call the starter's helper; a case beyond it would test it).
STARTER_2020_PADDING = (
    lambda p: p["pad"] != "valid" and (p["pad"] != "same" or int(p["s"]) == 1),
    "the 2020 starter's pad2d has no 'valid' and gives 'same' at stride 1 only")

EDITIONS = (
    Edition("contract", "the full contract: every op nnparity checks (student_nn)",
            (Marker("optimizers", "Adam"), Marker("layers", "Pool2D"), Marker("losses", "L2"))),
    Edition("fc-only", "HW6, a fully-connected-only starter: FullyConnected and the "
                       "activations (Identity for Linear); no Conv2D, Pool2D, Flatten, L2 or "
                       "Adam",
            (Marker("layers", "Conv2D", present=False), Marker("activations", "Identity")),
            leaves_out=("conv2d", "pool2d_max", "pool2d_average", "flatten", "l2", "adam"),
            classes={"linear": "Identity"}, names={"linear": "identity"},
            starter=STARTER, starter_code=STARTER_CODE),
    Edition("2020", "HW6 spring 2020: FullyConnected, Elman and Conv2D; no Pool2D, Flatten "
                    "or Adam",
            (Marker("layers", "Elman"), Marker("layers", "Pool2D", present=False),
             Marker("layers", "Flatten", present=False)),
            leaves_out=("pool2d_max", "pool2d_average", "flatten", "adam"),
            optional=("sigmoid", "tanh"), covers={"conv2d": STARTER_2020_PADDING},
            starter=STARTER, starter_code=STARTER_CODE),
    Edition("2024+", "HW6 2024 and later: CrossEntropy only (no L2), no Adam",
            (Marker("utils", single_file=True), Marker("losses", "L2", present=False)),
            leaves_out=("l2", "adam"), starter=STARTER, starter_code=STARTER_CODE,
            templates=TEMPLATES),
    Edition("2021-23", "HW6 2021–2023: Pool2D, Flatten, CrossEntropy and L2; no Adam",
            (Marker("layers", "Pool2D"), Marker("losses", "L2")),
            leaves_out=("adam",), starter=STARTER, starter_code=STARTER_CODE,
            templates=TEMPLATES),
)
