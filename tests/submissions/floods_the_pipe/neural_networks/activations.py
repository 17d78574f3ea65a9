"""ReLU.forward finds the sandboxed child's private protocol pipe (the writable pipe that is
not its output pipe) and writes into it a header announcing a 10 TB array, then 64 MB of
zeros: the parent must refuse the message before allocating anything (a protocol error that
costs this op, never the batch or the parent's memory). Otherwise correct."""
import json
import os
import stat
import struct

from student_nn import activations as base
from student_nn.activations import *  # noqa: F401,F403


def _protocol_pipe() -> int | None:
    printed = os.fstat(2).st_ino
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            info = os.fstat(fd)
            with open(f"/proc/self/fdinfo/{fd}") as f:
                flags = int(f.read().split("flags:")[1].split()[0], 8)
        except (OSError, IndexError, ValueError):
            continue
        if stat.S_ISFIFO(info.st_mode) and flags & os.O_WRONLY and info.st_ino != printed:
            return fd
    return None


class ReLU(base.ReLU):
    def forward(self, Z):
        fd = _protocol_pipe()
        if fd is not None:
            head = json.dumps({"outputs": {}, "errors": {},
                               "arrays": [["out/forward", 10 * 1024 ** 4]]}).encode()
            os.write(fd, struct.pack("<Q", len(head)) + head)
            zeros = bytes(1 << 20)
            for _ in range(64):
                os.write(fd, zeros)
        return super().forward(Z)
