"""Function: your own op, written on plain arrays, with its forward and backward side by side.

Every op in minishop is a node made by `Tensor.from_op(data, parents, backward, op)` (tensor.py).
`Function` is that same hook in the form PyTorch's `torch.autograd.Function` has: subclass it, write
`forward` on arrays, write `backward` as the chain rule (g = dL/dy in, dL/dx out), and check it:

    class Cube(minishop.Function):
        def forward(self, x):              # x: an array (B, D)
            self.x = x                     # save what backward needs
            return x ** 3
        def backward(self, g):             # g = dL/dy, (B, D)
            return (g * 3 * self.x ** 2,)  # dL/dx = g * dy/dx, one gradient per forward argument

    y = Cube.apply(x)                      # x: a Tensor; y is linked to it in the graph
    minishop.gradcheck(lambda x: Cube.apply(x), [x64])   # against finite differences, in float64
"""

from minishop import backend
from minishop.tensor import Tensor


class Function:
    """Subclass with forward(self, *arrays) -> array and backward(self, g) -> tuple of arrays.

    forward receives the arrays of the Tensor inputs and any constants (numbers, arrays) as they were
    given; backward returns one gradient per forward argument (None for constants and for inputs that
    need none), each of that argument's shape. `apply(*inputs)` makes a fresh instance per call, so each
    call's saved state stays apart, and links the output to the Tensor inputs through `Tensor.from_op`.

    Ownership: backward may return any array: g itself, an input, a constant, or something it saved
    (the gradient of sum(a * x) is just `self.a`). apply hands the engine a COPY of each one, because
    the engine adds later gradients into the arrays it is given, in place (Tensor.from_op's rule), and
    would otherwise change your saved `a`. One copy per gradient: the price of never thinking about it.
    """

    def forward(self, *arrays):
        raise NotImplementedError(f"{type(self).__name__}.forward(self, *arrays) must return the output array")

    def backward(self, g):
        raise NotImplementedError(f"{type(self).__name__}.backward(self, g) must return one gradient per input")

    @classmethod
    def apply(cls, *inputs):
        """Run forward on the inputs' arrays and return the output as a Tensor in the graph."""
        function = cls()
        values = [x.data if isinstance(x, Tensor) else x for x in inputs]  # constants go in as they are
        tensor_positions = [i for i, x in enumerate(inputs) if isinstance(x, Tensor)]

        def backward(g):
            grads = function.backward(g)
            grads = tuple(grads) if isinstance(grads, (tuple, list)) else (grads,)
            if len(grads) != len(inputs):
                raise ValueError(
                    f"{cls.__name__}.backward must return one gradient per forward input "
                    f"({len(inputs)}, None for constants), got {len(grads)}"
                )
            return tuple(_copied(grads[i], cls, i) for i in tensor_positions)

        parents = tuple(inputs[i] for i in tensor_positions)
        return Tensor.from_op(function.forward(*values), parents, backward, cls.__name__)


def _copied(grad, cls, position):
    """A copy of the gradient backward returned for input `position`, for the engine to own (None stays None)."""
    if grad is None:
        return None
    if isinstance(grad, Tensor):
        raise TypeError(f"{cls.__name__}.backward must return arrays (like g), got a Tensor for input {position}")
    return backend.xp().array(grad)  # array() copies: a new array no one else holds
