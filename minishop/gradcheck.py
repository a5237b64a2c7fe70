"""gradcheck: verify a backward pass against finite differences.

Reverse-mode autodiff (tensor.py) computes every dL/dx in one backward sweep, applying the chain
rule node by node in reverse topological order. Each node's derivative is written by hand, so each
can be wrong. The definition of the derivative gives an independent check:

    dL/dx_i  ~=  (L(x + eps e_i) - L(x - eps e_i)) / (2 eps)      (central difference, error O(eps^2))

We perturb every element of every input that requires grad, in float64 (in float32 the rounding
error of L would swamp the difference), and compare with the analytic gradient. A non-scalar output
y is first reduced to L = sum(y * R) with a fixed random R, so every output element is checked.
"""

from minishop import backend
from minishop.tensor import Tensor, no_grad


class GradcheckResult:
    """Outcome of gradcheck: the worst relative error, where it occurred, and the two values there."""

    def __init__(self, max_rel_error, input_index, input_name, element, analytic, numeric, passed):
        self.max_rel_error = max_rel_error
        self.input_index = input_index
        self.input_name = input_name
        self.element = element
        self.analytic = analytic
        self.numeric = numeric
        self.passed = passed

    def __repr__(self):
        return (
            f"GradcheckResult(passed={self.passed}, max_rel_error={self.max_rel_error:.3e}, "
            f"input={self.input_name!r}, element={self.element}, analytic={self.analytic!r}, numeric={self.numeric!r})"
        )


def _scalar_loss(fn, inputs, projection):
    out = fn(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    if out.size == 1:
        return out.sum(), projection
    if projection is None:  # fixed random weights, one per output element
        generator = backend.np.random.default_rng(1234)
        projection = Tensor(backend.asarray(generator.standard_normal(out.shape)).astype(out.dtype))
    return (out * projection).sum(), projection


def gradcheck(fn, inputs, eps=1e-6, atol=1e-8, rtol=1e-6, raise_on_failure=True, names=None):
    """Compare fn's analytic gradients with central finite differences; return a GradcheckResult.

    fn: takes the input Tensors and returns a Tensor. inputs: Tensors; those with requires_grad=True
    are checked and must be float64. names: optional labels for the inputs, used in messages
    (a Tensor's own `.name` is used otherwise).
    An element passes when |analytic - numeric| <= max(atol, rtol * max(|analytic|, |numeric|));
    its relative error is |analytic - numeric| / max(|analytic|, |numeric|, atol / rtol).
    On failure raises AssertionError naming the input, the worst element and both values.
    """
    inputs = list(inputs)
    names = list(names) if names is not None else [t.name or f"input {i}" for i, t in enumerate(inputs)]
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck(inputs=...): no input Tensor has requires_grad=True")
    for i in checked:
        if inputs[i].dtype != backend.np.float64:
            raise ValueError(
                f"gradcheck: input {names[i]!r} has dtype {inputs[i].dtype}; finite differences need float64 "
                "(create it with float64 data, or call minishop.set_default_dtype('float64'))"
            )

    saved_grads = [inputs[i].grad for i in checked]
    for i in checked:
        inputs[i].grad = None
    loss, projection = _scalar_loss(fn, inputs, None)
    loss.backward()
    analytic = {i: backend.to_numpy(inputs[i].grad).copy() if inputs[i].grad is not None else None for i in checked}
    for i, grad in zip(checked, saved_grads):
        inputs[i].grad = grad

    worst = GradcheckResult(0.0, None, None, None, None, None, True)
    floor = atol / rtol
    with no_grad():
        for i in checked:
            data = inputs[i].data
            grad = analytic[i]
            for element in backend.np.ndindex(*data.shape):
                original = data[element].item()
                data[element] = original + eps
                plus = _scalar_loss(fn, inputs, projection)[0].item()
                data[element] = original - eps
                minus = _scalar_loss(fn, inputs, projection)[0].item()
                data[element] = original
                numeric = (plus - minus) / (2 * eps)
                value = 0.0 if grad is None else float(grad[element])
                error = abs(value - numeric) / max(abs(value), abs(numeric), floor)
                if error > worst.max_rel_error or worst.input_index is None:
                    worst = GradcheckResult(error, i, names[i], element, value, numeric, error <= rtol)
    worst.passed = worst.max_rel_error <= rtol
    if not worst.passed and raise_on_failure:
        raise AssertionError(
            f"gradcheck failed for {worst.input_name!r} (input {worst.input_index}) at element {worst.element}: "
            f"analytic {worst.analytic!r} vs numeric {worst.numeric!r} "
            f"(relative error {worst.max_rel_error:.3e} > rtol {rtol:g})"
        )
    return worst
