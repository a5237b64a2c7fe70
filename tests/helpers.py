"""Small helpers shared by the test files (import with `from helpers import ...`)."""

import numpy as np

from minishop import Tensor


def random_tensor(shape, seed, requires_grad=True):
    """A Tensor of standard normal values from its own seeded generator (independent of minishop's seed)."""
    return Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=requires_grad)
