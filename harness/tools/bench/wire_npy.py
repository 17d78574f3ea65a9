"""The wire's hand-written .npy code against `numpy.lib.format`, side by side.

harness/core/wire.py writes and reads the version 1.0 .npy header of a numeric array
itself (`_npy`, `_from_npy`). This times, in the same interleaved loop, those two against
NumPy's own: `write_array`, and reading either with `read_magic` +
`read_array_header_1_0(max_header_size=...)` + `np.frombuffer` (a view, as `_from_npy`
gives) or with `read_array` (a copy). Arrays of the sizes the child really sends (a scalar,
which goes over as shape (1,), (2, 3), (4, 8, 8, 3), (32, 16, 16, 8)), then whole messages
(`write_message` + `read_message`) with either .npy code in place. Every contender's result
is compared with the hand-written one's before timing.

    python -m harness.tools.bench.wire_npy [--repeats N]

Prints seconds per call and the ratios numpy.lib.format / hand-written (above 1: NumPy's
code is slower). Not part of ``nnparity bench``; a measurement behind a design decision.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import numpy as np
from numpy.lib import format as npformat

from harness.core import wire
from harness.tools.bench.timing import interleaved, load_average

# Arrays of the sizes the child sends (float64, as the cases' inputs and outputs are).
SIZES: dict[str, tuple[int, ...]] = {
    "scalar": (), "(2,3)": (2, 3), "(4,8,8,3)": (4, 8, 8, 3), "(32,16,16,8)": (32, 16, 16, 8),
}
# The longest .npy header NumPy may parse here: a version 1.0 header of a numeric array is
# under 128 bytes; the limit stops a forged one from making the parser work on megabytes.
MAX_NPY_HEADER = 1024


def library_npy(arr: np.ndarray) -> bytes:
    """`wire._npy` done by numpy.lib.format."""
    buf = io.BytesIO()
    npformat.write_array(buf, arr, version=(1, 0), allow_pickle=False)
    return buf.getvalue()


def library_from_npy(blob: bytearray) -> np.ndarray | None:
    """`wire._from_npy` done by numpy.lib.format: its header parser, then a view of `blob`."""
    fp = io.BytesIO(bytes(blob[:10 + MAX_NPY_HEADER]))
    if npformat.read_magic(fp) != (1, 0):
        return None
    shape, fortran_order, dtype = npformat.read_array_header_1_0(
        fp, max_header_size=MAX_NPY_HEADER)
    if dtype.kind not in wire.NUMERIC or dtype.fields:
        return None
    count = int(np.prod(shape, dtype=np.int64))
    offset = fp.tell()
    if len(blob) != offset + count * dtype.itemsize:
        raise wire.WireError("an array's data does not fit its .npy header")
    arr = np.frombuffer(blob, dtype=dtype, count=count, offset=offset)
    return arr.reshape(shape, order="F" if fortran_order else "C")


def library_read_array(blob: bytearray) -> np.ndarray:
    """The whole read by `numpy.lib.format.read_array` (it copies the data)."""
    return npformat.read_array(io.BytesIO(blob), allow_pickle=False,
                               max_header_size=MAX_NPY_HEADER)


@contextlib.contextmanager
def npy_code(write: Callable[[np.ndarray], bytes],
             read: Callable[[bytearray], np.ndarray | None]) -> Iterator[None]:
    """wire.write_message and wire.read_message with `write` and `read` as their .npy code."""
    saved = wire._npy, wire._from_npy
    for name, code in (("_npy", write), ("_from_npy", read)):
        setattr(wire, name, code)   # (mypy rejects assigning to a function)
    try:
        yield
    finally:
        wire._npy, wire._from_npy = saved


def messages(rng: np.random.Generator) -> dict[str, tuple[dict[str, Any],
                                                         dict[str, np.ndarray]]]:
    """A small case's request, a batch of 16 such cases, and a large case's answer."""
    def case(prefix: str = "") -> dict[str, np.ndarray]:
        return {f"{prefix}{name}": rng.standard_normal(shape)
                for name, shape in (("lr", ()), ("W", (2, 3)), ("X", (4, 8, 8, 3)),
                                    ("dY", (4, 8, 8, 3)))}
    run = {"op": "conv2d", "case_id": "conv2d/n=4,seed=1", "params": {"stride": 1, "pad": 1}}
    large = {name: rng.standard_normal((32, 16, 16, 8)) for name in ("forward", "dX")}
    return {
        "one small case": ({"cmd": "run", **run}, case()),
        "batch of 16 small cases": ({"cmd": "batch", "runs": [run] * 16},
                                    {k: v for i in range(16) for k, v in case(f"{i}/").items()}),
        "one (32,16,16,8) answer": ({"ok": True, "note": ""}, large),
    }


def _round_trip(header: dict[str, Any], arrays: dict[str, np.ndarray]
                ) -> Callable[[], tuple[dict[str, Any], dict[str, np.ndarray]]]:
    def step():
        buf = io.BytesIO()
        wire.write_message(buf, header, arrays)
        buf.seek(0)
        return wire.read_message(buf)
    return step


def _under(code: tuple[Callable, Callable], fn: Callable[[], Any]) -> Callable[[], Any]:
    def step():
        with npy_code(*code):
            return fn()
    return step


T = TypeVar("T")
R = TypeVar("R")


def _call(fn: Callable[[T], R], arg: T) -> Callable[[], R]:
    """``fn(arg)``, to be called later (a contender)."""
    return lambda: fn(arg)


def _same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    return a.keys() == b.keys() and all(a[k].dtype == b[k].dtype and a[k].shape == b[k].shape
                                        and np.array_equal(a[k], b[k]) for k in a)


def measure(repeats: int = 15, warmup: int = 3, min_sample_s: float = 0.005,
            seed: int = 0) -> dict[str, Any]:
    """Seconds per call of each contender and the ratios library / hand-written."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []

    def add(kind: str, what: str, contenders: dict[str, Callable[[], Any]]) -> None:
        samples = interleaved(contenders, repeats, warmup, min_sample_s)
        row: dict[str, Any] = {"kind": kind, "what": what}
        for name in contenders:
            row[f"{name}_s"] = samples.median(name)
            if name != "hand":
                row[f"{name}/hand"] = samples.paired_ratio(name, "hand")
        rows.append(row)

    for label, shape in SIZES.items():
        arr = np.ascontiguousarray(rng.standard_normal(shape))   # as write_message sends it
        blob = bytearray(wire._npy(arr))
        if library_npy(arr) != bytes(blob):
            raise AssertionError(f"numpy.lib.format writes {label} differently")
        for read in (library_from_npy, library_read_array):
            hand_read, library_read = wire._from_npy(bytearray(blob)), read(bytearray(blob))
            if hand_read is None or library_read is None \
                    or not _same({"a": hand_read}, {"a": library_read}):
                raise AssertionError(f"{read.__name__} reads {label} differently")
        add("write", label, {"hand": _call(wire._npy, arr),
                             "write_array": _call(library_npy, arr)})
        add("read", label, {"hand": _call(wire._from_npy, blob),
                            "header_1_0": _call(library_from_npy, blob),
                            "read_array": _call(library_read_array, blob)})

    hand = (wire._npy, wire._from_npy)
    library = (library_npy, library_from_npy)
    for label, (header, arrays) in messages(rng).items():
        step = _round_trip(header, arrays)
        expected = _under(hand, step)()[1]
        if not _same(expected, _under(library, step)()[1]):
            raise AssertionError(f"the library's round trip of {label} differs")
        size = len(_sent(header, arrays))
        add("message", f"{label}, {len(arrays)} arrays, {size / 1024:.0f} KiB",
            {"hand": _under(hand, step), "header_1_0": _under(library, step)})
    machine = (f"Python {platform.python_version()}, NumPy {np.__version__}, "
               f"{os.cpu_count()} cores, load average {load_average()}")
    return {"machine": machine, "repeats": repeats, "warmup": warmup, "rows": rows}


