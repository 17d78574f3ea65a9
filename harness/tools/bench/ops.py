"""student_nn against PyTorch itself, op by op: forward + backward, side by side.

Ours: student_nn's classes called directly, in this process, on NHWC float64 arrays (their
native layout). Theirs: `torch.nn.functional` on float64 NCHW tensors that were converted
once, before timing, with autograd computing every gradient (`torch.autograd.grad`, no
numpy<->torch conversion inside the timed step). Both sides compute the same outputs, which
are compared once before timing (`max_rel_diff`), so a fast but wrong op cannot win.

Also here: the machine's float64 GEMM rate (`np.matmul` of large square matrices), timed in
the same loop as the medium Conv2D so both see the same load, and the peak memory of one
Conv2D step (tracemalloc, which sees every NumPy allocation) against its budget.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.tools.bench.timing import Samples, interleaved

Params = dict[str, int]

# Shapes per op. Images are (n, h, w, channels), kernels k×k with stride s and "same" padding
# for Conv2D (pooling: no padding). medium Conv2D is the issue's: N=32, 28×28, 16→32, 3×3.
SHAPES: dict[str, dict[str, Params]] = {
    "conv2d": {
        "small": dict(n=8, h=14, w=14, cin=8, cout=16, k=3, s=1),
        "medium": dict(n=32, h=28, w=28, cin=16, cout=32, k=3, s=1),
        "large": dict(n=64, h=32, w=32, cin=32, cout=64, k=3, s=1),
    },
    "pool2d_max": {
        "small": dict(n=8, h=14, w=14, c=16, k=2, s=2),
        "medium": dict(n=32, h=28, w=28, c=32, k=2, s=2),
        "medium 3x3/1": dict(n=32, h=28, w=28, c=32, k=3, s=1),
        "large": dict(n=64, h=56, w=56, c=64, k=2, s=2),
    },
    "fully_connected": {
        "small": dict(n=32, n_in=256, n_out=128),
        "medium": dict(n=128, n_in=1024, n_out=512),
        "large": dict(n=512, n_in=4096, n_out=1024),
    },
    "softmax": {
        "small": dict(n=32, classes=10),
        "medium": dict(n=128, classes=1000),
        "large": dict(n=1024, classes=10000),
    },
}
SHAPES["pool2d_average"] = SHAPES["pool2d_max"]

# --quick: one tiny shape per op, for the smoke test.
QUICK_SHAPES: dict[str, dict[str, Params]] = {
    "conv2d": {"quick": dict(n=2, h=8, w=8, cin=3, cout=4, k=3, s=1)},
    "pool2d_max": {"quick": dict(n=2, h=8, w=8, c=3, k=2, s=2)},
    "pool2d_average": {"quick": dict(n=2, h=8, w=8, c=3, k=2, s=2)},
    "fully_connected": {"quick": dict(n=4, n_in=16, n_out=8)},
    "softmax": {"quick": dict(n=4, classes=10)},
}
OPS = tuple(SHAPES)
GEMM_N, QUICK_GEMM_N = 2048, 256


@dataclass
class Pair:
    """One op at one shape: a step of each side, their outputs, and the step's FLOPs."""

    ours: Callable[[], Any]
    theirs: Callable[[], Any]
    ours_outputs: Callable[[], dict[str, np.ndarray]]
    theirs_outputs: Callable[[], dict[str, np.ndarray]]
    flops: float | None = None


def describe(op: str, p: Params) -> str:
    """A shape as text: "N=32 28x28 16->32 k3x3 s1"."""
    if op == "conv2d":
        return f"N={p['n']} {p['h']}x{p['w']} {p['cin']}->{p['cout']} k{p['k']}x{p['k']} s{p['s']}"
    if op.startswith("pool2d"):
        return f"N={p['n']} {p['h']}x{p['w']} C={p['c']} k{p['k']}x{p['k']} s{p['s']}"
    if op == "fully_connected":
        return f"N={p['n']} {p['n_in']}->{p['n_out']}"
    return f"N={p['n']} classes={p['classes']}"


