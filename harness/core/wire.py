"""The wire format between the parent and the sandboxed child: JSON headers and .npy arrays.

A message is an 8-byte little-endian header length, a UTF-8 JSON header, then the arrays
named in ``header["arrays"]`` as ``[name, nbytes]`` pairs, each a complete .npy file written
with ``allow_pickle=False``: only plain numeric arrays cross the boundary, never objects.

Numeric arrays (booleans, integers, floats, complex) are written and read here directly
(`_npy`, `_from_npy`); anything else goes through `np.save` and `np.load` with
``allow_pickle=False``, which refuse objects. Why not `numpy.lib.format` for the numeric ones
too: it builds every header as a dict's repr, parses it with `ast.literal_eval`, and writes
through `np.nditer`. Measured
by ``python -m harness.tools.bench.wire_npy`` (NumPy 2.4.6, Python 3.11, 2 loaded cores; three runs
of 15 interleaved repeats): per array of the sizes the child sends (a scalar, (2,3),
(4,8,8,3)) it wrote 3.5-7.7x and read 2.8-5.5x slower (1-15 µs here, 4-57 µs there), and whole
messages of case size round-tripped 2.2-3.9x slower (one small case, 13 KiB: 54-86 µs against
136-400 µs; a batch of 16, 203 KiB: 0.7-1.3 ms against 1.8-2.3 ms); only a 1 MiB answer of two
(32,16,16,8) arrays, where copying the data is the cost, came out even (0.9-1.9x), and
`read_array`, which copies what `_from_npy` views, read one such array 130-260x slower.
The hand-written reader accepts nothing but the strict header `_NPY_HEADER` matches (numeric
descr, C or Fortran order, integer shape) and checks the data's length against it; any other
.npy goes to `np.load`, which keeps NumPy's own header-size limit.
"""

from __future__ import annotations

import io
import json
import re
import struct
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

if TYPE_CHECKING:   # (the sandboxed child imports this module: no more than it needs)
    from harness.core.report import JSONObject

_LEN = struct.Struct("<Q")
# What one message's header may hold: far above an honest one (a batch request of 64 cases is
# about 40 KB, the largest answer about 15 KB), far below what would cost the parent memory.
MAX_HEADER = 1024 * 1024
# Characters of one string a header may carry into the parent; the rest is cut, with a note
# (the child itself keeps 1,000 of a message and 4,000 of a traceback).
MAX_TEXT = 4000
# What one message's arrays may add up to: far above any case's outputs (kilobytes to a few
# megabytes), far below what would make the parent hold a submission's gigabytes.
MAX_ARRAY_BYTES = 256 * 1024 * 1024
NUMERIC = "biufc"
_MAGIC = b"\x93NUMPY\x01\x00"
_NPY_HEADER = re.compile(r"\{'descr': '([<>|=]?[biufc]\d+)', 'fortran_order': (True|False), "
                         r"'shape': \(((?:\d+, ?)*\d*)\), \} *\n")


class WireError(RuntimeError):
    """The other side closed the stream or sent something that is not a message."""


def write_message(stream: BinaryIO, header: Mapping[str, object],
                  arrays: dict[str, np.ndarray] | None = None) -> None:
    """Send `header` (what `json.dumps` writes: JSON values, and tuples as lists, such as a
    request's constructor arguments; anything else raises TypeError) and `arrays`."""
    blobs = []
    for name, arr in (arrays or {}).items():
        arr = np.asarray(arr)
        if not arr.flags.c_contiguous:   # (np.ascontiguousarray would make a 0-d array 1-d)
            arr = arr.copy(order="C")
        if arr.dtype.kind in NUMERIC and not arr.dtype.fields:
            blobs.append((name, _npy(arr)))
            continue
        buf = io.BytesIO()
        np.save(buf, arr, allow_pickle=False)
        blobs.append((name, buf.getvalue()))
    head = json.dumps({**header, "arrays": [[n, len(b)] for n, b in blobs]}).encode()
    stream.write(_LEN.pack(len(head)) + head)
    for _, blob in blobs:
        stream.write(blob)
    stream.flush()