def _sent(header: dict[str, Any], arrays: dict[str, np.ndarray]) -> bytes:
    buf = io.BytesIO()
    wire.write_message(buf, header, arrays)
    return buf.getvalue()


def table(result: dict[str, Any]) -> str:
    """The measurement as a Markdown table: µs per call and library / hand-written."""
    from tabulate import tabulate

    def us(row: dict[str, Any], name: str) -> str:
        return f"{row[name + '_s'] * 1e6:.1f}" if name + "_s" in row else ""

    def ratio(row: dict[str, Any], name: str) -> str:
        return f"{row[name + '/hand']:.2f}×" if name + "/hand" in row else ""

    body = [[r["kind"], r["what"], us(r, "hand"),
             us(r, "write_array") or us(r, "header_1_0"),
             ratio(r, "write_array") or ratio(r, "header_1_0"),
             us(r, "read_array"), ratio(r, "read_array")] for r in result["rows"]]
    heads = ["", "array / message", "hand-written µs",
             "numpy.lib.format µs (write_array | header_1_0 + frombuffer)", "ratio",
             "read_array µs", "ratio"]
    return (f"{result['machine']}; median of {result['repeats']} interleaved repeats; "
            "ratio = median over repeats of library/hand-written, measured back to back.\n\n"
            + tabulate(body, heads, tablefmt="github"))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m harness.tools.bench.wire_npy",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=15)
    args = p.parse_args(argv)
    print(table(measure(repeats=args.repeats)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
