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
receives. Each block's probabilities therefore turn into that block's share of dh and dW while they
are still in cache, and backward only multiplies by g. "Cut cross-entropy" (Wijmans et al., 2024) keeps
only logsumexp and recomputes every block in backward instead; that costs one more matmul and one more
exponential per block, which buys nothing here because the gradients are small ((N, D) and (C, D)).
Without a graph (inside no_grad, or when no input requires grad) only the loss is computed.
"""

from minishop import arrays, backend
from minishop.tensor import Tensor, is_grad_enabled


def linear_cross_entropy(hidden, weight, targets, reduction="mean", chunk_elements=1 << 22, min_rows=128):
    """Cross-entropy of softmax(hidden @ weight.T) against integer targets: (N, D), (C, D), (N,) -> scalar.

    reduction: "mean" over the N rows (NaN when N = 0, as PyTorch) or "sum". chunk_elements: about how many
    scores one block of rows holds (4M: 16 MB in float32), but never fewer than min_rows rows: with a
    catalogue of a million items a 4-row block would turn each matmul into a matrix-vector product that
    reads the whole (C, D) table again for every 4 rows. Same value and gradients as
    `cross_entropy(hidden @ weight.T, targets, reduction=...)`, to float rounding.
    """
    hidden, weight, targets = _checked(hidden, weight, targets, reduction)
    xp = backend.xp()
    H, W = hidden.data, weight.data  # (N, D), (C, D)
    n_rows, n_classes = H.shape[0], W.shape[0]
    scale = (1.0 / n_rows if n_rows else float("nan")) if reduction == "mean" else 1.0
    builds_graph = is_grad_enabled() and (hidden.requires_grad or weight.requires_grad)  # as from_op decides
    dH = xp.empty_like(H) if builds_graph and hidden.requires_grad else None  # (N, D)
    dW = xp.zeros_like(W) if builds_graph and weight.requires_grad else None  # (C, D)
    W_target = xp.take(W, targets, axis=0)  # (N, D) the row of each target
    target_scores = float(arrays.sum_last_axis(H * W_target).sum())  # sum_n z_n[t_n]
    rows = max(min_rows, chunk_elements // max(1, n_classes))
    log_sum_exps = _softmax_blocks(H, W, rows, dH, dW)
    loss = xp.asarray((log_sum_exps - target_scores) * scale, dtype=H.dtype)  # () a scalar of H's dtype
    if dH is not None:  # the one-hot part of dL/dz: -W[t] for each h ...
        dH -= W_target
        dH *= scale
    if dW is not None:  # ... and -h at row t of W
        dW -= arrays.scatter_add_rows(n_classes, targets, H)
        dW *= scale

    def _backward(g):
        return (None if dH is None else dH * g, None if dW is None else dW * g)

    return Tensor.from_op(loss, (hidden, weight), _backward, "linear_cross_entropy")


def _softmax_blocks(H, W, rows, dH, dW):
    """sum_n logsumexp(H[n] @ W.T), `rows` rows at a time; fills dH = P W and adds P^T H to dW (when given).

    Per block, one (rows, C) buffer holds the scores z = h W^T, then e = exp(z - max) in place. The
    division by the row sums s is moved to the small side: P W = (e W) / s and P^T h = e^T (h / s), one
    pass over the big buffer fewer. e^T (h / s) is computed as ((h / s)^T e)^T, the faster matmul layout.
    """
    xp = backend.xp()
    total = 0.0
    dW_t = xp.zeros(W.shape[::-1], dtype=W.dtype) if dW is not None else None  # (D, C) dW transposed
    for start in range(0, H.shape[0], rows):
        h = H[start:start + rows]  # (r, D)
        z = h @ W.T  # (r, C) this block's scores
        top = z.max(axis=1, keepdims=True)  # (r, 1)
        z -= top
        xp.exp(z, out=z)  # (r, C) e = exp(z - max)
        sums = arrays.sum_last_axis(z)  # (r, 1)
        total += float((top + xp.log(sums)).sum())  # logsumexp(z) = max + log(sum(exp(z - max)))
        if dH is not None:
            dH[start:start + rows] = z @ W  # (r, D) e W
            dH[start:start + rows] /= sums  # P W
        if dW_t is not None:
            dW_t += (h / sums).T @ z  # (D, C) (h / s)^T e = (P^T h)^T
    if dW is not None:
        dW += dW_t.T
    return total


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
