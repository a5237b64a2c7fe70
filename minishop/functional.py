"""Fused operations: each one a SINGLE graph node whose backward is derived by hand.

Why fuse? Autograd through elementary ops works (softmax = exp(x - max) / sum(exp(...))), but it
stores every intermediate array and walks many nodes. A fused op keeps only what its backward needs,
computes the gradient from a closed-form expression, and uses the numerically stable form
(log-sum-exp) so large logits never overflow.

Reverse-mode autodiff recap (see tensor.py): a node's backward receives g = dL/d(output) and returns
dL/d(input) = g * d(output)/d(input) (the chain rule). Each docstring below states that derivative.
Backward runs in reverse topological order, so g is complete before the node uses it.

Shapes: `...` is any number of leading axes, C classes, D features. dtype is preserved (float32 in,
float32 out) and Python scalars never promote arrays to float64.
"""

import math

from minishop import arrays, backend
from minishop.fused_cross_entropy import linear_cross_entropy  # noqa: F401  (the scores and softmax CE, fused)
from minishop.row_gradient import RowGradient
from minishop.tensor import Tensor, _as_bool_mask


matmul = Tensor.matmul  # F.matmul(a, b) is a @ b


def _tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def _int_array(ids, where):
    ids = ids.data if isinstance(ids, Tensor) else backend.asarray(ids)
    if ids.dtype.kind not in "iu":
        raise ValueError(f"{where}: expected an integer array of ids, got dtype {ids.dtype}")
    return ids


# ----- the affine map -----------------------------------------------------------------------------
def linear(x, weight, bias=None):
    """y = x @ W + b: (..., in) @ (in, out) + (out,) -> (..., out), one node for `x @ weight + bias`.

    Backward, rows = the leading axes (x2 (rows, in), g2 (rows, out)): dx = g W^T, dW = x2^T g2, db = sum of g2 rows.
    """
    x = _tensor(x)
    X, W = x.data, weight.data
    X2 = X.reshape(-1, W.shape[0])  # (rows, in)
    y = X2 @ W  # (rows, out)
    if bias is not None:
        y = backend.xp().add(y, bias.data, out=y) if bias.dtype == y.dtype else y + bias.data  # in place

    def _backward(g):
        g2 = g.reshape(-1, W.shape[1])  # (rows, out)
        dx = (g2 @ W.T).reshape(X.shape) if x.requires_grad else None  # (..., in)
        dW = X2.T @ g2 if weight.requires_grad else None  # (in, out)
        db = arrays.sum_leading_axes(g2, 1) if bias is not None and bias.requires_grad else None  # (out,)
        return (dx, dW) if bias is None else (dx, dW, db)

    parents = (x, weight) if bias is None else (x, weight, bias)
    return Tensor.from_op(y.reshape(X.shape[:-1] + W.shape[1:]), parents, _backward, "linear")


# ----- elementwise ------------------------------------------------------------------------------
def relu(x):
    """max(x, 0); derivative 1 where x > 0, else 0."""
    return _tensor(x).relu()


def tanh(x):
    """tanh(x); derivative 1 - tanh(x)^2."""
    return _tensor(x).tanh()


def exp(x):
    """e^x; derivative e^x."""
    return _tensor(x).exp()


def log(x):
    """ln(x); derivative 1/x."""
    return _tensor(x).log()


def sqrt(x):
    """sqrt(x); derivative 1 / (2 sqrt(x))."""
    return _tensor(x).sqrt()


def sigmoid(x):
    """1 / (1 + e^-x), computed without overflow; derivative s (1 - s)."""
    x = _tensor(x)
    xp = backend.xp()
    e = xp.exp(-xp.abs(x.data))  # in (0, 1]: never overflows
    s = 1 / (1 + e)  # sigmoid(|x|)
    s = xp.where(x.data >= 0, s, e * s)  # sigmoid(x) = e^x / (1 + e^x) = e * sigmoid(|x|) for x < 0
    return Tensor.from_op(s, (x,), lambda g: (g * s * (1 - s),), "sigmoid")