# ---------------------------------------------------------------- the pairs
def _nchw(a: np.ndarray, grad: bool = True):
    import torch

    t = torch.from_numpy(np.ascontiguousarray(a.transpose(0, 3, 1, 2)))
    return t.requires_grad_(grad)


def _tensor(a: np.ndarray, grad: bool = True):
    import torch

    return torch.from_numpy(np.array(a, dtype=np.float64)).requires_grad_(grad)


def _nhwc(t) -> np.ndarray:
    return t.detach().permute(0, 2, 3, 1).numpy()


def _out_size(size: int, k: int, s: int, pad: int) -> int:
    return (size + 2 * pad - k) // s + 1


def _weighted_layer_side(layer: Any, X: np.ndarray, dY: np.ndarray
                         ) -> tuple[Callable[[], Any], Callable[[], dict[str, np.ndarray]]]:
    """student_nn's side for a layer with W and b: the timed step, and its four outputs."""
    def ours():
        Y = layer.forward(X)
        return Y, layer.backward(dY)

    def ours_outputs():
        Y, dX = ours()
        return {"forward": Y, "dX": dX, "dW": layer.gradients["W"], "db": layer.gradients["b"]}

    return ours, ours_outputs


def conv2d_pair(p: Params, rng: np.random.Generator) -> Pair:
    import torch
    import torch.nn.functional as F

    from student_nn.layers import Conv2D

    n, h, w, cin, cout, k, s = (p[x] for x in ("n", "h", "w", "cin", "cout", "k", "s"))
    pad = (k - 1) // 2
    oh, ow = _out_size(h, k, s, pad), _out_size(w, k, s, pad)
    X = rng.standard_normal((n, h, w, cin))
    W = rng.standard_normal((k, k, cin, cout)) / np.sqrt(k * k * cin)
    b = rng.standard_normal((1, cout))
    dY = rng.standard_normal((n, oh, ow, cout))
    layer = Conv2D(cout, (k, k), "linear", stride=s, pad="same")
    layer._init_parameters(X.shape)
    layer.parameters["W"], layer.parameters["b"] = W, b
    x, g = _nchw(X), _nchw(dY, grad=False)
    wt = _tensor(W.transpose(3, 2, 0, 1))
    bt = _tensor(b[0])

    ours, ours_outputs = _weighted_layer_side(layer, X, dY)

    def theirs():
        y = F.conv2d(x, wt, bt, stride=s, padding=pad)
        return y, torch.autograd.grad(y, (x, wt, bt), g)

    def theirs_outputs():
        y, (dx, dw, db) = theirs()
        return {"forward": _nhwc(y), "dX": _nhwc(dx),
                "dW": dw.permute(2, 3, 1, 0).numpy(), "db": db[None].numpy()}

    flops = 3 * 2 * n * oh * ow * k * k * cin * cout   # forward, dW and dX: one GEMM each
    return Pair(ours, theirs, ours_outputs, theirs_outputs, float(flops))


def pool2d_pair(mode: str) -> Callable[[Params, np.random.Generator], Pair]:
    def build(p: Params, rng: np.random.Generator) -> Pair:
        import torch
        import torch.nn.functional as F

        from student_nn.layers import Pool2D

        n, h, w, c, k, s = (p[x] for x in ("n", "h", "w", "c", "k", "s"))
        X = rng.standard_normal((n, h, w, c))
        dY = rng.standard_normal((n, _out_size(h, k, s, 0), _out_size(w, k, s, 0), c))
        layer = Pool2D((k, k), mode=mode, stride=s, pad=0)
        x, g = _nchw(X), _nchw(dY, grad=False)
        pool = F.max_pool2d if mode == "max" else F.avg_pool2d

        def ours():
            Y = layer.forward(X)
            return Y, layer.backward(dY)

        def theirs():
            y = pool(x, k, s)
            return y, torch.autograd.grad(y, x, g)

        def ours_outputs():
            Y, dX = ours()
            return {"forward": Y, "dX": dX}

        def theirs_outputs():
            y, (dx,) = theirs()
            return {"forward": _nhwc(y), "dX": _nhwc(dx)}

        return Pair(ours, theirs, ours_outputs, theirs_outputs)

    return build


