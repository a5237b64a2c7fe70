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


class MultiHeadAttention(torch.nn.Module):
    """Attention over n_heads slices of width d_model/n_heads, named as minishop.nn.MultiHeadAttention."""

    def __init__(self, d_model, n_heads):
        super().__init__()
        self.n_heads, self.d_head = n_heads, d_model // n_heads
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (torch.nn.Linear(d_model, d_model) for _ in range(4))

    def forward(self, x, mask):  # x (B, T, D); mask (B, T, T) True = may not look
        B, T, D = x.shape
        split = lambda t: t.reshape(B, T, self.n_heads, self.d_head).transpose(1, 2)  # noqa: E731 (B, H, T, d)
        q, k, v = split(self.q_proj(x)), split(self.k_proj(x)), split(self.v_proj(x))
        scores = (q @ k.transpose(-1, -2)) / self.d_head ** 0.5  # (B, H, T, T)
        weights = torch.softmax(scores.masked_fill(mask[:, None], -1e9), dim=-1)
        return self.out_proj((weights @ v).transpose(1, 2).reshape(B, T, D))


class FeedForward(torch.nn.Module):
    def __init__(self, d_model):
        super().__init__()
        self.fc1, self.fc2 = torch.nn.Linear(d_model, d_model), torch.nn.Linear(d_model, d_model)

    def forward(self, x):
        return self.fc2(TF.gelu(self.fc1(x), approximate="tanh"))


class Block(torch.nn.Module):
    """A pre-LN block in eval mode, with minishop.nn.TransformerBlock's parameter names."""

    def __init__(self, d_model, n_heads):
        super().__init__()
        self.norm1, self.norm2 = torch.nn.LayerNorm(d_model), torch.nn.LayerNorm(d_model)
        self.attention, self.feed_forward = MultiHeadAttention(d_model, n_heads), FeedForward(d_model)

    def forward(self, x, mask):
        x = x + self.attention(self.norm1(x), mask)
        return x + self.feed_forward(self.norm2(x))


class SASRec(torch.nn.Module):
    """The sequential recommender (pre-LN, eval mode) with minishop's parameter names, so that the file of
    `minishop export RUN --to torch` loads into it with load_state_dict(strict=True)."""

    def __init__(self, n_items, d_model=64, n_blocks=2, n_heads=2, max_len=50, **unused):
        super().__init__()
        self.d_model, self.max_len = d_model, max_len
        self.item_embedding = torch.nn.Embedding(n_items + 1, d_model)
        self.position_embedding = torch.nn.Embedding(max_len, d_model)
        self.blocks = torch.nn.ModuleList([Block(d_model, n_heads) for _ in range(n_blocks)])
        self.final_norm = torch.nn.LayerNorm(d_model)

    def score(self, ids):  # ids (B, T) left-padded -> scores (B, n_items + 1) after the newest position
        T = ids.shape[1]
        padding = ids == 0
        keep = (~padding).unsqueeze(-1).float()  # (B, T, 1)
        mask = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)[None] | padding[:, None, :]
        x = (self.item_embedding(ids) * self.d_model ** 0.5 + self.position_embedding.weight[self.max_len - T:]) * keep
        for block in self.blocks:
            x = block(x, mask) * keep
        return self.final_norm(x)[:, -1] @ self.item_embedding.weight.T