_GELU_C = math.sqrt(2.0 / math.pi)
_GELU_K = 0.044715


def gelu(x):
    """GELU, tanh approximation (PyTorch approximate="tanh"):

        y = 0.5 x (1 + t),  t = tanh(u),  u = c (x + k x^3),  c = sqrt(2/pi), k = 0.044715
        dy/dx = 0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3 k x^2)
    """
    x = _tensor(x)
    xp = backend.xp()
    X = x.data
    t = X * X  # x^2
    t *= _GELU_C * _GELU_K
    t += _GELU_C
    t *= X  # u = c x + c k x^3
    xp.tanh(t, out=t)  # t = tanh(u)
    y = t + 1
    y *= X
    y *= 0.5

    def _backward(g):
        x2 = X * X
        du = x2 * (3 * _GELU_C * _GELU_K)
        du += _GELU_C  # du/dx = c (1 + 3 k x^2)
        du *= 1 - t * t  # dtanh/du
        du *= X
        du += 1 + t
        du *= 0.5
        du *= g
        return (du,)

    return Tensor.from_op(y, (x,), _backward, "gelu")


# ----- softmax family -----------------------------------------------------------------------------
def _log_softmax_array(z, axis):
    """log softmax(z) = z - max - log(sum(exp(z - max))), the stable log-sum-exp form."""
    xp = backend.xp()
    shifted = z - z.max(axis=axis, keepdims=True)
    shifted -= xp.log(arrays.sum_exp_along(shifted, axis))
    return shifted


def softmax(x, axis=-1):
    """y = exp(x - max) / sum(exp(x - max)) along `axis`.

    Backward: dx = y * (g - sum(g * y)) (the Jacobian diag(y) - y y^T applied to g).
    """
    x = _tensor(x)
    xp = backend.xp()
    y = x.data - x.data.max(axis=axis, keepdims=True)
    xp.exp(y, out=y)
    y /= arrays.sum_along(y, axis)

    def _backward(g):
        gy = g * y
        gy -= y * arrays.sum_along(gy, axis)
        return (gy,)

    return Tensor.from_op(y, (x,), _backward, "softmax")


def log_softmax(x, axis=-1):
    """y = x - logsumexp(x) along `axis`.

    Backward: dx = g - softmax(x) * sum(g), with softmax(x) = exp(y).
    """
    x = _tensor(x)
    xp = backend.xp()
    y = _log_softmax_array(x.data, axis)

    def _backward(g):
        grad = xp.exp(y)
        grad *= -arrays.sum_along(g, axis)
        grad += g
        return (grad,)

    return Tensor.from_op(y, (x,), _backward, "log_softmax")


