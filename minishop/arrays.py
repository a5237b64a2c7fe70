"""Fast array kernels, no graph: the few array operations whose plain NumPy form is too slow.

Everything here takes and returns backend arrays (NumPy or CuPy), never Tensors, and records nothing
for autograd. Each function names its plain NumPy reading first; read that line and you know what it
computes. The body is a faster way to get the same numbers, with the reason in the docstring:

- sums as matrix products (row sums, bias gradients, the adjoint of broadcasting): NumPy's reduction
  over short rows (D = 50 features) is slow, while BLAS runs the same sum as `x @ ones` several times
  faster, and layer norms and softmaxes do it many times per training step;
- the log-sum-exp of a huge logits array a block of rows at a time, so exp() never makes a second
  copy of the whole array;
- a stack of matrices times one matrix as a single matrix product;
- scatter-add with repeated indices (the backward of every gather) by sorting instead of `np.add.at`,
  after recognising which kind of index `x[index]` is.
"""

import math

from minishop import backend


# ----- sums through BLAS ---------------------------------------------------------------------------
def sum_last_axis(x):
    """x.sum(axis=-1, keepdims=True) for a float array: (..., D) -> (..., 1), computed as x @ ones.

    A matrix-vector product runs this sum faster than NumPy's reduction over short rows (bench/README.md).
    """
    return x @ backend.xp().ones((x.shape[-1], 1), dtype=x.dtype)


def sum_leading_axes(x, n_axes):
    """x.sum(axis=tuple(range(n_axes))) for a float array: (a, b, ..., rest) -> (rest), as ones @ x.

    The sum behind every bias gradient: (B, T, D) -> (D,) is one vector-matrix product over B*T rows.
    """
    rows = math.prod(x.shape[:n_axes])
    flat = x.reshape(rows, -1)  # (rows, rest)
    return (backend.xp().ones(rows, dtype=x.dtype) @ flat).reshape(x.shape[n_axes:])


def unbroadcast(grad, shape):
    """Sum `grad` down to `shape`: the adjoint of broadcasting an array of `shape` up to grad.shape.

    Plain reading: grad.sum(axis=<the axes broadcasting added or stretched from 1>).reshape(shape).
    Broadcasting copies a value along new leading axes and along axes of size 1, so each copy sends its
    gradient back to the one original value: we sum over exactly those axes. Only new leading axes
    (a bias (D,) added to (B, T, D)) take the fast `sum_leading_axes`.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)  # leading axes that broadcasting added
    axes = tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and grad.shape[extra + i] != 1
    )
    if axes == tuple(range(extra)) and grad.dtype.kind == "f":
        return sum_leading_axes(grad, extra)
    return grad.sum(axis=axes).reshape(shape) if axes else grad.reshape(shape)


def sum_along(x, axis):
    """x.sum(axis=axis, keepdims=True), through `sum_last_axis` when `axis` is the last one."""
    return sum_last_axis(x) if axis in (-1, x.ndim - 1) else x.sum(axis=axis, keepdims=True)


def sum_exp_along(shifted, axis, chunk_elements=1 << 20):
    """exp(shifted).sum(axis=axis, keepdims=True), the sum inside log-sum-exp.

    Along the last axis of a big array it goes a block of rows at a time, so the exp() temporary stays
    small: the (800, 23,716) float32 logits of a full-softmax loss would need another 75 MB at once.
    """
    xp = backend.xp()
    if axis not in (-1, shifted.ndim - 1) or shifted.size <= chunk_elements:
        return sum_along(xp.exp(shifted), axis)
    rows = shifted.reshape(-1, shifted.shape[-1])  # (N, C)
    sums = xp.empty((rows.shape[0], 1), dtype=shifted.dtype)  # (N, 1)
    step = max(1, chunk_elements // rows.shape[1])
    for start in range(0, rows.shape[0], step):
        sums[start:start + step] = sum_last_axis(xp.exp(rows[start:start + step]))
    return sums.reshape(shifted.shape[:-1] + (1,))


# ----- matrix products -----------------------------------------------------------------------------
def matmul(a, b):
    """np.matmul(a, b): (..., n, k) @ (..., k, m) -> (..., n, m), batched over leading axes that broadcast.

    A stack a (B, T, k) times ONE matrix b (k, m) runs as a single product (B*T, k) @ (k, m), which BLAS
    does faster than B small ones (every Linear layer applied to a batch of sequences).
    """
    if b.ndim == 2 and a.ndim > 2:
        return (a.reshape(-1, a.shape[-1]) @ b).reshape(a.shape[:-1] + b.shape[-1:])
    return backend.xp().matmul(a, b)


# ----- axes and indices ---------------------------------------------------------------------------
def normalize_axes(axis, ndim):
    """axis as NumPy takes it (None = all, an int, or a tuple) -> a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(sorted(a % ndim for a in axes)) if ndim else ()


