"""Gradient clipping by global norm: keep one bad batch from throwing the weights far away."""

import math

from minishop import backend
from minishop.row_gradient import RowGradient


def clip_grad_norm(parameters, max_norm):
    """Scale all gradients together so that their joint L2 norm is at most max_norm.

    total = √(Σ_p Σ_i g_pi²) over every parameter with a gradient; if total > max_norm, each g is
    multiplied by max_norm / (total + 1e-6) (PyTorch's rule). Returns total, the norm before clipping,
    as a Python float (useful to log: spikes show instabilities).

    A RowGradient (a table's gradient kept as its rows, minishop/row_gradient.py) is first coalesced, and
    kept so: a row looked up twice holds the sum of its two gradients, and Σ g² must square that sum, not
    add the squares of its parts. Its norm is then that of its values (every other row is zero).
    """
    xp = backend.xp()
    parameters = [parameter for parameter in parameters if parameter.grad is not None]
    if not parameters:
        return 0.0
    for parameter in parameters:
        if isinstance(parameter.grad, RowGradient):
            parameter.grad = parameter.grad.coalesce()  # each row once (the optimizer's coalesce is then free)
    gradients = [p.grad.values if isinstance(p.grad, RowGradient) else p.grad for p in parameters]
    total = math.sqrt(sum(float(xp.vdot(g.ravel(), g.ravel())) for g in gradients))  # Σ g² over everything
    scale = max_norm / (total + 1e-6)
    if scale < 1.0:
        for g in gradients:
            g *= scale
    return total