# ----- normalisation and regularisation -------------------------------------------------------------
def layer_norm(x, weight=None, bias=None, eps=1e-5):
    """Normalise the last axis to mean 0, variance 1, then scale and shift: (..., D) -> (..., D).

        mu = mean(x), var = mean((x - mu)^2), xhat = (x - mu) / sqrt(var + eps), y = xhat * w + b
    Backward, with gh = g * w:
        dx = (gh - mean(gh) - xhat * mean(gh * xhat)) / sqrt(var + eps)
        dw = sum over rows of g * xhat,  db = sum over rows of g
    """
    x = _tensor(x)
    xp = backend.xp()
    X = x.data
    D = X.shape[-1]
    xhat = X - arrays.sum_last_axis(X) * (1.0 / D)  # (..., D) centred
    var = arrays.sum_last_axis(xhat * xhat) * (1.0 / D)  # (..., 1)
    rstd = xp.sqrt(var + eps)
    xp.divide(1, rstd, out=rstd)  # (..., 1) 1 / sqrt(var + eps)
    xhat *= rstd
    y = xhat * weight.data if weight is not None else xhat.copy()
    if bias is not None:
        y += bias.data

    def _backward(g):
        # Two (..., D) temporaries: gx = g * xhat (dw's sum, then reused) and the result. The row sums
        # of gh = g * w and of gh * xhat = gx * w are matrix-vector products with w.
        w = weight.data if weight is not None else xp.ones(D, dtype=X.dtype)
        gx = g * xhat  # (..., D)
        grads = [None]
        if weight is not None:
            grads.append(arrays.sum_leading_axes(gx, X.ndim - 1) if weight.requires_grad else None)  # (D,)
        if bias is not None:
            grads.append(arrays.sum_leading_axes(g, X.ndim - 1) if bias.requires_grad else None)  # (D,)
        if x.requires_grad:
            mean_gh_xhat = gx @ (w * (1.0 / D))[:, None]  # (..., 1) mean(gh * xhat)
            mean_gh = g @ (w * (1.0 / D))[:, None]  # (..., 1) mean(gh)
            dx = g * w  # (..., D) gh
            dx -= mean_gh
            xp.multiply(xhat, mean_gh_xhat, out=gx)
            dx -= gx
            dx *= rstd
            grads[0] = dx
        return tuple(grads)

    parents = tuple(p for p in (x, weight, bias) if p is not None)
    return Tensor.from_op(y, parents, _backward, "layer_norm")


