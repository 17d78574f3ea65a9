"""CTC: the forward-backward algorithm over a target with blanks, and the CTC loss.

A target s (L,) is extended with blanks, ext = [∅, s1, ∅, s2, …, sL, ∅] (S = 2L + 1), and
skip_connect[r] = 1 where ext[r] is a symbol unlike ext[r − 2] (a path may jump the blank
between two different symbols, never between repeats). logits y (T, C) are probabilities.

    α[0, r] = y[0, ext[r]] for r < 2, else 0
    α[t, r] = (α[t−1, r] + α[t−1, r−1] + skip[r]·α[t−1, r−2]) · y[t, ext[r]]
    β[T−1, r] = 1 for r ≥ S − 2, else 0                         (β[t] excludes y[t])
    β[t, r] = Σ_{r' ∈ {r, r+1} ∪ {r+2 if skip[r+2]}} y[t+1, ext[r']] · β[t+1, r']
    γ[t, r] = α[t, r] β[t, r] / Σ_r' α[t, r'] β[t, r']

CTCLoss over a batch, logits (T, B, C), each sequence cut to its input and target lengths:
the mean over the batch of the expected divergence  −Σ_t Σ_r γ[t, r] log y[t, ext[r]], and

    dY[t, b, c] = −Σ_{r: ext[r] = c} γ[t, r] / y[t, c]   (t < input_length; 0 after)

(dY is not divided by the batch size.)
"""

from __future__ import annotations

import numpy as np


def shifted(a: np.ndarray, by: int) -> np.ndarray:
    """a[..., r − by] at r, zeros where r < by (by < 0: a[..., r − by], zeros at the end)."""
    out = np.zeros_like(a)
    if by > 0:
        out[..., by:] = a[..., :-by]
    else:
        out[..., :by] = a[..., -by:]
    return out


class CTC:
    def __init__(self, BLANK: int = 0) -> None:  # noqa: N803 - the handout's name
        self.BLANK = BLANK

    def extend_target_with_blank(self, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        target = np.asarray(target).reshape(-1)
        extended_symbols = np.full(2 * len(target) + 1, self.BLANK, dtype=int)
        extended_symbols[1::2] = target
        skip_connect = np.zeros(len(extended_symbols), dtype=int)
        skip_connect[3::2] = target[1:] != target[:-1]
        return extended_symbols, skip_connect

    def get_forward_probs(self, logits: np.ndarray, extended_symbols: np.ndarray,
                          skip_connect: np.ndarray) -> np.ndarray:
        y = logits[:, extended_symbols]                  # (T, S): y[t, ext[r]]
        alpha = np.zeros_like(y, dtype=float)
        alpha[0, :2] = y[0, :2]
        for t in range(1, len(y)):
            a = alpha[t - 1]
            alpha[t] = (a + shifted(a, 1) + skip_connect * shifted(a, 2)) * y[t]
        return alpha

    def get_backward_probs(self, logits: np.ndarray, extended_symbols: np.ndarray,
                           skip_connect: np.ndarray) -> np.ndarray:
        y = logits[:, extended_symbols]
        beta = np.zeros_like(y, dtype=float)
        beta[-1, -2:] = 1
        for t in range(len(y) - 2, -1, -1):
            b = beta[t + 1] * y[t + 1]
            beta[t] = b + shifted(b, -1) + shifted(skip_connect * b, -2)
        return beta

    def get_posterior_probs(self, alpha: np.ndarray, beta: np.ndarray) -> np.ndarray:
        gamma = alpha * beta
        return gamma / gamma.sum(axis=1, keepdims=True)


class CTCLoss:
    def __init__(self, BLANK: int = 0) -> None:  # noqa: N803 - the handout's name
        self.BLANK = BLANK
        self.ctc = CTC(BLANK)

    def __call__(self, logits: np.ndarray, target: np.ndarray, input_lengths: np.ndarray,
                 target_lengths: np.ndarray) -> float:
        return self.forward(logits, target, input_lengths, target_lengths)

    def forward(self, logits: np.ndarray, target: np.ndarray, input_lengths: np.ndarray,
                target_lengths: np.ndarray) -> float:
        self.logits, self.input_lengths = logits, input_lengths
        self.gammas, self.extended_symbols = [], []
        B = target.shape[0]
        total_loss = np.zeros(B)
        for b in range(B):
            y = logits[:input_lengths[b], b]
            ext, skip = self.ctc.extend_target_with_blank(target[b, :target_lengths[b]])
            gamma = self.ctc.get_posterior_probs(self.ctc.get_forward_probs(y, ext, skip),
                                                 self.ctc.get_backward_probs(y, ext, skip))
            self.gammas.append(gamma)
            self.extended_symbols.append(ext)
            total_loss[b] = -np.sum(gamma * np.log(y[:, ext]))
        return float(np.sum(total_loss) / B)

    def backward(self) -> np.ndarray:
        dY = np.zeros_like(self.logits, dtype=float)
        for b, (gamma, ext) in enumerate(zip(self.gammas, self.extended_symbols, strict=True)):
            T = self.input_lengths[b]
            # Σ over the positions r holding each symbol c: scatter-add into column ext[r]
            np.add.at(dY[:T, b], (slice(None), ext), -gamma / self.logits[:T, b][:, ext])
        return dY
