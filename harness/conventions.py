"""Named conventions: the points where the homework and PyTorch legitimately differ.

A `Conventions` is one concrete choice for each point; the reference twins compute with one.
A `Profile` says which choices a verdict accepts: the comparison tries the reference's own
choice first and then each alternative, so a report can say "matches under maxpool_pad=zero".
This module is the one place where conventions and profiles are defined.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from itertools import product


@dataclass(frozen=True)
class Conventions:
    """One concrete choice per convention.

    maxpool_pad: value that max pooling pads with: "-inf" (PyTorch: padding never wins)
        or "zero" (np.pad's default, which most submissions use).
    grad_shape: "exact" (gradients have exactly the parameter's shape) or "broadcast"
        (e.g. db of shape (n,) for b of shape (1, n): trains fine, but is not the contract).
    same_pad: "symmetric" ((k-1)//2 on both sides, the homework's) or "asymmetric"
        (TensorFlow's "SAME": the extra row/column goes to the bottom/right).
    """

    maxpool_pad: str = "-inf"
    grad_shape: str = "exact"
    same_pad: str = "symmetric"

    def describe(self) -> str:
        return ", ".join(f"{f.name}={getattr(self, f.name)}" for f in fields(self))


CHOICES = {
    "maxpool_pad": ("-inf", "zero"),
    "grad_shape": ("exact", "broadcast"),
    "same_pad": ("symmetric", "asymmetric"),
}


@dataclass(frozen=True)
class Profile:
    """The conventions a verdict accepts; the first choice of each is the preferred one."""

    name: str
    maxpool_pad: tuple[str, ...]
    grad_shape: tuple[str, ...]
    same_pad: tuple[str, ...]

    @property
    def preferred(self) -> Conventions:
        return Conventions(self.maxpool_pad[0], self.grad_shape[0], self.same_pad[0])

    def alternatives(self) -> list[Conventions]:
        """Every accepted combination except `preferred`, in order of preference."""
        combos = product(self.maxpool_pad, self.grad_shape, self.same_pad)
        return [Conventions(*c) for c in combos][1:]

    def accepts(self, conv: Conventions) -> bool:
        return all(getattr(conv, f.name) in getattr(self, f.name) for f in fields(conv))

    def describe(self) -> str:
        parts = [f"{k}={'|'.join(getattr(self, k))}" for k in CHOICES]
        return f"{self.name} ({', '.join(parts)})"


PROFILES = {
    # What the homework accepts: either max-pool padding, broadcast-equal gradient shapes
    # (passed with a warning), symmetric "same".
    "homework": Profile("homework", ("-inf", "zero"), ("exact", "broadcast"), ("symmetric",)),
    # PyTorch's semantics and the contract to the letter.
    "strict": Profile("strict", ("-inf",), ("exact",), ("symmetric",)),
}
DEFAULT_PROFILE = PROFILES["homework"]


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(
            f"unknown conventions profile {name!r}; choose one of {sorted(PROFILES)}") from None


def flipped(conv: Conventions, name: str) -> Conventions:
    """`conv` with convention `name` switched to its other choice (used by diagnosis)."""
    a, b = CHOICES[name]
    return replace(conv, **{name: b if getattr(conv, name) == a else a})
