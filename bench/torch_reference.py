"""The PyTorch side of the benchmarks: one SASRec transformer block written with the same operations as minishop's.

Not torch.nn.MultiheadAttention: with left padding under a causal mask, a padding query sees no key at all and
torch returns NaN there, while minishop (and this block) fills masked scores with -1e9 (see minishop/nn/attention.py).
One head, pre-LN, GELU (tanh approximation), dropout after attention weights, inside and after the feed-forward,
and (drop_attention_output=True, as minishop.nn.TransformerBlock's default) on the attention output; the
SequentialRecommender, like SASRec, leaves the attention output undropped (drop_attention_output=False).
"""

import os

import torch
import torch.nn.functional as TF

_limits = []  # keeps the threadpoolctl limiter alive for the whole process


def pin_threads(n):
    """Run BOTH frameworks on exactly n threads, set in code whatever the environment says.

    PyTorch: torch.set_num_threads (intra-op) and set_num_interop_threads (inter-op, settable once).
    NumPy: threadpoolctl caps every BLAS and OpenMP pool loaded in the process (OpenBLAS under NumPy,
    libgomp under torch). Environment variables alone are not enough: with OPENBLAS_NUM_THREADS=1
    exported, torch still starts with one thread per core. Returns a line describing the pools, to print.
    """
    from threadpoolctl import threadpool_info, threadpool_limits

    torch.set_num_threads(n)
    try:
        torch.set_num_interop_threads(n)
    except RuntimeError:  # already set, or parallel work already started: report what it is
        pass
    _limits.append(threadpool_limits(limits=n))
    pools = ", ".join(f"{pool['internal_api']} {pool['num_threads']}" for pool in threadpool_info())
    return (f"threads: torch intra-op {torch.get_num_threads()}, inter-op {torch.get_num_interop_threads()}; "
            f"{pools}; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")


class PreLNBlock(torch.nn.Module):
    """x + Attn(LN(x)), then x + FFN(LN(x)); the feed-forward is d_model -> d_model as in SASRec."""

    def __init__(self, d_model, dropout, drop_attention_output=True):
        super().__init__()
        self.d_model, self.p = d_model, dropout
        self.p_attention_output = dropout if drop_attention_output else 0.0
        self.norm1, self.norm2 = torch.nn.LayerNorm(d_model), torch.nn.LayerNorm(d_model)
        self.q, self.k, self.v, self.out = (torch.nn.Linear(d_model, d_model) for _ in range(4))
        self.fc1, self.fc2 = torch.nn.Linear(d_model, d_model), torch.nn.Linear(d_model, d_model)

    def forward(self, x, mask):  # x (B, T, D); mask (B, T, T) True = may not look
        p = self.p
        h = self.norm1(x)
        scores = (self.q(h) @ self.k(h).transpose(1, 2)) / self.d_model ** 0.5  # (B, T, T)
        weights = TF.dropout(torch.softmax(scores.masked_fill(mask, -1e9), dim=-1), p, self.training)
        x = x + TF.dropout(self.out(weights @ self.v(h)), self.p_attention_output, self.training)
        h = self.fc2(TF.dropout(TF.gelu(self.fc1(self.norm2(x)), approximate="tanh"), p, self.training))
        return x + TF.dropout(h, p, self.training)
