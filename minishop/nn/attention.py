"""Attention in three steps, each one idea more than the last.

Step 1, `seed_attention(X)`: softmax(X Xᵀ/√d) X, the formula the course starts from. Every token plays
query, key and value at once, and each output row is an average of the rows of X weighted by similarity.
Step 2, `SelfAttention`: the model learns three views of a token, what it looks for (query), what it offers
to be found by (key) and what it passes on (value): softmax(Q Kᵀ/√d) V with a mask.
Step 3, `MultiHeadAttention`: several such attentions side by side on slices of the model width, mixed by
one more projection.

The masks (`attention_mask`: causal and key padding) and `scaled_dot_product_attention` serve all three.

Then, for generation, `KVCache`: the keys and values of the tokens seen so far, kept so that each new
token costs one query against them instead of a re-run of the whole prefix (`MultiHeadAttention(x,
cache=...)`, with the causal mask shifted by the number of cached tokens).
"""

import math

from minishop import backend
from minishop import functional as F
from minishop.nn.layers import Linear
from minishop.nn.module import Module
from minishop.tensor import Tensor, is_grad_enabled

# The score given to a masked (query, key) pair. Not -inf on purpose: a query whose keys are ALL masked
# (a left-padded position under a causal mask) would get softmax(-inf, ..., -inf) = 0/0 = NaN, and that NaN
# would spread into every gradient. A large finite negative number gives such a row harmless uniform weights
# (its output is ignored as padding), while exp(-1e9 - max) is exactly 0 for any row with a real key, so
# the result is identical to -inf wherever -inf is defined. -1e9 is finite in float32 and float64.
MASKED_SCORE = -1e9


def _swap_last_two(x):
    """Transpose the last two axes: (..., T, d) -> (..., d, T)."""
    axes = list(range(x.ndim))
    axes[-2], axes[-1] = axes[-1], axes[-2]
    return x.transpose(*axes)


def seed_attention(X):
    """softmax(X Xᵀ / √d) X — attention with no parameters: every token is a query, a key and a value.

    X: (..., T, d). Each output row is an average of the rows of X, weighted by how similar they are.
    """
    d = X.shape[-1]
    scores = (X @ _swap_last_two(X)) * (1.0 / math.sqrt(d))  # (..., T, T)
    return F.softmax(scores, axis=-1) @ X  # (..., T, d)


def attention_mask(n_queries, n_keys, causal=False, key_padding_mask=None, score_ndim=4, query_offset=0):
    """A bool array, True where a query may NOT look at a key, broadcastable to scores (..., Tq, Tk).

    causal: query i sits at position query_offset + i and sees keys 0 .. query_offset + i (True above that
    diagonal). query_offset is 0 for a whole sequence, and the number of cached keys when the queries are
    the newest tokens after a KVCache.
    key_padding_mask: bool (B, Tk), True at padding keys (PyTorch's convention).
    Returns None when nothing is masked.
    """
    xp = backend.xp()
    mask = None
    if causal and n_keys > query_offset + 1:  # else every query sees every key (one new token after a cache)
        mask = xp.triu(xp.ones((n_queries, n_keys), dtype=bool), k=1 + query_offset)  # (Tq, Tk)
    if key_padding_mask is not None:
        pad = backend.asarray(key_padding_mask)
        if pad.dtype != bool or pad.ndim != 2 or pad.shape[1] != n_keys:
            raise ValueError(
                f"key_padding_mask: expected a bool array (batch, {n_keys}) with True at padding, "
                f"got dtype {pad.dtype} and shape {tuple(pad.shape)}"
            )
        pad = pad.reshape(pad.shape[0], *([1] * (score_ndim - 2)), n_keys)  # (B, 1.., 1, Tk)
        mask = pad if mask is None else (mask | pad)
    return mask


def scaled_dot_product_attention(q, k, v, causal=False, key_padding_mask=None, dropout=0.0, training=False,
                                 query_offset=0):
    """Attention(Q, K, V) = softmax(Q Kᵀ / √d + mask) V  (Vaswani et al. 2017).

    q: (..., Tq, d), k: (..., Tk, d), v: (..., Tk, dv) — leading axes (B,) or (B, H).
    causal: mask keys after each query; query i sits at position query_offset + i (see attention_mask).
    key_padding_mask: bool (B, Tk), True at padding.
    dropout: probability of dropping an attention weight (only when training).
    Returns (output (..., Tq, dv), weights (..., Tq, Tk)); the weights are before dropout.
    """
    d = q.shape[-1]
    scores = (q @ _swap_last_two(k)) * (1.0 / math.sqrt(d))  # (..., Tq, Tk)
    mask = attention_mask(q.shape[-2], k.shape[-2], causal, key_padding_mask, score_ndim=scores.ndim,
                          query_offset=query_offset)
    if mask is not None:
        scores = scores.masked_fill(mask, MASKED_SCORE)
    weights = F.softmax(scores, axis=-1)  # (..., Tq, Tk), each row sums to 1
    mixing = weights
    if training and dropout > 0.0:
        mixing = F.dropout(weights, dropout, training=True)
    return mixing @ v, weights  # (..., Tq, dv)


class SelfAttention(Module):
    """One attention head with learned projections: softmax(Q Kᵀ/√d) V, with Q = xW_q, K = xW_k, V = xW_v."""

    def __init__(self, d_model, d_head=None, causal=False):
        super().__init__()
        d_head = d_model if d_head is None else d_head
        self.causal = causal
        self.query = Linear(d_model, d_head, bias=False)
        self.key = Linear(d_model, d_head, bias=False)
        self.value = Linear(d_model, d_head, bias=False)

    def forward(self, x, key_padding_mask=None):  # x (B, T, D)
        q, k, v = self.query(x), self.key(x), self.value(x)  # (B, T, d_head) each
        out, _ = scaled_dot_product_attention(q, k, v, causal=self.causal, key_padding_mask=key_padding_mask)
        return out  # (B, T, d_head)