def fully_connected_pair(p: Params, rng: np.random.Generator) -> Pair:
    import torch

    from student_nn.layers import FullyConnected

    n, n_in, n_out = p["n"], p["n_in"], p["n_out"]
    X = rng.standard_normal((n, n_in))
    W = rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)
    b = rng.standard_normal((1, n_out))
    dY = rng.standard_normal((n, n_out))
    layer = FullyConnected(n_out, "linear")
    layer._init_parameters(X.shape)
    layer.parameters["W"], layer.parameters["b"] = W, b
    x, wt, bt, g = _tensor(X), _tensor(W), _tensor(b[0]), _tensor(dY, grad=False)

    ours, ours_outputs = _weighted_layer_side(layer, X, dY)

    def theirs():
        y = torch.addmm(bt, x, wt)
        return y, torch.autograd.grad(y, (x, wt, bt), g)

    def theirs_outputs():
        y, (dx, dw, db) = theirs()
        return {"forward": y.detach().numpy(), "dX": dx.numpy(), "dW": dw.numpy(),
                "db": db[None].numpy()}

    return Pair(ours, theirs, ours_outputs, theirs_outputs, float(3 * 2 * n * n_in * n_out))


def softmax_pair(p: Params, rng: np.random.Generator) -> Pair:
    import torch

    from student_nn.activations import SoftMax

    Z = rng.standard_normal((p["n"], p["classes"])) * 2.0
    dY = rng.standard_normal(Z.shape)
    act = SoftMax()
    z, g = _tensor(Z), _tensor(dY, grad=False)

    def ours():
        return act.forward(Z), act.backward(Z, dY)

    def theirs():
        y = torch.softmax(z, dim=-1)
        return y, torch.autograd.grad(y, z, g)

    def ours_outputs():
        Y, dZ = ours()
        return {"forward": Y, "dX": dZ}

    def theirs_outputs():
        y, (dz,) = theirs()
        return {"forward": y.detach().numpy(), "dX": dz.numpy()}

    return Pair(ours, theirs, ours_outputs, theirs_outputs)


BUILDERS: dict[str, Callable[[Params, np.random.Generator], Pair]] = {
    "conv2d": conv2d_pair,
    "pool2d_max": pool2d_pair("max"),
    "pool2d_average": pool2d_pair("average"),
    "fully_connected": fully_connected_pair,
    "softmax": softmax_pair,
}


def max_rel_diff(ours: dict[str, np.ndarray], theirs: dict[str, np.ndarray]) -> float:
    """The largest |ours − theirs| / max|theirs| over the compared outputs."""
    worst = 0.0
    for name, want in theirs.items():
        got = np.asarray(ours[name], dtype=np.float64)
        if got.shape != want.shape:
            return float("inf")
        scale = max(float(np.max(np.abs(want))), 1e-300) if want.size else 1.0
        worst = max(worst, float(np.max(np.abs(got - want))) / scale if want.size else 0.0)
    return worst


# ---------------------------------------------------------------- measuring
def gemm(n: int, rng: np.random.Generator) -> tuple[Callable[[], Any], float]:
    """np.matmul of two n×n float64 matrices into a reused output, and its FLOPs."""
    A, B = rng.standard_normal((n, n)), rng.standard_normal((n, n))
    C = np.empty((n, n))
    return (lambda: np.matmul(A, B, out=C)), 2.0 * n**3


