"""What every optimizer shares: its parameter list, zero_grad(), and saving/loading its state.

An optimizer's state is a few numbers (learning rate, step count, ...) plus per-parameter buffers
(momentum, Adam's moments). state_dict() returns them as
    {"name": "Adam", "hyperparameters": {...}, "step_count": t, "buffers": {"0.exp_avg": array, ...}}
where "0.exp_avg" is the buffer "exp_avg" of parameter number 0. That flat layout stores directly in a
checkpoint (arrays in safetensors, the rest as JSON).
"""

from minishop import backend


class Optimizer:
    """Base class: subclasses define HYPERPARAMETERS, BUFFERS and step()."""

    HYPERPARAMETERS = ()  # names of float/bool attributes saved in state_dict (lr is always one)
    BUFFERS = ()  # names of per-parameter arrays, created lazily on the first step

    def __init__(self, parameters, lr):
        self.parameters = list(parameters)
        if not self.parameters:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        if lr < 0:
            raise ValueError(f"{type(self).__name__}(lr={lr!r}): expected a non-negative learning rate")
        self.lr = lr
        self.step_count = 0
        self.state = [{} for _ in self.parameters]  # per parameter: {buffer name: array}

    def zero_grad(self):
        """Forget the gradients of all parameters (gradients accumulate across backward() calls)."""
        for parameter in self.parameters:
            parameter.grad = None

    def step(self):
        raise NotImplementedError

    def state_dict(self):
        """The optimizer's numbers and buffers (copies), ready for a checkpoint."""
        buffers = {}
        for index, state in enumerate(self.state):
            for name, array in state.items():
                buffers[f"{index}.{name}"] = array.copy()
        hyperparameters = {name: getattr(self, name) for name in ("lr",) + self.HYPERPARAMETERS}
        return {"name": type(self).__name__, "hyperparameters": hyperparameters,
                "step_count": self.step_count, "buffers": buffers}

    def load_state_dict(self, state):
        """Restore what state_dict() returned, checking that it belongs to this optimizer and these parameters."""
        name = type(self).__name__
        if state.get("name") != name:
            raise ValueError(f"{name}.load_state_dict: the state was saved by {state.get('name')!r}, not {name!r}")
        new_state = [{} for _ in self.parameters]
        for key, array in state["buffers"].items():
            index_text, _, buffer = key.partition(".")
            if not index_text.isdigit() or int(index_text) >= len(self.parameters) or buffer not in self.BUFFERS:
                raise ValueError(
                    f"{name}.load_state_dict: unexpected buffer {key!r} "
                    f"(this optimizer has {len(self.parameters)} parameters and buffers {self.BUFFERS})"
                )
            parameter = self.parameters[int(index_text)]
            if tuple(array.shape) != tuple(parameter.shape):
                raise ValueError(
                    f"{name}.load_state_dict: buffer {key!r} has shape {tuple(array.shape)}, "
                    f"expected {tuple(parameter.shape)} (the shape of parameter {index_text})"
                )
            new_state[int(index_text)][buffer] = backend.asarray(array, dtype=parameter.dtype).copy()
        incomplete = [index for index, buffers in enumerate(new_state) if buffers and set(buffers) != set(self.BUFFERS)]
        if incomplete:
            raise ValueError(f"{name}.load_state_dict: parameters {incomplete} lack some of the buffers {self.BUFFERS}")
        known = ("lr",) + self.HYPERPARAMETERS
        unknown = [key for key in state["hyperparameters"] if key not in known]
        if unknown:
            raise ValueError(f"{name}.load_state_dict: unknown hyperparameters {unknown} (expected {known})")
        for key, value in state["hyperparameters"].items():
            setattr(self, key, value)
        self.step_count = int(state["step_count"])
        self.state = new_state
