"""Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019), in PyTorch's formulation.

For each parameter p with gradient g, at step t:
    m = β1 m + (1 - β1) g                  first moment: a running mean of gradients
    v = β2 v + (1 - β2) g²                 second moment: a running mean of squared gradients
    p = p - lr/(1 - β1^t) * m / (√v / √(1 - β2^t) + ε)
The (1 - β^t) factors correct the moments' bias towards their zero start. Each coordinate moves by
about lr, whatever the gradient's scale.

Adam's weight_decay adds weight_decay * p to g (an L2 penalty that then gets rescaled by √v);
AdamW instead shrinks p directly, p = p - lr * weight_decay * p, "decoupled" from the gradient.
"""

from minishop import backend
from minishop.optim.optimizer import Optimizer


class Adam(Optimizer):
    """Adam with optional L2 weight decay (added to the gradient)."""

    HYPERPARAMETERS = ("beta1", "beta2", "eps", "weight_decay")
    BUFFERS = ("exp_avg", "exp_avg_sq")
    DECOUPLED = False  # AdamW sets True

    def __init__(self, parameters, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(parameters, lr)
        self.beta1, self.beta2 = betas
        self.eps, self.weight_decay = eps, weight_decay

    def step(self):
        """Update every parameter that has a gradient, in place.

        No array is allocated per step: every intermediate goes into one scratch buffer (the size of the
        largest parameter, shared by all), so each line below is one pass over memory. The plain reading
        is the three formulas of the module docstring.
        """
        xp = backend.xp()
        self.step_count += 1
        t = self.step_count
        bias_correction1 = 1 - self.beta1 ** t
        bias_correction2_sqrt = (1 - self.beta2 ** t) ** 0.5
        step_size = self.lr / bias_correction1
        for parameter, state in zip(self.parameters, self.state):
            if parameter.grad is None:
                continue
            p, g = parameter.data, parameter.grad
            if not state:
                state["exp_avg"] = xp.zeros_like(p)
                state["exp_avg_sq"] = xp.zeros_like(p)
            m, v = state["exp_avg"], state["exp_avg_sq"]
            scratch = self._scratch(p)
            if self.weight_decay != 0:
                if self.DECOUPLED:
                    p *= 1 - self.lr * self.weight_decay  # AdamW: shrink the weight itself
                else:
                    g = g + self.weight_decay * p  # Adam: L2 penalty through the gradient
            xp.multiply(g, 1 - self.beta1, out=scratch)
            m *= self.beta1
            m += scratch  # m = β1 m + (1 - β1) g
            xp.multiply(g, g, out=scratch)
            scratch *= 1 - self.beta2
            v *= self.beta2
            v += scratch  # v = β2 v + (1 - β2) g²
            xp.sqrt(v, out=scratch)
            scratch *= 1 / bias_correction2_sqrt
            scratch += self.eps  # √v̂ + ε
            xp.divide(m, scratch, out=scratch)  # m / (√v̂ + ε)
            scratch *= step_size
            p -= scratch

    def _scratch(self, p):
        """A view shaped like p into the shared scratch buffer (grown when a larger or new-dtype p comes)."""
        xp = backend.xp()
        buffer = getattr(self, "_scratch_buffer", None)
        if buffer is None or buffer.size < p.size or buffer.dtype != p.dtype:
            largest = max(parameter.size for parameter in self.parameters)
            buffer = self._scratch_buffer = xp.empty(largest, dtype=p.dtype)
        return buffer[:p.size].reshape(p.shape)


class AdamW(Adam):
    """Adam with decoupled weight decay: p = p - lr * weight_decay * p before the Adam step."""

    DECOUPLED = True

    def __init__(self, parameters, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(parameters, lr, betas, eps, weight_decay)
