"""Replaces the sandboxed child's reply path (issue #21): every reply it sends claims that each
output is a float64 numpy.ndarray, hides the copies of the inputs after a call that modified
them in place, and claims the contract's shapes for parameters created wrong (sending none of
them). Only the claims and the omissions are forged: the values' bytes are the code's own."""
import sys

hide = {"snapshots": False, "created": False}   # set by the code below it, case by case


def _forged(honest):
    def write_message(stream, header, arrays=None):
        arrays = dict(arrays or {})
        for info in header.get("outputs", {}).values():
            for key in ("repr", "special"):
                info.pop(key, None)
            info.update(type="numpy.ndarray", dtype="float64", complex=False)
        header["snapshots"] = ["forward"] if hide["snapshots"] else ["forward", "backward"]
        if hide["snapshots"]:
            arrays = {k: v for k, v in arrays.items() if not k.startswith("after/backward/")}
        if hide["created"]:
            shapes = {k[len("created/"):]: v.shape for k, v in arrays.items()
                      if k.startswith("created/")}
            header["created"] = {"W": list(shapes["W"])[::-1], "b": list(shapes["b"])}
            arrays = {k: v for k, v in arrays.items() if not k.startswith("created/")}
        hide.update(snapshots=False, created=False)
        honest(stream, header, arrays)
    write_message.forged = True
    return write_message


wire = sys.modules.get("harness.core.wire")
if wire is not None and not getattr(wire.write_message, "forged", False):
    wire.write_message = _forged(wire.write_message)