def _npy(arr: np.ndarray) -> bytes:
    """A C-ordered numeric array as a version 1.0 .npy file (what np.save writes)."""
    header = (f"{{'descr': '{arr.dtype.str}', 'fortran_order': False, "
              f"'shape': {tuple(arr.shape)!r}, }}")
    pad = -(len(_MAGIC) + 2 + len(header) + 1) % 64
    header += " " * pad + "\n"
    return _MAGIC + struct.pack("<H", len(header)) + header.encode("latin1") + arr.tobytes()


def _from_npy(blob: bytearray) -> np.ndarray | None:
    """The numeric array of a version 1.0 .npy file, as a writeable view of `blob`; None for
    any other .npy (np.load reads those)."""
    if not blob.startswith(_MAGIC) or len(blob) < 10:
        return None
    (size,) = struct.unpack_from("<H", blob, 8)
    m = _NPY_HEADER.fullmatch(bytes(blob[10:10 + size]).decode("latin1"))
    if m is None:
        return None
    dtype = np.dtype(m.group(1))
    shape = tuple(int(x) for x in m.group(3).replace(" ", "").split(",") if x)
    count = int(np.prod(shape, dtype=np.int64))
    if len(blob) != 10 + size + count * dtype.itemsize:
        raise WireError("an array's data does not fit its .npy header")
    arr = np.frombuffer(blob, dtype=dtype, count=count, offset=10 + size)
    return arr.reshape(shape, order="F" if m.group(2) == "True" else "C")


def _read_exact(stream: BinaryIO, n: int) -> bytearray:
    data = bytearray()  # appending to a bytearray is amortised O(1); to bytes, O(n) each time
    while len(data) < n:
        chunk = stream.read(n - len(data))
        if not chunk:
            raise WireError("stream closed")
        data += chunk
    return data


def _text_only(value: Any) -> Any:
    """`value` with every string valid Unicode and at most MAX_TEXT characters: a lone
    surrogate (from bytes a submission put in a message or a file name) becomes its
    backslash escape, so that nothing downstream (files, the terminal, JSON) fails on it; a
    longer string keeps its start and says how much was cut."""
    if isinstance(value, str):
        return _capped(value if value.isascii() else
                       value.encode("utf-8", "backslashreplace").decode("utf-8"))
    if isinstance(value, dict):
        return {_text_only(k): _text_only(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_text_only(v) for v in value]
    return value


def _capped(text: str) -> str:
    if len(text) <= MAX_TEXT:
        return text
    return f"{text[:MAX_TEXT]}… {len(text[MAX_TEXT:].encode())} bytes cut"


def read_message(stream: BinaryIO) -> tuple[JSONObject, dict[str, np.ndarray]]:
    (size,) = _LEN.unpack(_read_exact(stream, _LEN.size))
    if size > MAX_HEADER:
        raise WireError(f"header of {size} bytes is too large")
    try:
        header = _text_only(json.loads(_read_exact(stream, size)))
    except (ValueError, RecursionError) as exc:   # RecursionError: nested a million deep
        raise WireError(f"malformed header: {type(exc).__name__}: {exc}"[:200]) from None
    if not isinstance(header, dict) or not isinstance(header.get("arrays", []), list):
        raise WireError("malformed header: not a JSON object with a list of arrays")
    arrays, total = {}, 0
    for entry in header.pop("arrays", []):
        try:
            name, nbytes = str(entry[0]), int(entry[1])
            total += nbytes
            if nbytes < 0 or total > MAX_ARRAY_BYTES:   # a protocol error, not an allocation
                raise WireError(f"arrays of {total} bytes announced: more than the "
                                f"{MAX_ARRAY_BYTES} a message may carry")
            blob = _read_exact(stream, nbytes)
            fast = _from_npy(blob)
            arrays[name] = fast if fast is not None else np.load(io.BytesIO(blob),
                                                                  allow_pickle=False)
        except (ValueError, TypeError, IndexError, KeyError) as exc:
            raise WireError(f"array {entry!r:.80} is not a plain .npy array: {exc}") from None
    return header, arrays
