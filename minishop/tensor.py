"""Tensor: an array that remembers how it was computed, so it can compute its own gradient.

Reverse-mode automatic differentiation in one page
--------------------------------------------------
Every operation on Tensors records a node: the output, its parent Tensors, and a small `_backward`
function holding the op's local derivative. Calling `loss.backward()` then applies the chain rule

    dL/dx = sum over every use y = f(x, ...) of   dL/dy * dy/dx

from the loss back to the inputs. `_backward(g)` receives g = dL/dy (same shape as y) and returns
dL/dparent for each parent. A node may only run its `_backward` once dL/dy is complete, i.e. after
every node that used y has sent its share, so we visit the nodes in reverse topological order
(an ordering where each node comes after all of its parents). The sort is an explicit-stack
depth-first search, not recursion, so graphs many thousands of ops deep work.

Each op's backward sits right beside its forward (as in micrograd), with the derivative in a comment.

Conventions
-----------
- Gradients ACCUMULATE: calling backward twice adds into `.grad` (set `.grad = None` or call
  `zero_grad()` between steps). Only leaves (tensors you created) keep `.grad`, as in PyTorch;
  call `t.retain_grad()` to keep it on an intermediate tensor too.
- After backward the graph is released (its saved arrays are freed) unless `retain_graph=True`.
- dtypes are preserved: float32 stays float32; Python scalars never promote an array to float64.
- Broadcasting: the gradient of a broadcast input is summed back to its shape by `_unbroadcast`.
- Memory: a `_backward` returns, for each parent, g itself, a view of g, or a new array. backward()
  adds further contributions into a gradient IN PLACE only when it owns that array (a new array that
  no other parent holds); otherwise it makes a new sum. Closures save arrays, never their own output
  Tensor, so the graph has no reference cycles and is freed as soon as backward is done with it.
"""

import functools

from minishop import backend

_grad_state = {"enabled": True}


