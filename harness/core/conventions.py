"""Named conventions: the points where the homework and PyTorch legitimately differ.

A `Conventions` is one concrete choice for each point; the reference twins compute with one.
A `Profile` says which choices a verdict accepts: the comparison tries the reference's own
choice first and then each alternative, so a report can say "matches under maxpool_pad=zero".
A profile also says which cases *beyond the assignment's contract* it asks for (`EXTENSIONS`,
e.g. L2 on targets of several columns, where the choice of l2_reduction shows); without one,
cases stay inside the contract. A profile also says what a verdict does with an op whose
returned values are right but which modified one of its inputs in place (`IN_PLACE`): that is
no convention (the reference computes the same either way), but a judging setting. This module
is the one place where conventions, profiles, extensions and judging settings are defined.
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
    l2_reduction: "elements" (the mean over all elements of (Y - Y_hat)², PyTorch's
        mse_loss) or "batch" (the sum over columns, averaged over the batch). The contract's
        targets have shape (batch_size, 1), where the two are the same; they differ only on
        targets of several columns, which are beyond the contract (extension l2_columns).
    """

    maxpool_pad: str = "-inf"
    grad_shape: str = "exact"
    same_pad: str = "symmetric"
    l2_reduction: str = "elements"

    def describe(self) -> str:
        return ", ".join(f"{f.name}={getattr(self, f.name)}" for f in fields(self))


# Every convention and its choices; the first is the reference's (PyTorch's) own.
CHOICES: dict[str, tuple[str, ...]] = {
    "maxpool_pad": ("-inf", "zero"),
    "grad_shape": ("exact", "broadcast"),
    "same_pad": ("symmetric", "asymmetric"),
    "l2_reduction": ("elements", "batch"),
}


@dataclass(frozen=True)
class InPlace:
    """What a verdict does with an op whose returned values are right but which modified one
    of its inputs in place (wrong returned values fail either way, the change as a note)."""

    passes: bool    # pass with a warning naming the input, or fail
    why: str


# A profile's `inputs_in_place` setting: its choices.
IN_PLACE: dict[str, InPlace] = {
    "fail": InPlace(False, "the contract leaves an op's inputs untouched"),
    "warn": InPlace(True, "the course's pipelines do not read an upstream gradient (dY) again "
                          "after backward; a layer that reads its input again (the cached Z) "
                          "is checked with the implementation's own activation, so harm done "
                          "there shows in the layer's items"),
}


@dataclass(frozen=True)
class Extension:
    """Cases beyond the contract: `options` go to `op`'s case family (its `fixed` params)."""

    op: str
    options: dict[str, int | str]   # case parameters (harness.core.cases.ParamValue)
    text: str


# Cases beyond the contract that a profile may ask for, by name.
EXTENSIONS: dict[str, Extension] = {
    "l2_columns": Extension(
        op="l2", options={"max_classes": 7},
        text="L2 on targets of 1-7 columns (the starter's contract is (batch_size, 1))"),
}


@dataclass(frozen=True)
class Profile:
    """The conventions a verdict accepts (the first choice of each is the preferred one), the
    extensions beyond the contract whose cases it checks, and what it does with inputs
    modified in place (`IN_PLACE`)."""

    name: str
    maxpool_pad: tuple[str, ...]
    grad_shape: tuple[str, ...]
    same_pad: tuple[str, ...]
    l2_reduction: tuple[str, ...]
    extensions: tuple[str, ...] = ()
    inputs_in_place: str = "fail"

    def __post_init__(self) -> None:
        for key, choices in CHOICES.items():
            accepted = getattr(self, key)
            if not accepted or not set(accepted) <= set(choices):
                raise ValueError(f"profile {self.name!r}: {key} must be some of {choices}, "
                                 f"not {accepted}")
        unknown = set(self.extensions) - set(EXTENSIONS)
        if unknown:
            raise ValueError(f"profile {self.name!r}: unknown extensions {sorted(unknown)}; "
                             f"known: {sorted(EXTENSIONS)}")
        if self.inputs_in_place not in IN_PLACE:
            raise ValueError(f"profile {self.name!r}: inputs_in_place must be one of "
                             f"{sorted(IN_PLACE)}, not {self.inputs_in_place!r}")

    @property
    def preferred(self) -> Conventions:
        return Conventions(**{k: getattr(self, k)[0] for k in CHOICES})

    def alternatives(self) -> list[Conventions]:
        """Every accepted combination except `preferred`, in order of preference."""
        combos = product(*(getattr(self, k) for k in CHOICES))
        return [Conventions(**dict(zip(CHOICES, c, strict=True))) for c in combos][1:]

    def accepts(self, conv: Conventions) -> bool:
        return all(getattr(conv, f.name) in getattr(self, f.name) for f in fields(conv))

    def case_options(self, op: str) -> dict[str, int | str]:
        """The options this profile's extensions hand to `op`'s case family (usually none)."""
        out: dict[str, int | str] = {}
        for name in self.extensions:
            if EXTENSIONS[name].op == op:
                out.update(EXTENSIONS[name].options)
        return out

    def describe(self) -> str:
        parts = [f"{k}={'|'.join(getattr(self, k))}" for k in CHOICES]
        parts.append(f"inputs_in_place={self.inputs_in_place}")
        beyond = (f"; beyond the contract: {', '.join(self.extensions)}"
                  if self.extensions else "")
        return f"{self.name} ({', '.join(parts)}{beyond})"


PROFILES = {
    # What the homework accepts: either max-pool padding, broadcast-equal gradient shapes
    # (passed with a warning), symmetric "same", either L2 reduction (the same on the
    # contract's (batch_size, 1) targets, the only ones this profile generates); an input
    # modified in place passes with a warning when the returned values are right.
    "homework": Profile("homework", ("-inf", "zero"), ("exact", "broadcast"), ("symmetric",),
                        ("elements", "batch"), inputs_in_place="warn"),
    # PyTorch's semantics and the contract to the letter, plus PyTorch parity beyond the
    # contract: L2 over several columns is the mean over all elements; an input modified in
    # place fails.
    "strict": Profile("strict", ("-inf",), ("exact",), ("symmetric",), ("elements",),
                      extensions=("l2_columns",), inputs_in_place="fail"),
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
