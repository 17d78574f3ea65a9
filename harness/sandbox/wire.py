"""The wire format between the parent and the sandboxed child: JSON headers and .npy arrays.

A message is an 8-byte little-endian header length, a UTF-8 JSON header, then the arrays
named in ``header["arrays"]`` as ``[name, nbytes]`` pairs, each a complete .npy file written
with ``allow_pickle=False``: only plain numeric arrays cross the boundary, never objects.
"""

from __future__ import annotations

import io
import json
import struct
from typing import Any, BinaryIO

import numpy as np

_LEN = struct.Struct("<Q")
MAX_HEADER = 64 * 1024 * 1024


class WireError(RuntimeError):
    """The other side closed the stream or sent something that is not a message."""


def write_message(stream: BinaryIO, header: dict[str, Any],
                  arrays: dict[str, np.ndarray] | None = None) -> None:
    blobs = []
    for name, arr in (arrays or {}).items():
        buf = io.BytesIO()
        np.save(buf, np.ascontiguousarray(arr), allow_pickle=False)
        blobs.append((name, buf.getvalue()))
    head = json.dumps({**header, "arrays": [[n, len(b)] for n, b in blobs]}).encode()
    stream.write(_LEN.pack(len(head)) + head)
    for _, blob in blobs:
        stream.write(blob)
    stream.flush()


def _read_exact(stream: BinaryIO, n: int) -> bytes:
    data = bytearray()  # appending to a bytearray is amortised O(1); to bytes, O(n) each time
    while len(data) < n:
        chunk = stream.read(n - len(data))
        if not chunk:
            raise WireError("stream closed")
        data += chunk
    return bytes(data)


def read_message(stream: BinaryIO) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    (size,) = _LEN.unpack(_read_exact(stream, _LEN.size))
    if size > MAX_HEADER:
        raise WireError(f"header of {size} bytes is too large")
    try:
        header = json.loads(_read_exact(stream, size))
    except ValueError as exc:
        raise WireError(f"malformed header: {exc}") from None
    arrays = {}
    for name, nbytes in header.pop("arrays", []):
        blob = _read_exact(stream, int(nbytes))
        try:
            arrays[name] = np.load(io.BytesIO(blob), allow_pickle=False)
        except ValueError as exc:
            raise WireError(f"array {name!r} is not a plain .npy array: {exc}") from None
    return header, arrays
