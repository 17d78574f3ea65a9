"""The conventions a twin computes under, without the harness.

A twin is given one choice per convention (keyword ``conventions=``): any object with these
attributes, such as the harness's `harness.core.conventions.Conventions`; None means PyTorch's
own choices (`PYTORCH`). The twins read only these three; the harness's ``grad_shape`` is a
judging setting, not something the reference computes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class Conventions(Protocol):
    @property
    def maxpool_pad(self) -> str: ...     # "-inf" | "zero": what max pooling pads with

    @property
    def same_pad(self) -> str: ...        # "symmetric" | "asymmetric": pad="same"'s split

    @property
    def l2_reduction(self) -> str: ...    # "elements" | "batch": L2's mean over several columns


@dataclass(frozen=True)
class _Choices:
    maxpool_pad: str = "-inf"
    same_pad: str = "symmetric"
    l2_reduction: str = "elements"


PYTORCH: Conventions = _Choices()   # PyTorch's own: padding never wins a max, mse_loss's mean