class no_grad:
    """Context manager (or decorator) inside which operations build no graph: inference, optimizer steps."""

    def __enter__(self):
        self._previous = _grad_state["enabled"]
        _grad_state["enabled"] = False

    def __exit__(self, *exc):
        _grad_state["enabled"] = self._previous

    def __call__(self, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with no_grad():
                return function(*args, **kwargs)

        return wrapper


def is_grad_enabled():
    """True unless inside `no_grad()`."""
    return _grad_state["enabled"]


def _sum_last_axis(x):
    """x.sum(axis=-1, keepdims=True) for a float array (..., D) -> (..., 1), as x @ ones.

    Same sum, but as a matrix-vector product BLAS runs it ~5x faster than NumPy's reduction over
    short rows (D = 50), which the layer norms and softmaxes of a transformer do many times a step.
    """
    return x @ backend.xp().ones((x.shape[-1], 1), dtype=x.dtype)


def _sum_leading_axes(x, n_axes):
    """x summed over its first n_axes axes, as ones @ x (the fast form of a bias gradient's sum)."""
    rows = 1
    for n in x.shape[:n_axes]:
        rows *= n
    flat = x.reshape(rows, -1)  # (rows, rest)
    return (backend.xp().ones(rows, dtype=x.dtype) @ flat).reshape(x.shape[n_axes:])


def _unbroadcast(grad, shape):
    """Sum `grad` down to `shape`: the adjoint of broadcasting an array of `shape` up to grad.shape.

    Broadcasting copies a value along new leading axes and along axes of size 1, so each copy
    sends its gradient back to the one original value: we sum over exactly those axes.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)  # leading axes that broadcasting added
    axes = tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and grad.shape[extra + i] != 1
    )
    if axes == tuple(range(extra)) and grad.dtype.kind == "f":  # e.g. a bias (D,) added to (B, T, D)
        return _sum_leading_axes(grad, extra)
    return grad.sum(axis=axes).reshape(shape) if axes else grad.reshape(shape)


def _is_array(x):
    return hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, Tensor)


def _normalize_axes(axis, ndim):
    """axis (None, int or tuple) -> a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(sorted(a % ndim for a in axes)) if ndim else ()


class Tensor:
    """A backend array (`.data`) plus what autograd needs: `.grad`, `.requires_grad`, and the graph.

    Tensor(data, requires_grad=False): data is a NumPy/CuPy array (its dtype is kept) or a Python
    number/list (Python floats become the default dtype, float32 unless changed).
    """

    __array_ufunc__ = None  # make `ndarray * Tensor` call Tensor.__rmul__ instead of NumPy's loop

    def __init__(self, data, requires_grad=False, name=None):
        if isinstance(data, Tensor):
            data = data.data
        if not isinstance(data, backend.xp().ndarray):
            from_python = not hasattr(data, "dtype")  # a number or a list, not a NumPy array or scalar
            data = backend.asarray(data)
            if from_python and data.dtype.kind == "f" and data.dtype != backend.default_dtype():
                data = data.astype(backend.default_dtype())  # a Python float -> the default dtype
        if requires_grad and data.dtype.kind not in "fc":
            raise ValueError(f"Tensor(requires_grad=True): only floating tensors can require grad, got {data.dtype}")
        self.data = data
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self.name = name  # optional label, used by gradcheck's messages
        self._parents = ()  # the Tensors this one was computed from
        self._backward = None  # g -> tuple of gradients, one per parent (None where not needed)
        self._op = ""  # the op that made it ("" for a leaf)
        self._retain_grad = False
        self._graph_freed = False

    # ----- basic properties -------------------------------------------------------------
    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    dtype = property(lambda self: self.data.dtype)
    size = property(lambda self: self.data.size)
    T = property(lambda self: self.transpose())

    def __len__(self):
        return len(self.data)

    def __repr__(self):
        grad = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({self.data!r}{grad})"

    def item(self):
        """The value of a one-element tensor as a Python number."""
        return self.data.item()

    def numpy(self):
        """A host NumPy copy of the data."""
        return backend.to_numpy(self.data).copy()

    def detach(self):
        """The same data (shared, not copied) as a new leaf that is cut off from the graph."""
        return Tensor(self.data)

    def zero_grad(self):
        """Forget the accumulated gradient."""
        self.grad = None

    def retain_grad(self):
        """Keep `.grad` on this intermediate tensor after backward (leaves always keep it)."""
        self._retain_grad = True
        return self

    # ----- graph building ---------------------------------------------------------------
    def _child(self, data, parents, op):
        """A new Tensor holding `data`, linked to `parents` when a gradient may flow through it."""
        if not isinstance(data, backend.xp().ndarray):
            data = backend.xp().asarray(data)  # NumPy turns 0-d results into scalars; keep arrays
        out = Tensor.__new__(Tensor)
        out.data, out.grad, out.name = data, None, None
        out._retain_grad = out._graph_freed = False
        out.requires_grad = _grad_state["enabled"] and any(p.requires_grad for p in parents)
        out._parents = parents if out.requires_grad else ()
        out._backward, out._op = None, op
        return out

    def _record(self, backward):
        """Attach the op's backward function (only if a gradient can flow; else drop it and its arrays)."""
        if self.requires_grad:
            self._backward = backward
        return self

    def _lift(self, other):
        """Wrap a number or array as a constant Tensor. Numbers (Python, NumPy scalars, 0-d arrays)
        take this tensor's float dtype, so `x32 * np.sqrt(2.0)` stays float32 (as in PyTorch)."""
        if isinstance(other, Tensor):
            return other
        if _is_array(other) and (other.ndim > 0 or self.dtype.kind != "f"):
            return Tensor(other)
        dtype = self.dtype if self.dtype.kind == "f" else backend.default_dtype()
        return Tensor(backend.xp().asarray(other, dtype=dtype))

    # ----- arithmetic -------------------------------------------------------------------
    def __add__(self, other):
        other = self._lift(other)
        out = self._child(self.data + other.data, (self, other), "+")

        def _backward(g):  # d(a+b)/da = d(a+b)/db = 1
            return _unbroadcast(g, self.shape), _unbroadcast(g, other.shape)

        return out._record(_backward)

    def __sub__(self, other):
        other = self._lift(other)
        out = self._child(self.data - other.data, (self, other), "-")

        def _backward(g):  # d(a-b)/da = 1, d(a-b)/db = -1
            return _unbroadcast(g, self.shape), (_unbroadcast(-g, other.shape) if other.requires_grad else None)

        return out._record(_backward)

    def __mul__(self, other):
        other = self._lift(other)
        out = self._child(self.data * other.data, (self, other), "*")

        def _backward(g):  # d(a*b)/da = b, d(a*b)/db = a
            ga = _unbroadcast(g * other.data, self.shape) if self.requires_grad else None
            gb = _unbroadcast(g * self.data, other.shape) if other.requires_grad else None
            return ga, gb

        return out._record(_backward)

    def __truediv__(self, other):
        other = self._lift(other)
        quotient = self.data / other.data
        out = self._child(quotient, (self, other), "/")

        def _backward(g):  # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2 = -(a/b)/b
            ga = _unbroadcast(g / other.data, self.shape) if self.requires_grad else None
            gb = _unbroadcast(-g * quotient / other.data, other.shape) if other.requires_grad else None
            return ga, gb

        return out._record(_backward)

    def __neg__(self):
        out = self._child(-self.data, (self,), "neg")
        return out._record(lambda g: (-g,))  # d(-a)/da = -1

    def __pow__(self, exponent):
        if isinstance(exponent, Tensor) or _is_array(exponent):
            raise TypeError("Tensor ** exponent: the exponent must be a Python number (use exp/log for x**y)")
        out = self._child(self.data**exponent, (self,), "**")

        def _backward(g):  # d(a^p)/da = p * a^(p-1)
            return (g * (exponent * self.data ** (exponent - 1)),)

        return out._record(_backward)

    def __radd__(self, other):
        return self._lift(other) + self

    def __rsub__(self, other):
        return self._lift(other) - self

    def __rmul__(self, other):
        return self._lift(other) * self

    def __rtruediv__(self, other):
        return self._lift(other) / self

    def __matmul__(self, other):
        return matmul(self, self._lift(other))

    def __rmatmul__(self, other):
        return matmul(self._lift(other), self)

    # ----- reductions -------------------------------------------------------------------
    def sum(self, axis=None, keepdims=False):
        """Sum over `axis` (None = all, int or tuple). Backward: every summed element gets g."""
        axes = _normalize_axes(axis, self.ndim)
        out = self._child(self.data.sum(axis=axes, keepdims=keepdims), (self,), "sum")

        def _backward(g):
            g = g if keepdims else g.reshape(_kept_shape(self.shape, axes))
            return (backend.xp().broadcast_to(g, self.shape),)

        return out._record(_backward)

    def mean(self, axis=None, keepdims=False):
        """Mean over `axis`. Backward: every element gets g / n."""
        axes = _normalize_axes(axis, self.ndim)
        n = 1
        for a in axes:
            n *= self.shape[a]
        out = self._child(self.data.mean(axis=axes, keepdims=keepdims), (self,), "mean")

        def _backward(g):
            g = g if keepdims else g.reshape(_kept_shape(self.shape, axes))
            return (backend.xp().broadcast_to(g * (1.0 / n), self.shape),)

        return out._record(_backward)

    def max(self, axis=None, keepdims=False):
        """Maximum over `axis`. Backward: g goes to the maximal element; TIES SHARE it equally."""
        axes = _normalize_axes(axis, self.ndim)
        top = self.data.max(axis=axes, keepdims=True)
        out = self._child(top if keepdims else top.reshape(_reduced_shape(self.shape, axes)), (self,), "max")

        def _backward(g):
            g = g if keepdims else g.reshape(top.shape)
            is_max = self.data == top  # (..., n) True at the maximum (several where tied)
            count = is_max.sum(axis=axes, keepdims=True, dtype=self.dtype)
            return (is_max * (g / count),)

        return out._record(_backward)

    # ----- elementwise functions ----------------------------------------------------------
    def exp(self):
        y = backend.xp().exp(self.data)
        out = self._child(y, (self,), "exp")
        return out._record(lambda g: (g * y,))  # d(e^a)/da = e^a

    def log(self):
        out = self._child(backend.xp().log(self.data), (self,), "log")
        return out._record(lambda g: (g / self.data,))  # d(ln a)/da = 1/a

    def sqrt(self):
        y = backend.xp().sqrt(self.data)
        out = self._child(y, (self,), "sqrt")
        return out._record(lambda g: (g / (2 * y),))  # d(sqrt a)/da = 1 / (2 sqrt a)

    def tanh(self):
        y = backend.xp().tanh(self.data)
        out = self._child(y, (self,), "tanh")
        return out._record(lambda g: (g * (1 - y * y),))  # d(tanh a)/da = 1 - tanh^2 a

    def relu(self):
        positive = self.data > 0
        out = self._child(self.data * positive, (self,), "relu")
        return out._record(lambda g: (g * positive,))  # d relu(a)/da = 1 if a > 0 else 0

    # ----- shape ----------------------------------------------------------------------
    def reshape(self, *shape):
        """Same data in a new shape (one entry may be -1). Backward: reshape g back."""
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        out = self._child(self.data.reshape(shape), (self,), "reshape")
        return out._record(lambda g: (g.reshape(self.shape),))

    def transpose(self, *axes):
        """Permute the axes (no axes: reverse them). Backward: apply the inverse permutation to g."""
        axes = axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        axes = tuple(a % self.ndim for a in axes) if axes else tuple(reversed(range(self.ndim)))
        inverse = tuple(sorted(range(len(axes)), key=axes.__getitem__))
        out = self._child(self.data.transpose(axes), (self,), "transpose")
        return out._record(lambda g: (g.transpose(inverse),))

    permute = transpose

    # ----- indexing -------------------------------------------------------------------
    def __getitem__(self, index):
        """x[index] with slices, ints, None, ... (basic) or integer/boolean arrays (gather).

        Backward scatter-adds g into a zero array of x's shape. A repeated index receives the SUM of
        its gradients; this uses sort + segment sums (backend.scatter_add_rows), never np.add.at.
        """
        xp = backend.xp()
        index = _index_to_arrays(index)
        out = self._child(self.data[index], (self,), "getitem")

        if _is_row_gather(index):  # x[ids]: pick whole rows, as an embedding lookup does
            def _backward(g):
                ids = index.reshape(-1) % self.shape[0]  # negative ids count from the end
                rows = backend.scatter_add_rows(self.shape[0], ids, g.reshape(index.size, -1))
                return (rows.reshape(self.shape),)  # (n_rows, ...)
        elif _is_basic_index(index):  # a view: no element is picked twice
            def _backward(g):
                grad = xp.zeros(self.shape, dtype=g.dtype)
                grad[index] = g
                return (grad,)
        else:  # any other gather: flat position of each picked element, then the same scatter-add
            def _backward(g):
                positions = xp.arange(self.size).reshape(self.shape)[index]
                flat = backend.scatter_add_rows(self.size, positions.reshape(-1), g.reshape(-1, 1))
                return (flat.reshape(self.shape),)

        return out._record(_backward)

    def masked_fill(self, mask, value):
        """Where `mask` (bool, broadcastable to x) is True put `value`; filled positions get no gradient."""
        mask = _as_bool_mask(mask, "masked_fill")
        xp = backend.xp()
        fill = xp.asarray(value, dtype=self.dtype)
        out = self._child(xp.where(mask, fill, self.data), (self,), "masked_fill")
        return out._record(lambda g: (_unbroadcast(xp.where(mask, xp.zeros((), g.dtype), g), self.shape),))

    # ----- backward pass ----------------------------------------------------------------
    def backward(self, grad=None, retain_graph=False):
        """Compute d(self)/d(leaf) for every leaf that requires grad and ADD it to leaf.grad.

        grad: dL/d(self); defaults to 1 for a one-element tensor. retain_graph=True keeps the saved
        arrays so backward can run again through the same graph; otherwise they are freed.
        """
        if not self.requires_grad:
            raise RuntimeError("backward(): this tensor does not require grad (no input had requires_grad=True)")
        xp = backend.xp()
        if grad is None:
            if self.size != 1:
                raise RuntimeError(f"backward(): grad must be given for a non-scalar output of shape {self.shape}")
            grad, owned = xp.ones(self.shape, dtype=self.dtype), True
        else:
            grad, owned = (grad.data if isinstance(grad, Tensor) else xp.asarray(grad, dtype=self.dtype)), False
            if grad.shape != self.shape:
                raise ValueError(f"backward(grad=...): grad shape {grad.shape} != tensor shape {self.shape}")

        pending = {self: (grad, owned)}  # node -> (dL/dnode so far, whether we own that array)
        order = _topological_order(self)
        while order:
            node = order.pop()  # reverse topological order; popping lets finished nodes be freed early
            if node not in pending:
                continue
            g, owned = pending.pop(node)
            if node._backward is None:
                if node._graph_freed:
                    raise RuntimeError(
                        "backward(): trying to backward through a graph a second time; its saved arrays were "
                        "already freed. Use backward(retain_graph=True) the first time."
                    )
                node._store_grad(g, owned)  # a leaf
                continue
            if node._retain_grad:
                node._store_grad(g, False)
            parent_grads = node._backward(g)
            for parent, pg in zip(node._parents, parent_grads):
                if pg is None or not parent.requires_grad:
                    continue
                # We may later add into pg in place only if nothing else holds it: it goes to this parent
                # alone, and it is either a new array made by the op or g itself when g was ours.
                pg_owned = not _shared(pg, parent_grads) and (owned if pg is g else _is_fresh(pg))
                _accumulate(pending, parent, pg, pg_owned)
            if not retain_graph:
                node._backward, node._parents, node._graph_freed = None, (), True

    def _store_grad(self, g, owned):
        """Add g into self.grad (copying g unless it is a fresh array nobody else holds)."""
        if g.dtype != self.dtype:
            g = g.astype(self.dtype)
            owned = True
        if self.grad is None:
            self.grad = g if owned else g.copy()
        else:
            self.grad += g


def _accumulate(pending, node, g, owned):
    """pending[node] += g, in place when we own the running sum."""
    if not isinstance(g, backend.xp().ndarray):
        g, owned = backend.xp().asarray(g), True  # NumPy returns 0-d results as scalars
    if node not in pending:
        pending[node] = (g, owned)
        return
    total, total_owned = pending[node]
    if total_owned:
        total += g  # in place: no new array
    else:
        pending[node] = (total + g, True)


def _shared(array, arrays):
    """True if `arrays` holds `array` more than once, or also holds a view of it."""
    return sum(other is array or (other is not None and other.base is array) for other in arrays) > 1


def _is_fresh(array):
    """True for an array that owns its memory (a new result, not a view of another array)."""
    return array.base is None


def _topological_order(root):
    """Nodes that need a gradient, each after all of its parents (iterative depth-first search)."""
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        for parent in node._parents:
            if parent.requires_grad and parent not in visited:
                stack.append((parent, False))
    return order


def _kept_shape(shape, axes):
    """shape with the reduced axes kept as 1 (what keepdims=True gives)."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _reduced_shape(shape, axes):
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def _index_to_arrays(index):
    """Turn Tensors and lists inside an index into backend arrays (so numpy sees a gather, not a tuple)."""
    def convert(item):
        if isinstance(item, Tensor):
            return item.data
        if isinstance(item, list) or (_is_array(item) and backend.get_array_module(item) is not backend.xp()):
            return backend.asarray(item)
        return item

    return tuple(convert(i) for i in index) if isinstance(index, tuple) else convert(index)


def _is_basic_index(index):
    items = index if isinstance(index, tuple) else (index,)
    return all(
        isinstance(i, (slice, type(None), type(Ellipsis))) or (isinstance(i, int) and not isinstance(i, bool))
        for i in items
    )


def _is_row_gather(index):
    """x[ids] with one integer array: picks whole rows along the first axis."""
    return _is_array(index) and index.dtype.kind in "iu"


def _as_bool_mask(mask, where):
    mask = mask.data if isinstance(mask, Tensor) else backend.asarray(mask)
    if mask.dtype != bool:
        raise ValueError(f"{where}(mask=...): expected a bool array, got dtype {mask.dtype}")
    return mask


def matmul(a, b):
    """a @ b with NumPy's rules: batched over leading axes, which broadcast. (.., n, k) @ (.., k, m) -> (.., n, m).

    Backward: dL/da = g @ b^T, dL/db = a^T @ g (summed over broadcast batch axes).
    A 1-D operand is treated as a row (a) or a column (b) vector, and that axis is dropped again.
    """
    xp = backend.xp()
    a2 = a.data[None, :] if a.ndim == 1 else a.data  # (1, k)
    b2 = b.data[:, None] if b.ndim == 1 else b.data  # (k, 1)
    if b2.ndim == 2 and a2.ndim > 2:
        # (B, T, k) @ (k, m) as ONE big matrix product (B*T, k) @ (k, m), faster than B small ones
        out2 = (a2.reshape(-1, a2.shape[-1]) @ b2).reshape(a2.shape[:-1] + b2.shape[-1:])
    else:
        out2 = xp.matmul(a2, b2)
    out_shape = out2.shape
    if a.ndim == 1:
        out_shape = out_shape[:-2] + out_shape[-1:]
    if b.ndim == 1:
        out_shape = out_shape[:-1]
    out = a._child(out2.reshape(out_shape), (a, b), "@")

    def _backward(g):
        g2 = g.reshape(out2.shape)  # (..., n, m)
        ga = gb = None
        if a.requires_grad:
            if b2.ndim == 2 and g2.ndim > 2:
                ga = (g2.reshape(-1, g2.shape[-1]) @ b2.T).reshape(g2.shape[:-1] + b2.shape[:1])
            else:
                ga = xp.matmul(g2, xp.swapaxes(b2, -1, -2))
            ga = _unbroadcast(ga, a2.shape).reshape(a.shape)
        if b.requires_grad:
            if b2.ndim == 2 and a2.ndim > 2:  # sum over the batch inside one matrix product
                gb = a2.reshape(-1, a2.shape[-1]).T @ g2.reshape(-1, g2.shape[-1])
            else:
                gb = _unbroadcast(xp.matmul(xp.swapaxes(a2, -1, -2), g2), b2.shape)
            gb = gb.reshape(b.shape)
        return ga, gb

    return out._record(_backward)