def kept_shape(shape, axes):
    """shape with the reduced axes kept as 1: the shape x.sum(axes, keepdims=True) has."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def is_array(x):
    """True for a NumPy/CuPy array or NumPy scalar (anything with a shape and a dtype), not a Tensor."""
    return hasattr(x, "shape") and hasattr(x, "dtype") and not hasattr(x, "requires_grad")


def as_index(index):
    """index with every Tensor, list or other-backend array inside it turned into an active-backend array.

    So NumPy/CuPy see a gather (x[[0, 2]] picks rows 0 and 2), never a tuple of separate indices.
    """
    def convert(item):
        if hasattr(item, "requires_grad"):  # a Tensor: index with its array
            return item.data
        if isinstance(item, list) or (is_array(item) and backend.get_array_module(item) is not backend.xp()):
            return backend.asarray(item)
        return item

    return tuple(convert(i) for i in index) if isinstance(index, tuple) else convert(index)


def is_basic_index(index):
    """True when x[index] is a view (slices, ints, None, ...): no element can be picked twice."""
    items = index if isinstance(index, tuple) else (index,)
    return all(
        isinstance(i, (slice, type(None), type(Ellipsis))) or (isinstance(i, int) and not isinstance(i, bool))
        for i in items
    )


def is_row_gather(index):
    """True for x[ids] with one integer array: whole rows picked along the first axis (a lookup)."""
    return is_array(index) and index.dtype.kind in "iu"


# ----- scatter-add ---------------------------------------------------------------------------------
def scatter_add_rows(n_rows, indices, values):
    """out = zeros((n_rows, ...)); np.add.at(out, indices, values): (N,), (N, ...) -> (n_rows, ...).

    out[indices[i]] += values[i] for every i, REPEATED indices summing: the backward of every gather
    (embedding lookups, x[ids]). On NumPy, sorting the indices and summing each run of equal ones with
    `np.add.reduceat` beats `np.add.at` (bench/README.md); on CuPy the GPU's atomic adds
    (cupyx.scatter_add) are the fast way. Indices must be in [0, n_rows).
    """
    xp = backend.xp()
    out = xp.zeros((n_rows,) + values.shape[1:], dtype=values.dtype)
    if indices.size == 0:
        return out
    if backend.backend_name() == "cupy":
        import cupyx

        cupyx.scatter_add(out, indices, values)
        return out
    np = backend.np
    order = np.argsort(indices, kind="stable")
    sorted_indices = indices[order]
    run_starts = np.flatnonzero(np.concatenate(([True], sorted_indices[1:] != sorted_indices[:-1])))
    out[sorted_indices[run_starts]] = np.add.reduceat(values[order], run_starts, axis=0)
    return out


def scatter_add(shape, index, values):
    """out = zeros(shape); np.add.at(out, index, values): the backward of x[index] for x of `shape`.

    A repeated index receives the SUM of its values. Three cases, fastest first: whole rows picked by one
    integer array (an embedding lookup) go to `scatter_add_rows`; a basic index (slices, ints) picks no
    element twice, so a plain assignment does; any other gather scatter-adds the flat position of each
    picked element. `index` as returned by `as_index`.
    """
    xp = backend.xp()
    if is_row_gather(index):
        ids = index.reshape(-1) % shape[0]  # negative ids count from the end
        return scatter_add_rows(shape[0], ids, values.reshape(index.size, -1)).reshape(shape)  # (n_rows, ...)
    if is_basic_index(index):
        out = xp.zeros(shape, dtype=values.dtype)
        out[index] = values
        return out
    size = math.prod(shape)
    positions = xp.arange(size).reshape(shape)[index]
    return scatter_add_rows(size, positions.reshape(-1), values.reshape(-1, 1)).reshape(shape)
