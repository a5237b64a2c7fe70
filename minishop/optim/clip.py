"""Gradient clipping by global norm: keep one bad batch from throwing the weights far away."""

import math

from minishop import backend


def clip_grad_norm(parameters, max_norm):
    """Scale all gradients together so that their joint L2 norm is at most max_norm.

    total = √(Σ_p Σ_i g_pi²) over every parameter with a gradient; if total > max_norm, each g is
    multiplied by max_norm / (total + 1e-6) (PyTorch's rule). Returns total, the norm before clipping,
    as a Python float (useful to log: spikes show instabilities).
    """
    xp = backend.xp()
    gradients = [parameter.grad for parameter in parameters if parameter.grad is not None]
    if not gradients:
        return 0.0
    total = math.sqrt(sum(float(xp.vdot(g.ravel(), g.ravel())) for g in gradients))  # Σ g² over everything
    scale = max_norm / (total + 1e-6)
    if scale < 1.0:
        for g in gradients:
            g *= scale
    return total
