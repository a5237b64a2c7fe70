"""Softmax cross-entropy over a large catalogue, fused with the scores: never hold the (N, C) logits.

The plain reading of this op is two lines of minishop.functional:

    logits = hidden @ weight.T                      # (N, C): one score per position and class
    loss = F.cross_entropy(logits, targets)         # mean of logsumexp(z_n) - z_n[t_n]

With N = 762 real positions and C = 23,716 items that (N, C) array is 72 MB in float32, the largest of a
recommender's training step, and a full softmax needs it three times over (scores, probabilities,
their gradient). The fused op gives the same numbers while holding one block of rows at a time:

    z = h W^T,  loss = sum_n (logsumexp(z_n) - z_n[t_n])   (divided by N for "mean")
    dL/dz = P - onehot(t),  P = softmax(z) row by row
    dL/dh = dL/dz W = P W - W[t],    dL/dW = dL/dz^T h = P^T h - scatter(h at rows t)

The loss is a scalar, so its gradient is known at forward time up to the factor g that backward
receives. Each block's probabilities therefore turn into that block's share of dh and dW while the
block is at hand, and backward only multiplies by g. "Cut cross-entropy" (Wijmans et al., 2024) keeps
only logsumexp and recomputes every block in backward instead; that costs one more matmul and one more
exponential per block, which buys nothing here because the gradients are small ((N, D) and (C, D)).
Without a graph (inside no_grad, or when no input requires grad) only the loss is computed.
"""

import math

from minishop import arrays, backend
from minishop.tensor import Tensor, is_grad_enabled

_LOG2_E, _LN_2 = 1 / math.log(2), math.log(2)  # exp(z) = 2^(z log2(e)); ln(x) = log2(x) ln(2)


