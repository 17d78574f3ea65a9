"""What an implementation returned reaches the judge as it was returned: a 0-d array stays
0-d across the wire, and an array a later call writes into keeps the value it was returned
with."""

from __future__ import annotations

import io

import numpy as np

from harness.core import wire
from harness.core.driver import run_op
from harness.core.opspec import Methods


def test_the_wire_keeps_a_0d_array_0d_and_a_transposed_one_as_it_is() -> None:
    stream = io.BytesIO()
    sent = {"scalar": np.array(1.5), "numpy_scalar": np.float64(2.0),
            "transposed": np.arange(6.0).reshape(2, 3).T}
    wire.write_message(stream, {"cmd": "x"}, sent)
    stream.seek(0)
    _, got = wire.read_message(stream)
    assert got["scalar"].shape == () and got["scalar"] == 1.5
    assert got["numpy_scalar"].shape == ()
    np.testing.assert_array_equal(got["transposed"], sent["transposed"])


class _ReusesItsOutput:
    """A ReLU whose backward writes its mask into the array forward returned."""

    def forward(self, Z: np.ndarray) -> np.ndarray:
        self.A = np.maximum(Z, 0)
        return self.A

    def backward(self, dLdA: np.ndarray) -> np.ndarray:
        self.A[self.A > 0] = 1
        return dLdA * self.A


def test_an_output_a_later_call_writes_into_is_judged_as_it_was_returned() -> None:
    Z = np.array([[2.0, -1.0, 3.0]])
    run = run_op("object", _ReusesItsOutput, {}, {"Z": Z, "dLdA": np.ones_like(Z)},
                 ("forward", "dX"), methods=Methods(forward=("Z",), backward=("dLdA",)))
    np.testing.assert_array_equal(run.outputs["forward"], [[2.0, 0.0, 3.0]])
    np.testing.assert_array_equal(run.outputs["dX"], [[1.0, 0.0, 1.0]])
