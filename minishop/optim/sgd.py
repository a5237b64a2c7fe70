"""Stochastic gradient descent with momentum, Nesterov momentum and weight decay (PyTorch's formulation)."""

from minishop.optim.optimizer import Optimizer
from minishop.row_gradient import RowGradient


class SGD(Optimizer):
    """For each parameter p with gradient g:

        g = g + weight_decay * p                        (L2 penalty)
        b = g on the first step, else momentum * b + g  (velocity)
        d = g + momentum * b if nesterov else b         (Nesterov looks one step ahead)
        p = p - lr * d                                  (with momentum = 0: plain p - lr * g)

    A RowGradient (a table's gradient kept as its rows, minishop/row_gradient.py) with plain SGD moves only
    those rows: p[rows] -= lr * g[rows], an index-add, the same numbers as the dense update. Momentum and
    weight decay change every row, so for them it is made dense first (to_dense()).
    """

    HYPERPARAMETERS = ("momentum", "nesterov", "weight_decay")
    BUFFERS = ("momentum_buffer",)

    def __init__(self, parameters, lr=0.01, momentum=0.0, nesterov=False, weight_decay=0.0):
        super().__init__(parameters, lr)
        if nesterov and momentum <= 0:
            raise ValueError("SGD(nesterov=True) needs momentum > 0")
        self.momentum, self.nesterov, self.weight_decay = momentum, nesterov, weight_decay

    def step(self):
        """Update every parameter that has a gradient."""
        self.step_count += 1
        for parameter, state in zip(self.parameters, self.state):
            if parameter.grad is None:
                continue
            g = parameter.grad
            if isinstance(g, RowGradient) and self.momentum == 0 and self.weight_decay == 0:
                g.add_to(parameter.data, alpha=-self.lr)  # p[rows] -= lr * g at the rows looked up only
                continue
            if isinstance(g, RowGradient):
                g = g.to_dense()  # momentum and weight decay move every row
            if self.weight_decay != 0:
                g = g + self.weight_decay * parameter.data
            if self.momentum != 0:
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = g.copy()
                else:
                    buffer = state["momentum_buffer"]
                    buffer *= self.momentum
                    buffer += g
                buffer = state["momentum_buffer"]
                g = g + self.momentum * buffer if self.nesterov else buffer
            parameter.data -= self.lr * g
