"""PyTorch twins of the contract: the expected values every implementation is compared with.

`reference.activations`, `reference.layers` and `reference.losses` hold classes with the
contract's names, constructors and methods, so `harness.core.driver.run_op` drives them exactly
like a student's NumPy classes. `reference.models` (NeuralNetwork, assembled from those twins),
`reference.optimizers` (torch.optim behind the contract's `update`) and `reference.weights`
(torch.nn.init, and the law each initializer draws from) complete the contract.
`module(name)` returns the twin of a contract module.

Semantics
- Arithmetic: float64 tensors on the CPU. Inputs are copied into fresh tensors (the caller's
  arrays are never touched) and results are copied out as float64 ndarrays; a loss is a 0-d one.
  torch's global default dtype is never changed.
- Gradients: always by autograd (a vector-Jacobian product with the upstream gradient), never by
  a hand-written formula. Layer gradients have exactly the parameters' shapes: the twins compute
  under grad_shape="exact"; "broadcast" is a judgement the comparison makes, not a computation.
- Images are NHWC `(batch, rows, cols, channels)` at the boundary and NCHW inside torch; conv
  kernels are `(kh, kw, cin, cout)` at the boundary and `(cout, cin, kh, kw)` inside torch.
  FullyConnected: W `(n_in, n_out)`, b `(1, n_out)`; Conv2D: b `(1, cout)`.
- Padding is explicit, then torch's conv/pool ops run with padding=0 (torch's own pooling
  padding refuses more than half the kernel). "valid" = 0, an int p = p on both sides, "same" =
  `(k-1)//2` on both sides under same_pad="symmetric" (the homework; an even kernel shrinks the
  output by one), or TensorFlow's SAME under "asymmetric" (ceil(H/stride) outputs, the odd
  extra row/column at the bottom/right). Output size = (H + before + after − k)//stride + 1.
  Conv2D and average pooling pad with 0, and average pooling divides by the full kernel area.
  Max pooling pads with −inf under maxpool_pad="-inf" (PyTorch: padding never wins) or with 0
  under "zero" (np.pad's default).
- Conventions come from one object per layer with the attributes of
  `reference.conventions.Conventions` (keyword `conventions=`; the harness passes its own
  `harness.core.conventions.Conventions`; None means PyTorch's: maxpool_pad="-inf",
  same_pad="symmetric"). The twins import nothing of the harness.

Where the derivative is undefined
The case generator never produces these points (inputs are continuous random values), so the
twins need not choose a subgradient there. For the record, PyTorch's choices are:
- ReLU at exactly 0: gradient 0 (torch passes the gradient only where input > 0).
- Max-pool ties: the whole gradient goes to one element of the window, the first maximum in
  row-major scan order (later equal values do not replace it); under maxpool_pad="zero" a
  window whose real values are all negative has its maximum in the padding, so that window
  sends no gradient to X.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from types import ModuleType

MODULES = ("activations", "layers", "losses", "models", "optimizers", "weights")


def module(name: str) -> ModuleType:
    """The reference twin of contract module `name` (one of `MODULES`)."""
    if name not in MODULES:
        raise ValueError(f"reference has no module {name!r}; it has {', '.join(MODULES)}")
    return importlib.import_module(f"{__name__}.{name}")


@contextlib.contextmanager
def one_torch_thread() -> Iterator[None]:
    """torch on one thread while the twins run: their tensors are tiny, and on a loaded
    machine torch's thread pool costs ten times the arithmetic (4 ms instead of 0.4 ms for a
    FullyConnected forward and backward). torch is imported here, on the first twin that runs,
    not with this package: a check whose twins' outputs are all cached never imports it."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