def keep_mask(shape, keep, dtype):
    """A bool array of the given shape, True with probability `keep`: the plain reading is
    `backend.rng().random(shape, dtype) < keep`, one float drawn per element.

    Cheaper draws give the same distribution where they can: when keep is a multiple of 1/256 (dropout
    0.5, 0.25, 0.125, ...) each element needs 8 random bits, one byte compared with keep * 256, and for
    keep = 1/2 a single bit, so one random byte gives 8 elements (np.unpackbits): fewer random bits to
    make and no float comparison (bench/README.md times it). Other probabilities, and CuPy, draw floats.
    """
    xp = backend.xp()
    generator = backend.rng()
    size = 1
    for n in shape:
        size *= n
    levels = keep * 256
    if backend.backend_name() != "numpy" or levels != int(levels):
        return generator.random(shape, dtype=dtype) < keep
    if levels == 128:
        random_bytes = xp.frombuffer(generator.bytes((size + 7) // 8), dtype=xp.uint8)
        return xp.unpackbits(random_bytes, count=size).view(bool).reshape(shape)
    return xp.frombuffer(generator.bytes(size), dtype=xp.uint8).reshape(shape) < int(levels)


def dropout(x, p=0.5, training=True):
    """Inverted dropout: zero each element with probability p, scale the rest by 1/(1-p).

    The mask (keep_mask: cheap random bits where p allows) is drawn once and reused by backward:
    dx = g * mask / (1 - p). Identity when not training or p == 0.
    """
    x = _tensor(x)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout(p={p!r}): expected a probability in [0, 1]")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    keep = 1.0 - p
    scale = 1.0 / keep
    dtype = x.dtype if x.dtype.kind == "f" else backend.default_dtype()
    mask = keep_mask(x.shape, keep, dtype)  # bool: 1 byte per element
    y = x.data * mask
    y *= scale

    def _backward(g):
        grad = g * mask
        grad *= scale
        return (grad,)

    return Tensor.from_op(y, (x,), _backward, "dropout")


# ----- lookups and losses -------------------------------------------------------------------------
def embedding(weight, ids, sparse=False):
    """Rows of `weight` (V, D) picked by integer `ids` (...) -> (..., D).

    Backward: dweight[v] = sum of g at every position whose id is v (a scatter-add; repeated ids sum),
    zero at every row no id names. sparse=False returns that as a dense (V, D) array; sparse=True as a
    RowGradient (minishop/row_gradient.py): the ids and g's rows as they are, no (V, D) array at all,
    which is what keeps a step cheap when V is a million items and only a few thousand are looked up.
    """
    ids = _int_array(ids, "embedding(ids=...)")
    V = weight.shape[0]
    if ids.size and (int(ids.min()) < 0 or int(ids.max()) >= V):
        raise ValueError(f"embedding(ids=...): ids must be in [0, {V}), got min {int(ids.min())}, max {int(ids.max())}")

    def _backward(g):
        if sparse:  # rows (R,) (a copy: the caller may reuse ids), values (R, D); no scatter-add here
            return (RowGradient(ids.reshape(-1).copy(), g.reshape(ids.size, *weight.shape[1:]), weight.shape),)
        return (arrays.scatter_add_rows(V, ids.reshape(-1), g.reshape(ids.size, -1)).reshape(weight.shape),)

    rows = backend.xp().take(weight.data, ids, axis=0)  # (..., D)
    return Tensor.from_op(rows, (weight,), _backward, "embedding")


_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction, where):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{where}(reduction={reduction!r}): expected one of {_REDUCTIONS}")


def cross_entropy(logits, targets, ignore_index=-100, label_smoothing=0.0, reduction="mean"):
    """Softmax cross-entropy of logits (..., C) against integer targets (...).

    Per position: loss = -sum_c q_c log p_c with p = softmax(logits) and the target distribution
    q = (1 - s) onehot(target) + s / C (label smoothing s). Positions whose target is `ignore_index`
    (padding) count for nothing; "mean" divides by the number of the others (NaN if there are none,
    as in PyTorch). Backward: dlogits = (p - q) * g_position.
    """
    _check_reduction(reduction, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy(label_smoothing={label_smoothing!r}): expected a value in [0, 1]")
    logits = _tensor(logits)
    targets = _int_array(targets, "cross_entropy(targets=...)")
    if targets.shape != logits.shape[:-1]:
        raise ValueError(
            f"cross_entropy: targets shape {targets.shape} must be logits shape {logits.shape} without its last axis"
        )
    xp = backend.xp()
    C = logits.shape[-1]
    t = targets.reshape(-1)  # (N,)
    valid = t != ignore_index  # (N,) bool
    safe_t = xp.where(valid, t, 0)
    if safe_t.size and (int(safe_t.min()) < 0 or int(safe_t.max()) >= C):
        raise ValueError(f"cross_entropy(targets=...): targets must be in [0, {C}) or ignore_index={ignore_index}")
    rows = xp.arange(t.size)
    logp = _log_softmax_array(logits.data.reshape(-1, C), axis=1)  # (N, C)
    losses = logp[rows, safe_t] * -(1.0 - label_smoothing)  # (N,)
    if label_smoothing:
        losses -= logp.sum(axis=1) * (label_smoothing / C)
    dtype = logp.dtype
    weights = valid.astype(dtype)  # (N,) 1 for real positions, 0 for padding
    losses *= weights
    if reduction == "mean":
        n_valid = int(valid.sum())
        per_position = 1.0 / n_valid if n_valid else float("nan")
        value = losses.sum() * per_position
    elif reduction == "sum":
        per_position, value = 1.0, losses.sum()
    else:
        per_position, value = None, losses.reshape(targets.shape)

    def _backward(g):
        grad = xp.exp(logp)  # (N, C) softmax probabilities p
        grad[rows, safe_t] -= 1.0 - label_smoothing  # p - (1 - s) onehot
        if label_smoothing:
            grad -= label_smoothing / C  # p - q
        coef = weights * (g.reshape(-1) if per_position is None else g * per_position)  # (N,)
        grad *= coef[:, None]
        return (grad.reshape(logits.shape),)

    return Tensor.from_op(value, (logits,), _backward, "cross_entropy")


def binary_cross_entropy_with_logits(logits, targets, weight=None, reduction="mean"):
    """Binary cross-entropy on logits x with targets y in [0, 1], optionally weighted by w.

        loss = max(x, 0) - x y + log(1 + exp(-|x|))     (= -y log s - (1-y) log(1-s), s = sigmoid(x), stable)
        dloss/dx = s - y
    "mean" is sum(w * loss) / sum(w) (with w = 1: the plain mean). NOTE: PyTorch's weighted mean divides
    by the number of elements instead; ours makes a 0/1 padding mask average over real positions only.
    """
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    logits = _tensor(logits)
    xp = backend.xp()
    x = logits.data
    y = targets.data if isinstance(targets, Tensor) else xp.asarray(targets, dtype=x.dtype)
    e = xp.exp(-xp.abs(x))  # in (0, 1]
    losses = xp.maximum(x, 0) - x * y
    losses += xp.log1p(e)
    s = 1 / (1 + e)  # sigmoid(|x|)
    s = xp.where(x >= 0, s, e * s)  # sigmoid(x), without overflow for either sign
    w = None
    if weight is not None:
        w = weight.data if isinstance(weight, Tensor) else xp.asarray(weight, dtype=x.dtype)
        losses = losses * w
    if reduction == "mean":
        total_weight = x.size if w is None else float(xp.broadcast_to(w, losses.shape).sum())
        per_element = 1.0 / total_weight if total_weight else float("nan")
        value = losses.sum() * per_element
    elif reduction == "sum":
        per_element, value = 1.0, losses.sum()
    else:
        per_element, value = None, losses

    def _backward(g):
        grad = s - y
        grad = grad * (g if per_element is None else g * per_element)
        if w is not None:
            grad *= w
        return (arrays.unbroadcast(grad, logits.shape),)

    return Tensor.from_op(value, (logits,), _backward, "bce_with_logits")


# ----- selection and joining ------------------------------------------------------------------------
def masked_fill(x, mask, value):
    """Where mask (bool, broadcastable to x) is True put `value`; those positions get no gradient."""
    return _tensor(x).masked_fill(mask, value)


def where(condition, a, b):
    """Elementwise `a` where condition else `b`; the gradient goes to whichever was picked."""
    condition = _as_bool_mask(condition, "where")
    xp = backend.xp()
    like = a if isinstance(a, Tensor) else b if isinstance(b, Tensor) else Tensor(backend.asarray(a))
    a, b = like._lift(a), like._lift(b)

    def _backward(g):
        zero = xp.zeros((), g.dtype)
        ga = arrays.unbroadcast(xp.where(condition, g, zero), a.shape) if a.requires_grad else None
        gb = arrays.unbroadcast(xp.where(condition, zero, g), b.shape) if b.requires_grad else None
        return ga, gb

    return Tensor.from_op(xp.where(condition, a.data, b.data), (a, b), _backward, "where")


def concatenate(tensors, axis=0):
    """Join tensors along an existing axis. Backward: each input gets its own slice of g."""
    tensors = [_tensor(t) for t in tensors]
    xp = backend.xp()
    joined = xp.concatenate([t.data for t in tensors], axis=axis)
    ends, total = [], 0
    for t in tensors[:-1]:
        total += t.shape[axis]
        ends.append(total)

    def _backward(g):
        return tuple(xp.split(g, ends, axis=axis))

    return Tensor.from_op(joined, tuple(tensors), _backward, "concatenate")


def stack(tensors, axis=0):
    """Join same-shaped tensors along a new axis. Backward: input i gets g[..., i, ...] on that axis."""
    tensors = [_tensor(t) for t in tensors]
    stacked = backend.xp().stack([t.data for t in tensors], axis=axis)
    axis = axis % stacked.ndim

    def _backward(g):
        return tuple(g[(slice(None),) * axis + (i,)] for i in range(len(tensors)))

    return Tensor.from_op(stacked, tuple(tensors), _backward, "stack")
