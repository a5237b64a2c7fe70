"""Tensor: an array that remembers how it was computed, so it can compute its own gradient.

Reverse-mode automatic differentiation in one page
--------------------------------------------------
Every operation on Tensors makes a node: the output array, its parent Tensors, and a small `backward`
function holding the op's local derivative. Calling `loss.backward()` then applies the chain rule

    dL/dx = sum over every use y = f(x, ...) of   dL/dy * dy/dx

from the loss back to the inputs. `backward(g)` receives g = dL/dy (same shape as y) and returns
dL/dparent for each parent. A node may only run its `backward` once dL/dy is complete, i.e. after
every node that used y has sent its share, so we visit the nodes in reverse topological order (each
node after all of its parents), found by an explicit-stack depth-first search, not recursion, so
graphs many thousands of ops deep work. Each op's backward sits right beside its forward (as in
micrograd). Every array comes from `backend.xp()`, so the engine runs on NumPy (CPU) or CuPy (GPU).

One way to make a Tensor: `Tensor(data)` makes a leaf (an input or a parameter); every op's output is
made by `Tensor.from_op(data, parents, backward, op)`: the ops below, functional.py's fused ops, and
your own (function.py's `Function` is the same hook for ops written on plain arrays).

Conventions
-----------
- Gradients ACCUMULATE: calling backward twice adds into `.grad` (set `.grad = None` or call
  `zero_grad()` between steps). Only leaves keep `.grad`, as in PyTorch (`t.retain_grad()` keeps it on
  an intermediate tensor too). After backward the graph is freed unless `retain_graph=True`.
- dtypes are preserved: float32 stays float32; Python scalars never promote an array to float64.
- Broadcasting: the gradient of a broadcast input is summed back to its shape (`arrays.unbroadcast`).
- Memory: backward() adds gradients in place whenever that is safe (the rule: `_accumulate`). Backward
  functions save arrays, never their own output Tensor, so the graph has no reference cycles.
"""

import contextlib
import math

from minishop import arrays, backend, row_gradient

_grad_state = {"enabled": True}


@contextlib.contextmanager
def no_grad():
    """Context manager or decorator (`@no_grad()`): inside it ops build no graph (inference, optimizer steps)."""
    previous, _grad_state["enabled"] = _grad_state["enabled"], False
    try:
        yield
    finally:
        _grad_state["enabled"] = previous


def is_grad_enabled():
    """True unless inside `no_grad()`."""
    return _grad_state["enabled"]


def _as_bool_mask(mask, where):
    mask = mask.data if isinstance(mask, Tensor) else backend.asarray(mask)
    if mask.dtype != bool:
        raise ValueError(f"{where}(mask=...): expected a bool array, got dtype {mask.dtype}")
    return mask