def linear_cross_entropy(hidden, weight, targets, reduction="mean", chunk_elements=1 << 24, min_rows=128):
    """Cross-entropy of softmax(hidden @ weight.T) against integer targets: (N, D), (C, D), (N,) -> scalar.

    reduction: "mean" over the N rows (NaN when N = 0, as PyTorch) or "sum". chunk_elements: about how many
    scores one block of rows holds (16M: 64 MB in float32; each block's matmuls repack the (C, D) table
    for BLAS, so fewer, larger blocks are faster), the rows split into blocks of equal size. Never fewer
    than min_rows rows: with a catalogue of a million items a 4-row block would turn each matmul into a
    matrix-vector product that reads the whole (C, D) table again for every 4 rows. Same value and gradients as
    `cross_entropy(hidden @ weight.T, targets, reduction=...)`, to float rounding.
    """
    hidden, weight, targets = _checked(hidden, weight, targets, reduction)
    xp = backend.xp()
    H, W = hidden.data, weight.data  # (N, D), (C, D)
    n_rows, n_classes = H.shape[0], W.shape[0]
    scale = (1.0 / n_rows if n_rows else float("nan")) if reduction == "mean" else 1.0
    builds_graph = is_grad_enabled() and (hidden.requires_grad or weight.requires_grad)  # as from_op decides
    rows = max(min_rows, chunk_elements // max(1, n_classes))
    n_blocks = max(1, math.ceil(n_rows / rows))
    rows = max(1, math.ceil(n_rows / n_blocks))  # equal blocks: 780 rows as 2 x 390, not 707 + 73
    total, dH, dW_t = _softmax_blocks(H, W, targets, rows, scale, want_dH=builds_graph and hidden.requires_grad,
                                      want_dW=builds_graph and weight.requires_grad)
    loss = xp.asarray(total * scale, dtype=H.dtype)  # () a scalar of H's dtype

    def _backward(g):  # dL/dh and dL/dW were formed at forward time; scale them by g
        dW = None
        if dW_t is not None:
            dW = xp.empty(W.shape, dtype=W.dtype)  # (C, D), row-major like W
            xp.multiply(dW_t.T, g, out=dW)  # transposed back in the same pass
        return (None if dH is None else dH * g, dW)

    return Tensor.from_op(loss, (hidden, weight), _backward, "linear_cross_entropy")


def _softmax_blocks(H, W, targets, rows, scale, want_dH, want_dW):
    """sum_n (logsumexp(z_n) - z_n[t_n]) for z = H W^T, `rows` rows at a time, and (when wanted) its
    gradients times `scale`: dH = scale (P - Y) W, (N, D), and dW transposed, dW_t = scale H^T (P - Y), (D, C).

    Per block one (rows, C) buffer holds the scores z, then e = exp(z - top) in place (`_exp_scores`), then
    e - s Y: with s the row sums of e, that is s (P - Y), the gradient of the scores up to the factor s
    of each row. The one-hot part is r subtractions in the buffer, not a gather and a scatter of (r, D)
    rows. The division by s (and the scale) goes to the small side: dH = (e W) * (scale / s) and
    dW_t += (h * scale / s)^T e, the faster matmul layout of dW = e^T (h * scale / s).
    """
    xp = backend.xp()
    n_rows, n_classes = H.shape[0], W.shape[0]
    dH = xp.empty_like(H) if want_dH else None  # (N, D)
    dW_t = xp.zeros(W.shape[::-1], dtype=W.dtype) if want_dW and n_rows == 0 else None  # (D, C)
    buffer = xp.empty((min(rows, n_rows), n_classes), dtype=H.dtype)  # (r, C), reused by every block
    total = 0.0
    for start in range(0, n_rows, rows):
        h, t = H[start:start + rows], targets[start:start + rows]  # (r, D), (r,)
        e = buffer[:len(h)]  # (r, C)
        top, sums, target_scores = _exp_scores(h, W, t, e)
        total += float((top + xp.log(sums)).sum() - target_scores.sum())  # logsumexp(z_n) - z_n[t_n]
        if not (want_dH or want_dW):
            continue
        e[xp.arange(len(h)), t] -= sums[:, 0]  # (r, C) s (P - Y)
        weights = scale / sums  # (r, 1)
        if want_dH:
            block = dH[start:start + len(h)]  # (r, D)
            xp.matmul(e, W, out=block)  # s (P - Y) W
            block *= weights
        if want_dW:
            part = (h * weights).T @ e  # (D, C) scale h^T (P - Y), this block's share
            dW_t = part if dW_t is None else xp.add(dW_t, part, out=dW_t)
    return total, dH, dW_t


def _exp_scores(h, W, t, e):
    """Fill e (r, C) with exp(z - top) for z = h W^T; return top (r, 1), the row sums of e (r, 1) and z[n, t_n] (r,).

    Plain reading: top = z.max(axis=1, keepdims=True); e = exp(z - top). Two tricks make it cheaper:

    - exp(z) = 2^(z log2(e)), and the factor log2(e) can go into h, (r, D), before the matmul: NumPy's
      float32 exp2 is faster than its exp, and the exponentials are the costliest pass of the step
      after the matmuls. Both are accurate to a few float32 ulps.
    - The shift by a constant `top` per row changes nothing in the softmax; it is there only to keep the
      exponentials in float range (float32 overflows past e^88). Finding the max and subtracting it are
      two more passes over the block, so we first try top = 0 and check each row's sum instead: between
      C e^-20 (the row's largest score is above -20, so what rounds to zero weighs under e^-67 beside it)
      and e^60 (no overflow, nor in the gradient's products), exp(z) is as exact as exp(z - max). Rows
      outside that range (scores in the hundreds, or all far below zero) are recomputed with the max.
    """
    xp = backend.xp()
    rows = xp.arange(len(h))
    xp.matmul(h * _LOG2_E, W.T, out=e)  # (r, C) z log2(e)
    target_scores = e[rows, t] * _LN_2  # (r,) z_n[t_n]
    with backend.np.errstate(over="ignore"):  # an overflow shows as an infinite sum, caught below
        xp.exp2(e, out=e)  # (r, C) exp(z)
    sums = arrays.sum_last_axis(e)  # (r, 1)
    top = xp.zeros_like(sums)  # (r, 1)
    lowest, highest = e.shape[1] * math.exp(-20.0), math.exp(60.0)
    outside = xp.flatnonzero(~((sums[:, 0] >= lowest) & (sums[:, 0] <= highest)))  # NaN and inf are outside too
    if len(outside):
        z = h[outside] @ W.T  # (k, C) those rows' scores again
        top[outside] = z.max(axis=1, keepdims=True)
        z -= top[outside]
        xp.exp(z, out=z)
        e[outside] = z
        sums[outside] = arrays.sum_last_axis(z)
    return top, sums, target_scores


def _checked(hidden, weight, targets, reduction):
    """Tensors and a flat int target array, or a ValueError naming the argument and what was expected."""
    where = "linear_cross_entropy"
    if reduction not in ("mean", "sum"):
        raise ValueError(f"{where}(reduction={reduction!r}): expected 'mean' or 'sum'")
    hidden = hidden if isinstance(hidden, Tensor) else Tensor(hidden)
    weight = weight if isinstance(weight, Tensor) else Tensor(weight)
    if hidden.ndim != 2 or weight.ndim != 2 or hidden.shape[1] != weight.shape[1]:
        raise ValueError(f"{where}: expected hidden (N, D) and weight (C, D), got {hidden.shape} and {weight.shape}")
    targets = targets.data if isinstance(targets, Tensor) else backend.asarray(targets)
    if targets.dtype.kind not in "iu":
        raise ValueError(f"{where}(targets=...): expected an integer array of class ids, got dtype {targets.dtype}")
    targets = targets.reshape(-1)  # (N,)
    n_rows, n_classes = hidden.shape[0], weight.shape[0]
    if targets.shape != (n_rows,):
        raise ValueError(f"{where}: {targets.size} targets for {n_rows} rows of hidden; expected one per row")
    if n_rows and (int(targets.min()) < 0 or int(targets.max()) >= n_classes):
        raise ValueError(f"{where}(targets=...): expected class ids in [0, {n_classes}), got "
                         f"{int(targets.min())}..{int(targets.max())}")
    return hidden, weight, targets
