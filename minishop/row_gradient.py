"""RowGradient: the gradient of a big table that is zero except at a few rows.

An embedding lookup y = W[ids] reads a few rows of a table W (V, D), and its backward

    dL/dW[v] = sum of dL/dy[i] over every position i with ids[i] == v,    zero for every other row v

is zero everywhere except at the rows that were looked up. Written as a dense (V, D) array, that zero
costs as much as the table: a catalogue of a million items at D = 64 is a 256 MB table, and a training
step that looks up ten thousand rows would zero 256 MB, scatter into it, read all of it to clip, and make
Adam update every one of its 64 million weights and both moments. So a RowGradient keeps only what is
not zero:

    rows    (R,)      which rows of the table received a gradient (repeats allowed)
    values  (R, D)    the gradient of each of them: dW = sum_r onehot(rows[r]) values[r]

This is PyTorch's `nn.Embedding(sparse=True)` gradient (a sparse COO tensor). The algebra it needs:

    RowGradient + RowGradient = RowGradient   the rows and values side by side (a sum of two sums)
    RowGradient + dense array = dense array   add the values into a copy of the dense array
    coalesce()                                one entry per row: repeated rows summed, rows sorted
    to_dense()                                the (V, D) array, for checks and for code that needs one

`shape`, `dtype` and `base` read as an array's, so the engine (tensor.py) checks it and decides whether it
may write into it as it does for arrays; sums with a RowGradient go through `add` below.
`np.asarray(g)` gives its dense form (so host tools such as gradcheck read it). The optimizers update
only the rows it names (optim/adam.py, optim/sgd.py), which keeps a step's cost flat in the table's size.
"""

from minishop import arrays, backend


class RowGradient:
    """The gradient of a table of `shape` (V, ...) that is `values[r]` at row `rows[r]` and zero elsewhere."""

    __array_ufunc__ = None  # `dense + g` then calls g.__radd__ instead of NumPy converting g behind our back

    def __init__(self, rows, values, shape, coalesced=False):
        if rows.ndim != 1 or values.shape[:1] != rows.shape or tuple(values.shape[1:]) != tuple(shape[1:]):
            raise ValueError(f"RowGradient: rows {rows.shape} and values {values.shape} must be (R,) and (R, "
                             f"{', '.join(map(str, shape[1:]))}) for a table of shape {tuple(shape)}")
        self.rows, self.values = rows, values  # (R,) ints, (R, D)
        self.shape = tuple(shape)  # (V, D): the table's
        self.coalesced = coalesced  # True when every row appears once, sorted

    dtype = property(lambda self: self.values.dtype)
    ndim = property(lambda self: len(self.shape))
    # as an array's: None when the values are this gradient's own, so the engine may keep and later scale them
    # (tensor.py's ownership rule), else the array they are a view of. The rows are never written into.
    base = property(lambda self: self.values.base)

    def __repr__(self):
        return f"RowGradient({len(self.rows)} rows of a {self.shape} table, {self.dtype})"

    # ----- forms --------------------------------------------------------------------------------
    def coalesce(self):
        """The same gradient with each row once (sorted), repeated rows' values summed: (U,), (U, D)."""
        if self.coalesced:
            return self
        xp = backend.xp()
        rows, inverse = xp.unique(self.rows, return_inverse=True)  # (U,) sorted, (R,) where each entry goes
        values = arrays.scatter_add_rows(len(rows), inverse.reshape(-1), self.values)  # (U, D)
        return RowGradient(rows, values, self.shape, coalesced=True)

    def to_dense(self):
        """The gradient as a (V, D) array: zeros, plus the values at their rows."""
        return self.add_to(backend.xp().zeros(self.shape, dtype=self.dtype))

    def __array__(self, dtype=None, copy=None):
        dense = backend.to_numpy(self.to_dense())
        return dense if dtype is None else dense.astype(dtype)

    def add_to(self, dense, alpha=1.0):
        """dense += alpha * self, in place (dense: a (V, D) array); returns dense."""
        if tuple(dense.shape) != self.shape:
            raise ValueError(f"RowGradient.add_to: a gradient of shape {self.shape} cannot be added to {dense.shape}")
        summed = self.coalesce()  # unique rows, so `dense[rows] += ...` adds each row's whole sum
        dense[summed.rows] += summed.values if alpha == 1.0 else alpha * summed.values
        return dense

    def copy(self):
        return RowGradient(self.rows.copy(), self.values.copy(), self.shape, self.coalesced)

    def astype(self, dtype):
        return RowGradient(self.rows, self.values.astype(dtype), self.shape, self.coalesced)

    # ----- algebra ------------------------------------------------------------------------------
    def __add__(self, other):
        """RowGradient + RowGradient -> RowGradient (rows side by side); + dense array -> a new dense array."""
        xp = backend.xp()
        if isinstance(other, RowGradient):
            if other.shape != self.shape:
                raise ValueError(f"RowGradient: cannot add gradients of tables {self.shape} and {other.shape}")
            return RowGradient(xp.concatenate([self.rows, other.rows]),
                               xp.concatenate([self.values, other.values]), self.shape)
        if not isinstance(other, xp.ndarray) or tuple(other.shape) != self.shape:
            raise TypeError(f"RowGradient + {type(other).__name__}: expected a RowGradient or an array of shape "
                            f"{self.shape}, got {getattr(other, 'shape', other)!r}")
        dtype = xp.result_type(self.dtype, other.dtype)
        return self.add_to(other.astype(dtype, copy=True))

    __radd__ = __add__

    def __mul__(self, scale):
        """A number times the gradient: scales the values."""
        return RowGradient(self.rows, self.values * scale, self.shape, self.coalesced)

    __rmul__ = __mul__

    def __imul__(self, scale):
        self.values *= scale
        return self

    def __neg__(self):
        return self * -1


def is_rows(x):
    """True when x is a RowGradient (a table's gradient kept as its rows), not an array."""
    return isinstance(x, RowGradient)


def add(total, total_owned, grad, grad_owned):
    """total + grad where either is a RowGradient (the engine's accumulation, tensor.py); returns the sum.

    Two RowGradients stay one (their rows side by side). With a dense array the sum is dense: the rows are
    added INTO that array when it is ours to write (owned), else into a copy of it.
    """
    if isinstance(total, RowGradient) and isinstance(grad, RowGradient):
        return total + grad
    dense, owned, rows = (total, total_owned, grad) if isinstance(grad, RowGradient) else (grad, grad_owned, total)
    if owned and dense.dtype == backend.xp().result_type(dense.dtype, rows.dtype):
        return rows.add_to(dense)
    return rows + dense
