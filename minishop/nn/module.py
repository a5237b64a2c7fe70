"""Module and Parameter: the containers every layer is built from.

A `Parameter` is a Tensor that an optimizer should update (it always requires a gradient).
A `Module` is any object holding Parameters, other Modules, or lists of Modules as attributes.
It finds them by walking its own attributes in the order they were assigned, so

    class Block(Module):
        def __init__(self):
            super().__init__()
            self.norm = LayerNorm(8)             # a child module
            self.layers = [Linear(8, 8), ...]    # a list of child modules, named "layers.0", ...

has parameters named "norm.weight", "norm.bias", "layers.0.weight", ... — the names used by
`state_dict()` and by checkpoints.
"""

from minishop import backend
from minishop.tensor import Tensor


class Parameter(Tensor):
    """A Tensor that is a learnable weight of a Module (requires_grad is always True)."""

    def __init__(self, data):
        super().__init__(data, requires_grad=True)


class Module:
    """Base class of every layer: parameter discovery, train/eval mode, and state dicts."""

    def __init__(self):
        self.training = True

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    # ---- walking the tree of modules -------------------------------------------------------------

    def named_children(self):
        """Yield (name, module) for each direct child; a list of modules gives "name.0", "name.1", ..."""
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, (list, tuple)):
                for index, item in enumerate(value):
                    if isinstance(item, Module):
                        yield f"{name}.{index}", item

    def children(self):
        """The direct child modules."""
        return [module for _, module in self.named_children()]

    def modules(self):
        """This module and all modules below it, parents first."""
        found = [self]
        for child in self.children():
            found.extend(child.modules())
        return found

    def named_parameters(self, prefix=""):
        """Yield (dotted name, Parameter) for every parameter in this module and its children, once each."""
        seen = set()
        for name, parameter in self._named_parameters(prefix):
            if id(parameter) not in seen:  # a shared (tied) parameter is listed once, under its first name
                seen.add(id(parameter))
                yield name, parameter

    def _named_parameters(self, prefix):
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield prefix + name, value
        for name, child in self.named_children():
            yield from child._named_parameters(prefix + name + ".")

    def parameters(self):
        """A list of every Parameter (what an optimizer is given)."""
        return [parameter for _, parameter in self.named_parameters()]

    def num_parameters(self):
        """The total number of learnable numbers."""
        return sum(parameter.size for parameter in self.parameters())

    # ---- modes and gradients ---------------------------------------------------------------------

    def train(self, mode=True):
        """Switch this module and all its children to training mode (dropout active). Returns self."""
        for module in self.modules():
            module.training = mode
        return self

    def eval(self):
        """Switch to evaluation mode (dropout off). Returns self."""
        return self.train(False)

    def zero_grad(self):
        """Forget every parameter's gradient (gradients accumulate across backward() calls)."""
        for parameter in self.parameters():
            parameter.grad = None

    # ---- saving and loading ----------------------------------------------------------------------

    def state_dict(self):
        """A dict {parameter name: copy of its array}, in a stable order."""
        return {name: parameter.data.copy() for name, parameter in self.named_parameters()}

    def load_state_dict(self, state):
        """Copy arrays from `state` into this module's parameters, in place.

        Every parameter must be present with exactly its shape, and nothing else may be there:
        a missing, unexpected or mis-shaped key raises an error that names it.
        """
        own = dict(self.named_parameters())
        missing = [name for name in own if name not in state]
        unexpected = [name for name in state if name not in own]
        problems = []
        if missing:
            problems.append(f"missing keys {missing}")
        if unexpected:
            problems.append(f"unexpected keys {unexpected}")
        for name, parameter in own.items():
            if name in state and tuple(state[name].shape) != tuple(parameter.shape):
                problems.append(
                    f"key {name!r} has shape {tuple(state[name].shape)}, expected {tuple(parameter.shape)}"
                )
        if problems:
            raise ValueError(f"{type(self).__name__}.load_state_dict: " + "; ".join(problems))
        for name, parameter in own.items():
            parameter.data = backend.asarray(state[name], dtype=parameter.dtype).copy()
            parameter.grad = None

    def __repr__(self):
        lines = [f"{type(self).__name__}("]
        for name, child in self.named_children():
            lines.append("  " + f"({name}): {child!r}".replace("\n", "\n  "))
        return "\n".join(lines) + ")" if len(lines) > 1 else f"{type(self).__name__}()"