class MultiHeadAttention(Module):
    """n_heads attentions over slices of width d_model/n_heads, concatenated and projected by out_proj.

    forward(x, key_padding_mask=None, need_weights=False, cache=None):
      x (B, T, D); key_padding_mask bool (B, T_keys), True at padding (PyTorch's convention).
      cache: a KVCache of this layer. x is then the T newest tokens: their keys and values are written after
      the cached ones, and their queries attend to every cached key plus, causally, to each other.
      T_keys is T without a cache, T_cached + T with one.
      Returns the output (B, T, D), or (output, weights (B, H, T, T_keys)) when need_weights is True.
    """

    def __init__(self, d_model, n_heads, causal=False, dropout=0.0):
        super().__init__()
        if d_model % n_heads != 0:
            raise ValueError(f"MultiHeadAttention: d_model={d_model} is not divisible by n_heads={n_heads}")
        self.d_model, self.n_heads, self.d_head = d_model, n_heads, d_model // n_heads
        self.causal, self.dropout = causal, dropout
        self.q_proj = Linear(d_model, d_model)
        self.k_proj = Linear(d_model, d_model)
        self.v_proj = Linear(d_model, d_model)
        self.out_proj = Linear(d_model, d_model)

    def _split_heads(self, x):  # (B, T, D) -> (B, H, T, d_head)
        B, T, _ = x.shape
        if self.n_heads == 1:
            return x.reshape(B, 1, T, self.d_head)  # one head: a free reshape, no transpose and no copy
        return x.reshape(B, T, self.n_heads, self.d_head).transpose(0, 2, 1, 3)

    def _merge_heads(self, x):  # (B, H, T, d_head) -> (B, T, D)
        B, _, T, _ = x.shape
        if self.n_heads == 1:
            return x.reshape(B, T, self.d_model)
        return x.transpose(0, 2, 1, 3).reshape(B, T, self.d_model)

    def forward(self, x, key_padding_mask=None, need_weights=False, cache=None):  # x (B, T, D)
        q = self._split_heads(self.q_proj(x))  # (B, H, T, d_head)
        k = self._split_heads(self.k_proj(x))  # (B, H, T, d_head)
        v = self._split_heads(self.v_proj(x))  # (B, H, T, d_head)
        query_offset = 0
        if cache is not None:  # the new tokens come after the cached ones and may look at all of them
            if not self.causal:
                raise ValueError("MultiHeadAttention: a KVCache needs causal=True; without the causal mask "
                                 "old tokens would see the new ones, and their cached outputs would be stale")
            query_offset = cache.length
            k, v = cache.append(k, v)  # (B, H, T_cached + T, d_head) each
        out, weights = scaled_dot_product_attention(
            q, k, v, causal=self.causal, key_padding_mask=key_padding_mask,
            dropout=self.dropout, training=self.training, query_offset=query_offset,
        )  # out (B, H, T, d_head), weights (B, H, T, T_keys)
        out = self.out_proj(self._merge_heads(out))  # (B, T, D)
        return (out, weights) if need_weights else out


class KVCache:
    """The keys and values of one attention layer for every token seen so far, for generation.

    Without a cache, generating token n+1 re-runs all n tokens. But under a causal mask a token's key and
    value never change once computed (it cannot see the tokens that come after it), so each step needs
    only the new token's query, key and value, and the old keys and values can be kept.

    keys, values: (B, H, max_len, d_head), allocated once; positions 0 .. length-1 hold tokens, the rest
    is room. append() writes new keys and values in place (no concatenation, no reallocation) and raises
    a clear error when they would not fit. The cache holds plain arrays without their graph, so it is for
    inference: use it under no_grad().
    """

    def __init__(self, batch_size, n_heads, max_len, d_head, dtype=None):
        xp = backend.xp()
        dtype = backend.default_dtype() if dtype is None else dtype
        self.max_len, self.length = max_len, 0
        self.keys = xp.zeros((batch_size, n_heads, max_len, d_head), dtype=dtype)  # (B, H, max_len, d_head)
        self.values = xp.zeros((batch_size, n_heads, max_len, d_head), dtype=dtype)  # (B, H, max_len, d_head)

    def append(self, k, v):  # k, v Tensors (B, H, T_new, d_head)
        """Store the keys and values of T_new new tokens after the cached ones; return all of them so far
        as Tensors (B, H, length, d_head), views of the cache."""
        if is_grad_enabled() and (k.requires_grad or v.requires_grad):
            raise RuntimeError("KVCache.append: the cache stores keys and values without their graph, so "
                               "no gradient could reach them; run cached forward passes under no_grad()")
        B, H, _, d_head = self.keys.shape
        start, end = self.length, self.length + k.shape[-2]
        if k.shape != (B, H, k.shape[-2], d_head) or v.shape != k.shape or k.dtype != self.keys.dtype:
            raise ValueError(f"KVCache.append: expected keys and values (batch={B}, heads={H}, T_new, "
                             f"d_head={d_head}) of {self.keys.dtype}, got {tuple(k.shape)} {k.dtype} "
                             f"and {tuple(v.shape)}")
        if end > self.max_len:
            raise ValueError(f"KVCache is full: {start} cached + {k.shape[-2]} new positions exceed "
                             f"max_len={self.max_len}")
        self.keys[:, :, start:end] = k.data
        self.values[:, :, start:end] = v.data
        self.length = end
        return Tensor(self.keys[:, :, :end]), Tensor(self.values[:, :, :end])  # (B, H, length, d_head)