def measure(op: str, label: str, p: Params, repeats: int, warmup: int, min_sample_s: float,
            gemm_n: int | None = None, seed: int = 0) -> dict[str, Any]:
    """One entry of bench.json's ``ops``: ours vs torch at one shape (and the GEMM rate)."""
    rng = np.random.default_rng(seed)
    pair = BUILDERS[op](p, rng)
    diff = max_rel_diff(pair.ours_outputs(), pair.theirs_outputs())
    contenders: dict[str, Callable[[], Any]] = {"ours": pair.ours, "torch": pair.theirs}
    gemm_flops = 0.0
    if gemm_n:
        contenders["gemm"], gemm_flops = gemm(gemm_n, rng)
    samples = interleaved(contenders, repeats, warmup, min_sample_s)
    entry = _entry(op, label, p, samples, diff)
    if pair.flops:
        entry["flops"] = pair.flops
        entry["ours_gflops"] = pair.flops / samples.median("ours") / 1e9
        entry["torch_gflops"] = pair.flops / samples.median("torch") / 1e9
    if gemm_n:
        entry["gemm"] = {"n": gemm_n, "seconds": samples.median("gemm"),
                         "gflops": gemm_flops / samples.median("gemm") / 1e9,
                         "best_gflops": gemm_flops / samples.best("gemm") / 1e9}
    return entry


def _entry(op: str, label: str, p: Params, samples: Samples, diff: float) -> dict[str, Any]:
    return {
        "op": op,
        "shape": label,
        "params": dict(p),
        "shape_text": describe(op, p),
        "ours_s": samples.median("ours"),
        "torch_s": samples.median("torch"),
        "ratio": samples.paired_ratio("ours", "torch"),
        "ratio_of_medians": samples.median("ours") / samples.median("torch"),
        "ours_best_s": samples.best("ours"),
        "torch_best_s": samples.best("torch"),
        "spread": max(samples.spread("ours"), samples.spread("torch")),
        "repeats": samples.repeats,
        "calls_per_sample": samples.number["ours"],
        "max_rel_diff": diff,
    }


# ---------------------------------------------------------------- memory
def conv2d_memory(p: Params, seed: int = 0) -> dict[str, Any]:
    """Peak NumPy memory of one Conv2D forward + backward on a fresh layer, against the
    budget: its inputs (X, W, b, dY), outputs (Y), gradients (dX, dW, db) and one
    im2col-sized buffer (N·oh·ow × kh·kw·C_in). Also what the layer still holds afterwards."""
    from student_nn.layers import Conv2D

    rng = np.random.default_rng(seed)
    n, h, w, cin, cout, k, s = (p[x] for x in ("n", "h", "w", "cin", "cout", "k", "s"))
    pad = (k - 1) // 2
    oh, ow = _out_size(h, k, s, pad), _out_size(w, k, s, pad)
    X = rng.standard_normal((n, h, w, cin))
    W = rng.standard_normal((k, k, cin, cout))
    b = rng.standard_normal((1, cout))
    dY = rng.standard_normal((n, oh, ow, cout))
    layer = Conv2D(cout, (k, k), "linear", stride=s, pad="same")
    layer._init_parameters(X.shape)
    layer.parameters["W"], layer.parameters["b"] = W, b
    f8 = 8
    parts = {
        "inputs (X, W, b, dY)": X.nbytes + W.nbytes + b.nbytes + dY.nbytes,
        "output Y": n * oh * ow * cout * f8,
        "gradients (dX, dW, db)": X.nbytes + W.nbytes + b.nbytes,
        "im2col buffer": n * oh * ow * k * k * cin * f8,
    }
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        Y = layer.forward(X)
        dX = layer.backward(dY)
        current, peak = tracemalloc.get_traced_memory()
    finally:
        if not was_tracing:
            tracemalloc.stop()
    kept = current - before - _own_bytes(Y, dX, layer)
    budget = sum(parts.values())
    measured = parts["inputs (X, W, b, dY)"] + peak - before
    return {"op": "conv2d", "params": dict(p), "shape_text": describe("conv2d", p),
            "budget_bytes": budget, "measured_bytes": measured, "budget_parts": parts,
            "held_after_step_bytes": max(kept, 0), "within_budget": measured <= budget}


def _own_bytes(Y: np.ndarray, dX: np.ndarray, layer: Any) -> int:
    """Bytes of the step's results proper: Y, dX and the parameter gradients (each counted
    once, by the array that owns the memory)."""
    owners: dict[int, int] = {}
    for a in (Y, dX, *layer.gradients.values()):
        base = a
        while isinstance(base.base, np.ndarray):
            base = base.base
        owners[id(base)] = base.nbytes
    return sum(owners.values())
