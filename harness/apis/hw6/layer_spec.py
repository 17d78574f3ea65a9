"""One layer of a whole model's ``layers`` parameter (``conv.3.3x3.1.same.relu``), parsed:
what it is, the op that checks it alone, and the contract's arguments that build it
(`harness.apis.hw6.model_cases` parses and draws them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class LayerSpec:
    """One token of a ``layers`` parameter."""

    kind: str                 # fc | conv | pool | flat
    n_out: int = 0
    act: str = "linear"
    k: tuple[int, int] = (1, 1)
    s: int = 1
    pad: object = 0
    mode: str = "max"

    @property
    def token(self) -> str:
        kk = f"{self.k[0]}x{self.k[1]}"
        return {"fc": f"fc.{self.n_out}.{self.act}",
                "conv": f"conv.{self.n_out}.{kk}.{self.s}.{self.pad}.{self.act}",
                "pool": f"pool.{self.mode}.{kk}.{self.s}.{self.pad}",
                "flat": "flat"}[self.kind]

    @property
    def op(self) -> str:
        """The registry op that checks this layer on its own."""
        return {"fc": "fully_connected", "conv": "conv2d", "flat": "flatten",
                "pool": f"pool2d_{self.mode}"}[self.kind]

    @property
    def cls(self) -> str:
        return {"fc": "FullyConnected", "conv": "Conv2D", "pool": "Pool2D",
                "flat": "Flatten"}[self.kind]

    @property
    def has_params(self) -> bool:
        return self.kind in ("fc", "conv")

    def layer_args(self) -> dict[str, Any]:
        """The contract's ``initialize_layer(**args)`` for this layer (every argument given,
        as the starter's `initialize_layer`, whose defaults are None, needs)."""
        if self.kind == "fc":
            return {"name": "fully_connected", "n_out": self.n_out, "activation": self.act,
                    "weight_init": "xavier_uniform"}
        if self.kind == "conv":
            return {"name": "conv2d", "n_out": self.n_out, "kernel_shape": self.k,
                    "activation": self.act, "stride": self.s, "pad": self.pad,
                    "weight_init": "xavier_uniform"}
        if self.kind == "pool":
            return {"name": "pool2d", "kernel_shape": self.k, "mode": self.mode,
                    "stride": self.s, "pad": self.pad}
        return {"name": "flatten", "keep_dim": "first"}

    def describe(self) -> str:
        """'Conv2D(n_out=3, kernel 3x2, stride 1, pad same, relu)' and the like."""
        if self.kind == "fc":
            return f"FullyConnected(n_out={self.n_out}, {self.act})"
        if self.kind == "conv":
            return (f"Conv2D(n_out={self.n_out}, kernel {self.k[0]}x{self.k[1]}, stride "
                    f"{self.s}, pad {self.pad}, {self.act})")
        if self.kind == "pool":
            return (f"Pool2D({self.mode}, kernel {self.k[0]}x{self.k[1]}, stride {self.s}, "
                    f"pad {self.pad})")
        return "Flatten()"
