"""Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019), in PyTorch's formulation.

For each parameter p with gradient g, at step t:
    m = β1 m + (1 - β1) g                  first moment: a running mean of gradients
    v = β2 v + (1 - β2) g²                 second moment: a running mean of squared gradients
    p = p - lr/(1 - β1^t) * m / (√v / √(1 - β2^t) + ε)
The (1 - β^t) factors correct the moments' bias towards their zero start. Each coordinate moves by
about lr, whatever the gradient's scale.

Adam's weight_decay adds weight_decay * p to g (an L2 penalty that then gets rescaled by √v);
AdamW instead shrinks p directly, p = p - lr * weight_decay * p, "decoupled" from the gradient.

Lazy Adam for sparse gradients. When a parameter's gradient is a RowGradient (a big table of which this
step looked up a few rows, minishop/row_gradient.py), only those rows are updated: the three formulas
above, at rows r only, with the global step t in the bias corrections (as PyTorch's SparseAdam, whose
step counter also counts every step). This is NOT dense Adam. Dense Adam sees a zero gradient at every
other row and still decays its moments (m *= β1, v *= β2) and moves the row by its remaining momentum;
the lazy update leaves untouched rows, their moments and their weights exactly as they were. On the
first step both agree (the moments start at zero); after that they differ for rows seen in some steps
but not others. It is the usual choice for big tables anyway: a step then costs O(rows looked up × D)
instead of O(V × D) (three passes over a 1M × 64 table and its two moments, every step), and an item
that no one bought in a step has no new evidence that should move it. Weight decay, too, then only
touches the rows looked up. (PyTorch's SparseAdam adds ε to √v before the bias correction; we add it
after, as dense Adam does, so the first lazy step equals dense Adam's: a difference of order ε.)
"""

from minishop import backend
from minishop.optim.optimizer import Optimizer
from minishop.row_gradient import RowGradient


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
        is the three formulas of the module docstring. A RowGradient goes to `_lazy_update` instead, which
        works on small (R, D) copies of the rows it names.
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
            if isinstance(g, RowGradient):
                self._lazy_update(p, g, m, v, step_size, bias_correction2_sqrt)
                continue
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

    def _lazy_update(self, p, grad, m, v, step_size, bias_correction2_sqrt):
        """Adam at the rows of a RowGradient only (lazy Adam, module docstring); p, m, v: (V, D), in place."""
        grad = grad.coalesce()  # each row once, its gradients summed
        rows, g = grad.rows, grad.values  # (R,), (R, D)
        if self.weight_decay != 0 and self.DECOUPLED:
            p[rows] *= 1 - self.lr * self.weight_decay  # AdamW: shrink the rows looked up
        elif self.weight_decay != 0:
            g = g + self.weight_decay * p[rows]  # Adam: L2 penalty through those rows' gradient
        m_rows = self.beta1 * m[rows] + (1 - self.beta1) * g  # (R, D)
        v_rows = self.beta2 * v[rows] + (1 - self.beta2) * (g * g)  # (R, D)
        m[rows], v[rows] = m_rows, v_rows
        p[rows] -= step_size * m_rows / (backend.xp().sqrt(v_rows) / bias_correction2_sqrt + self.eps)

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
