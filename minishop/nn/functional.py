"""Functions used by the layers: everything in minishop.functional, plus attention.

    import minishop.nn.functional as F
    F.gelu(x), F.softmax(x), ...           # re-exported from minishop.functional
    F.seed_attention(X)                    # softmax(X Xᵀ / √d) X: the formula the course starts from
    F.scaled_dot_product_attention(q, k, v, causal=True, key_padding_mask=pad)
"""

import math

from minishop import backend
from minishop.functional import *  # noqa: F401,F403  (the ops, so one import serves the layers)
import minishop.functional as ops  # the same ops, by a name the `dropout` argument below cannot shadow

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
    return ops.softmax(scores, axis=-1) @ X  # (..., T, d)


def attention_mask(n_queries, n_keys, causal=False, key_padding_mask=None, score_ndim=4):
    """A bool array, True where a query may NOT look at a key, broadcastable to scores (..., Tq, Tk).

    causal: query t sees keys 0..t only (True above the diagonal).
    key_padding_mask: bool (B, Tk), True at padding keys (PyTorch's convention).
    Returns None when nothing is masked.
    """
    xp = backend.xp()
    mask = None
    if causal:
        mask = xp.triu(xp.ones((n_queries, n_keys), dtype=bool), k=1)  # (Tq, Tk)
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


def scaled_dot_product_attention(q, k, v, causal=False, key_padding_mask=None, dropout=0.0, training=False):
    """Attention(Q, K, V) = softmax(Q Kᵀ / √d + mask) V  (Vaswani et al. 2017).

    q: (..., Tq, d), k: (..., Tk, d), v: (..., Tk, dv) — leading axes (B,) or (B, H).
    causal: mask keys after each query. key_padding_mask: bool (B, Tk), True at padding.
    dropout: probability of dropping an attention weight (only when training).
    Returns (output (..., Tq, dv), weights (..., Tq, Tk)); the weights are before dropout.
    """
    d = q.shape[-1]
    scores = (q @ _swap_last_two(k)) * (1.0 / math.sqrt(d))  # (..., Tq, Tk)
    mask = attention_mask(q.shape[-2], k.shape[-2], causal, key_padding_mask, score_ndim=scores.ndim)
    if mask is not None:
        scores = scores.masked_fill(mask, MASKED_SCORE)
    weights = ops.softmax(scores, axis=-1)  # (..., Tq, Tk), each row sums to 1
    mixing = weights
    if training and dropout > 0.0:
        mixing = ops.dropout(weights, dropout, training=True)
    return mixing @ v, weights  # (..., Tq, dv)
