# Bug: the forward probabilities ignore the skip connections (beta keeps them).
import numpy as np


class CTC:
    def __init__(self, BLANK=0):
        self.BLANK = BLANK

    def extend_target_with_blank(self, target):
        extended_symbols = [self.BLANK]
        for symbol in target:
            extended_symbols.append(symbol)
            extended_symbols.append(self.BLANK)
        N = len(extended_symbols)
        skip_connect = [0] * N
        for r in range(2, N):
            if extended_symbols[r] != self.BLANK and extended_symbols[r] != extended_symbols[r - 2]:
                skip_connect[r] = 1
        extended_symbols = np.array(extended_symbols).reshape((N,))
        skip_connect = np.array(skip_connect).reshape((N,))
        return extended_symbols, skip_connect

    def get_forward_probs(self, logits, extended_symbols, skip_connect):
        S, T = len(extended_symbols), len(logits)
        alpha = np.zeros(shape=(T, S))
        alpha[0][0] = logits[0, extended_symbols[0]]
        alpha[0][1] = logits[0, extended_symbols[1]]
        for t in range(1, T):
            for r in range(S):
                total = alpha[t - 1][r]
                if r >= 1:
                    total += alpha[t - 1][r - 1]
                alpha[t][r] = total * logits[t, extended_symbols[r]]
        return alpha

    def get_backward_probs(self, logits, extended_symbols, skip_connect):
        S, T = len(extended_symbols), len(logits)
        beta = np.zeros(shape=(T, S))
        beta[T - 1][S - 1] = 1
        beta[T - 1][S - 2] = 1
        for t in range(T - 2, -1, -1):
            for r in range(S):
                total = beta[t + 1][r] * logits[t + 1, extended_symbols[r]]
                if r + 1 < S:
                    total += beta[t + 1][r + 1] * logits[t + 1, extended_symbols[r + 1]]
                if r + 2 < S and skip_connect[r + 2]:
                    total += beta[t + 1][r + 2] * logits[t + 1, extended_symbols[r + 2]]
                beta[t][r] = total
        return beta

    def get_posterior_probs(self, alpha, beta):
        [T, S] = alpha.shape
        gamma = np.zeros(shape=(T, S))
        sumgamma = np.zeros((T,))
        for t in range(T):
            for r in range(S):
                gamma[t][r] = alpha[t][r] * beta[t][r]
                sumgamma[t] += gamma[t][r]
            gamma[t] /= sumgamma[t]
        return gamma


class CTCLoss:
    def __init__(self, BLANK=0):
        self.BLANK = BLANK
        self.gammas = []
        self.ctc = CTC(BLANK)

    def __call__(self, logits, target, input_lengths, target_lengths):
        return self.forward(logits, target, input_lengths, target_lengths)

    def forward(self, logits, target, input_lengths, target_lengths):
        self.logits = logits
        self.target = target
        self.input_lengths = input_lengths
        self.target_lengths = target_lengths
        B, _ = target.shape
        total_loss = np.zeros(B)
        self.gammas = []
        self.extended_symbols = []
        for b in range(B):
            target_b = target[b, :target_lengths[b]]
            logits_b = logits[:input_lengths[b], b, :]
            ext, skip = self.ctc.extend_target_with_blank(target_b)
            alpha = self.ctc.get_forward_probs(logits_b, ext, skip)
            beta = self.ctc.get_backward_probs(logits_b, ext, skip)
            gamma = self.ctc.get_posterior_probs(alpha, beta)
            self.gammas.append(gamma)
            self.extended_symbols.append(ext)
            for t in range(gamma.shape[0]):
                for r in range(gamma.shape[1]):
                    total_loss[b] -= gamma[t][r] * np.log(logits_b[t, ext[r]])
        return np.sum(total_loss) / B

    def backward(self):
        T, B, C = self.logits.shape
        dY = np.full_like(self.logits, 0)
        for b in range(B):
            logits_b = self.logits[:self.input_lengths[b], b, :]
            gamma = self.gammas[b]
            ext = self.extended_symbols[b]
            for t in range(self.input_lengths[b]):
                for r in range(len(ext)):
                    dY[t, b, ext[r]] -= gamma[t][r] / logits_b[t, ext[r]]
        return dY
