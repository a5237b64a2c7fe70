"""Smoke test: the engine imports and one small graph has the right gradient."""

import numpy as np

import minishop
from minishop import Tensor


def test_small_graph_gradient_matches_hand_derivation():
    x = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    w = Tensor(np.array([0.5, 4.0, -1.0]), requires_grad=True)
    loss = ((x * w).sum() + (x * x).sum()) * 2.0  # d/dx = 2 (w + 2x), d/dw = 2 x
    loss.backward()
    np.testing.assert_allclose(x.grad, 2 * (w.data + 2 * x.data))
    np.testing.assert_allclose(w.grad, 2 * x.data)
    assert minishop.functional.softmax(x).shape == (3,)