class Tensor:
    """A backend array (`.data`) plus what autograd needs: `.grad`, `.requires_grad`, and the graph.

    Tensor(data, requires_grad=False): data is a NumPy/CuPy array (dtype kept) or a Python number/list
    (Python floats take the default dtype, float32 unless changed)."""

    __array_ufunc__ = None  # make `ndarray * Tensor` call Tensor.__rmul__ instead of NumPy's loop

    def __init__(self, data, requires_grad=False, name=None):
        if isinstance(data, Tensor):
            data = data.data
        if not isinstance(data, backend.xp().ndarray):
            from_python = not hasattr(data, "dtype")  # a number or a list, not a NumPy array or scalar
            data = backend.asarray(data)  # NumPy scalars (0-d results) become 0-d arrays
            if from_python and data.dtype.kind == "f" and data.dtype != backend.default_dtype():
                data = data.astype(backend.default_dtype())  # a Python float -> the default dtype
        if requires_grad and data.dtype.kind not in "fc":
            raise ValueError(f"Tensor(requires_grad=True): only floating tensors can require grad, got {data.dtype}")
        self.data, self.grad = data, None
        self.requires_grad = bool(requires_grad)
        self.name = name  # optional label, used by gradcheck's messages
        self._parents, self._backward, self._op = (), None, ""  # the graph: set by from_op, empty for a leaf
        self._retain_grad = self._graph_freed = False

    @classmethod
    def from_op(cls, data, parents, backward, op="op"):
        """The output of an op: a Tensor holding array `data`, computed from the Tensors in `parents`.

        backward(g) receives g = dL/d(out), an array of out's shape, and returns a tuple with one
        gradient array per parent, each of that parent's shape (None where a parent needs none).
        Ownership: backward() may later add INTO a returned array that is not a view (`.base is None`),
        so return a new array, g itself, or a view of anything, but never a whole array that something
        still holds: saved state, a parent's or a constant's `.data` (return `a.copy()`, not `a`).
        `Function.apply` copies for you. When no parent requires grad, or inside no_grad(), the output
        is a plain constant and `backward` is dropped with everything it saved.
        """
        out = cls(data)
        needs_grad = False
        for parent in parents:
            if not isinstance(parent, Tensor):
                raise TypeError(f"Tensor.from_op(op={op!r}): parents must be Tensors, got {type(parent).__name__}")
            needs_grad = needs_grad or parent.requires_grad
        if needs_grad and _grad_state["enabled"]:
            out.requires_grad = True
            out._parents, out._backward, out._op = tuple(parents), backward, op
        return out

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

    def _lift(self, other):
        """Wrap a number or array as a constant Tensor. Numbers (Python, NumPy scalars, 0-d arrays)
        take this tensor's float dtype, so `x32 * np.sqrt(2.0)` stays float32 (as in PyTorch)."""
        if isinstance(other, Tensor):
            return other
        if arrays.is_array(other) and (other.ndim > 0 or self.dtype.kind != "f"):
            return Tensor(other)
        dtype = self.dtype if self.dtype.kind == "f" else backend.default_dtype()
        return Tensor(backend.xp().asarray(other, dtype=dtype))

    # ----- arithmetic -------------------------------------------------------------------
    def __add__(self, other):
        other = self._lift(other)

        def backward(g):  # d(a+b)/da = d(a+b)/db = 1
            return arrays.unbroadcast(g, self.shape), arrays.unbroadcast(g, other.shape)

        return Tensor.from_op(self.data + other.data, (self, other), backward, "+")

    def __sub__(self, other):
        other = self._lift(other)

        def backward(g):  # d(a-b)/da = 1, d(a-b)/db = -1
            gb = arrays.unbroadcast(-g, other.shape) if other.requires_grad else None
            return arrays.unbroadcast(g, self.shape), gb

        return Tensor.from_op(self.data - other.data, (self, other), backward, "-")

    def __mul__(self, other):
        other = self._lift(other)

        def backward(g):  # d(a*b)/da = b, d(a*b)/db = a
            ga = arrays.unbroadcast(g * other.data, self.shape) if self.requires_grad else None
            gb = arrays.unbroadcast(g * self.data, other.shape) if other.requires_grad else None
            return ga, gb

        return Tensor.from_op(self.data * other.data, (self, other), backward, "*")

    def __truediv__(self, other):
        other = self._lift(other)
        quotient = self.data / other.data

        def backward(g):  # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2 = -(a/b)/b
            ga = arrays.unbroadcast(g / other.data, self.shape) if self.requires_grad else None
            gb = arrays.unbroadcast(-g * quotient / other.data, other.shape) if other.requires_grad else None
            return ga, gb

        return Tensor.from_op(quotient, (self, other), backward, "/")

    def __neg__(self):
        return Tensor.from_op(-self.data, (self,), lambda g: (-g,), "neg")  # d(-a)/da = -1

    def __pow__(self, exponent):
        if isinstance(exponent, Tensor) or arrays.is_array(exponent):
            raise TypeError("Tensor ** exponent: the exponent must be a Python number (use exp/log for x**y)")

        def backward(g):  # d(a^p)/da = p * a^(p-1)
            return (g * (exponent * self.data ** (exponent - 1)),)

        return Tensor.from_op(self.data**exponent, (self,), backward, "**")

    __radd__, __rmul__ = __add__, __mul__  # b + a and b * a: the same sums and products

    def __rsub__(self, other):
        return self._lift(other) - self

    def __rtruediv__(self, other):
        return self._lift(other) / self

    def matmul(self, other):
        """a @ b with NumPy's rules: batched over leading axes, which broadcast. (.., n, k) @ (.., k, m) -> (.., n, m).

        Backward: dL/da = g @ b^T, dL/db = a^T @ g (summed over broadcast batch axes).
        A 1-D operand is treated as a row (a) or a column (b) vector, and that axis is dropped again.
        """
        a, b, xp = self, self._lift(other), backend.xp()
        a2 = a.data[None, :] if a.ndim == 1 else a.data  # (1, k)
        b2 = b.data[:, None] if b.ndim == 1 else b.data  # (k, 1)
        y2 = arrays.matmul(a2, b2)  # (..., n, m)
        y_shape = y2.shape[:-2] + y2.shape[-1:] if a.ndim == 1 else y2.shape
        y_shape = y_shape[:-1] if b.ndim == 1 else y_shape

        def backward(g):
            g2 = g.reshape(y2.shape)  # (..., n, m)
            ga = gb = None
            if a.requires_grad:
                ga = arrays.unbroadcast(arrays.matmul(g2, xp.swapaxes(b2, -1, -2)), a2.shape).reshape(a.shape)
            if b.requires_grad and b2.ndim == 2 and a2.ndim > 2:  # (B, T, k) @ (k, m): the batch sum in one product
                gb = (a2.reshape(-1, a2.shape[-1]).T @ g2.reshape(-1, g2.shape[-1])).reshape(b.shape)
            elif b.requires_grad:
                gb = arrays.unbroadcast(xp.matmul(xp.swapaxes(a2, -1, -2), g2), b2.shape).reshape(b.shape)
            return ga, gb

        return Tensor.from_op(y2.reshape(y_shape), (a, b), backward, "@")

    __matmul__ = matmul

    def __rmatmul__(self, other):
        return self._lift(other).matmul(self)

    # ----- reductions -------------------------------------------------------------------
    def sum(self, axis=None, keepdims=False):
        """Sum over `axis` (None = all, int or tuple). Backward: every summed element gets g."""
        axes = arrays.normalize_axes(axis, self.ndim)

        def backward(g):
            g = g if keepdims else g.reshape(arrays.kept_shape(self.shape, axes))
            return (backend.xp().broadcast_to(g, self.shape),)

        return Tensor.from_op(self.data.sum(axis=axes, keepdims=keepdims), (self,), backward, "sum")

    def mean(self, axis=None, keepdims=False):
        """Mean over `axis`. Backward: every element gets g / n."""
        axes = arrays.normalize_axes(axis, self.ndim)
        n = math.prod(self.shape[a] for a in axes)  # elements averaged into each output

        def backward(g):
            g = g if keepdims else g.reshape(arrays.kept_shape(self.shape, axes))
            return (backend.xp().broadcast_to(g * (1.0 / n), self.shape),)

        return Tensor.from_op(self.data.mean(axis=axes, keepdims=keepdims), (self,), backward, "mean")

    def max(self, axis=None, keepdims=False):
        """Maximum over `axis`. Backward: g goes to the maximal element; TIES SHARE it equally."""
        axes = arrays.normalize_axes(axis, self.ndim)
        top = self.data.max(axis=axes, keepdims=True)  # (..., 1, ...)

        def backward(g):
            g = g.reshape(top.shape)
            is_max = self.data == top  # True at the maximum (several where tied)
            count = is_max.sum(axis=axes, keepdims=True, dtype=self.dtype)
            return (is_max * (g / count),)

        y = top if keepdims else top.reshape(tuple(n for i, n in enumerate(self.shape) if i not in axes))
        return Tensor.from_op(y, (self,), backward, "max")

    # ----- elementwise functions ----------------------------------------------------------
    def exp(self):
        y = backend.xp().exp(self.data)
        return Tensor.from_op(y, (self,), lambda g: (g * y,), "exp")  # d(e^a)/da = e^a

    def log(self):
        y = backend.xp().log(self.data)
        return Tensor.from_op(y, (self,), lambda g: (g / self.data,), "log")  # d(ln a)/da = 1/a

    def sqrt(self):
        y = backend.xp().sqrt(self.data)
        return Tensor.from_op(y, (self,), lambda g: (g / (2 * y),), "sqrt")  # d(sqrt a)/da = 1 / (2 sqrt a)

    def tanh(self):
        y = backend.xp().tanh(self.data)
        return Tensor.from_op(y, (self,), lambda g: (g * (1 - y * y),), "tanh")  # d(tanh a)/da = 1 - tanh^2 a

    def relu(self):
        positive = self.data > 0
        y = self.data * positive
        return Tensor.from_op(y, (self,), lambda g: (g * positive,), "relu")  # d relu(a)/da = 1 if a > 0 else 0

    # ----- shape ----------------------------------------------------------------------
    def reshape(self, *shape):
        """Same data in a new shape (one entry may be -1). Backward: reshape g back."""
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        return Tensor.from_op(self.data.reshape(shape), (self,), lambda g: (g.reshape(self.shape),), "reshape")

    def transpose(self, *axes):
        """Permute the axes (no axes: reverse them). Backward: apply the inverse permutation to g."""
        axes = axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        axes = tuple(a % self.ndim for a in axes) if axes else tuple(reversed(range(self.ndim)))
        inverse = tuple(sorted(range(len(axes)), key=axes.__getitem__))
        return Tensor.from_op(self.data.transpose(axes), (self,), lambda g: (g.transpose(inverse),), "transpose")

    permute = transpose

    # ----- indexing -------------------------------------------------------------------
    def __getitem__(self, index):
        """x[index] with slices, ints, None, ... (basic) or integer/boolean arrays (gather).

        Backward scatter-adds g into a zero array of x's shape: a repeated index receives the SUM of
        its gradients (arrays.scatter_add, which sorts instead of calling np.add.at).
        """
        index = arrays.as_index(index)

        def backward(g):  # each picked element's g added back at its place in x
            return (arrays.scatter_add(self.shape, index, g),)

        return Tensor.from_op(self.data[index], (self,), backward, "getitem")

    def masked_fill(self, mask, value):
        """Where `mask` (bool, broadcastable to x) is True put `value`; filled positions get no gradient."""
        mask = _as_bool_mask(mask, "masked_fill")
        xp = backend.xp()
        y = xp.where(mask, xp.asarray(value, dtype=self.dtype), self.data)

        def backward(g):
            return (arrays.unbroadcast(xp.where(mask, xp.zeros((), g.dtype), g), self.shape),)

        return Tensor.from_op(y, (self,), backward, "masked_fill")

    # ----- backward pass ----------------------------------------------------------------
    def backward(self, grad=None, retain_graph=False):
        """Compute d(self)/d(leaf) for every leaf that requires grad and ADD it to leaf.grad.

        grad: dL/d(self); defaults to 1 for a one-element tensor. retain_graph=True keeps the saved
        arrays so backward can run again through the same graph; otherwise they are freed.
        """
        if not self.requires_grad:
            raise RuntimeError("backward(): this tensor does not require grad (no input had requires_grad=True)")
        grads = {self: self._initial_grad(grad)}  # node -> (dL/dnode so far, whether we own that array)
        order = _topological_order(self)
        while order:
            node = order.pop()  # reverse topological order; popping lets finished nodes be freed early
            if node not in grads:
                continue
            g, owned = grads.pop(node)
            if node._backward is None:  # a leaf
                node._keep_grad(g, owned)
                continue
            if node._retain_grad:
                node._keep_grad(g, False)
            parent_grads = node._backward(g)
            if not isinstance(parent_grads, (tuple, list)) or len(parent_grads) != len(node._parents):
                raise _wrong_gradients(node, parent_grads)
            for parent, pg in zip(node._parents, parent_grads):
                if pg is not None and parent.requires_grad:
                    if getattr(pg, "shape", ()) != parent.shape:
                        raise _wrong_gradients(node, parent_grads)
                    grads[parent] = _accumulate(grads.get(parent), pg, g, owned, parent_grads)
            if not retain_graph:
                node._backward, node._parents, node._graph_freed = None, (), True

    def _initial_grad(self, grad):
        """backward()'s starting (dL/dself, owned): 1 for a one-element tensor, else the given grad."""
        if grad is None:
            if self.size != 1:
                raise RuntimeError(f"backward(): grad must be given for a non-scalar output of shape {self.shape}")
            return backend.xp().ones(self.shape, dtype=self.dtype), True
        grad = grad.data if isinstance(grad, Tensor) else backend.xp().asarray(grad, dtype=self.dtype)
        if grad.shape != self.shape:
            raise ValueError(f"backward(grad=...): grad shape {grad.shape} != tensor shape {self.shape}")
        return grad, False  # the caller's array: never written into

    def _keep_grad(self, g, owned):
        """Add the finished gradient g into self.grad (storing g itself only if we own it, else a copy)."""
        if self._graph_freed:
            raise RuntimeError("backward(): this graph's saved arrays were freed by an earlier backward(); "
                               "call the first one with retain_graph=True to run backward twice")
        if g.dtype != self.dtype:
            g, owned = g.astype(self.dtype), True
        if self.grad is None:
            self.grad = g if owned else g.copy()
        elif row_gradient.is_rows(g) or row_gradient.is_rows(self.grad):  # a table's rows: sums of rows are special
            self.grad = row_gradient.add(self.grad, True, g, owned)
        else:
            self.grad += g


