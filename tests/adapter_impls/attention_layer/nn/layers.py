"""A library's attention layer as a class, for tests/test_attention_api.py's adapter:
``forward(q, k, v, mask)`` returns the output and keeps what backward needs;
``backward(dout)`` returns dq and leaves dk and dv in attributes. mask: True = may attend."""

import numpy as np


class Attention:
    def __init__(self):
        self.cache = None
        self.dk = self.dv = None

    def forward(self, q, k, v, mask):
        scale = 1.0 / np.sqrt(q.shape[-1])
        scores = np.einsum("nqd,nkd->nqk", q, k) * scale
        scores = np.where(mask, scores, -1e9)
        scores = scores - scores.max(axis=-1, keepdims=True)
        weights = np.exp(scores)
        weights /= weights.sum(axis=-1, keepdims=True)
        self.cache = (q, k, v, weights, scale)
        return np.einsum("nqk,nkd->nqd", weights, v)

    def backward(self, dout):
        q, k, v, weights, scale = self.cache
        dweights = np.einsum("nqd,nkd->nqk", dout, v)
        self.dv = np.einsum("nqk,nqd->nkd", weights, dout)
        dscores = weights * (dweights - np.sum(dweights * weights, axis=-1, keepdims=True))
        dscores *= scale
        self.dk = np.einsum("nqk,nqd->nkd", dscores, q)
        return np.einsum("nqk,nkd->nqd", dscores, k)