def _accumulate(total, grad, upstream, upstream_owned, siblings):
    """Add one op's gradient `grad` for a node into the node's running sum `total`; return the new sum.

    The gradient-buffer ownership rule. A sum is a pair (array, owned): we may add into it IN PLACE only
    if we own it (no one else can see that array). An op's backward returns, per parent, `upstream` (its
    g) itself, a view, or a new array; we own `grad` when it goes to this parent alone (no sibling is it
    or a view of it) and it is a new array (.base is None) or `upstream` when we owned that. The first
    share is kept uncopied; a later one is added in place into an owned sum, else into a new (owned) one.
    """
    if not isinstance(grad, (backend.xp().ndarray, row_gradient.RowGradient)):  # (a table's rows: row_gradient.py)
        grad, owned = backend.xp().asarray(grad), True  # NumPy returns 0-d results as scalars
    else:
        owned = upstream_owned if grad is upstream else grad.base is None
        if owned and sum(s is grad or getattr(s, "base", None) is grad for s in siblings) > 1:
            owned = False
    if total is None:
        return grad, owned
    running, running_owned = total
    if row_gradient.is_rows(running) or row_gradient.is_rows(grad):  # rows + rows = rows, rows + dense = dense
        return row_gradient.add(running, running_owned, grad, owned), True
    if running_owned:
        running += grad  # in place: no new array
        return running, True
    return running + grad, True


def _wrong_gradients(node, parent_grads):
    """The error for an op whose backward returned the wrong number, or shapes, of gradients."""
    got = ([None if pg is None else getattr(pg, "shape", ()) for pg in parent_grads]
           if isinstance(parent_grads, (tuple, list)) else type(parent_grads).__name__)
    return ValueError(f"backward of op {node._op!r} must return a tuple with one gradient per parent, each of that "
                      f"parent's shape {[p.shape for p in node._parents]} (or None); got {got}")


def _topological_order(root):
    """Nodes that need a gradient, each after all of its parents (iterative depth-first search)."""
    order, visited, stack = [], set(), [(root, False)]
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
