# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 6 — Backpropagation and gradient checking: solutions
#
# The solved exercises of `06_backpropagation.ipynb`, each with the setup it needs and the same check as
# the lesson. Try the exercises first!

# %%
import math
import sys

import numpy as np

sys.path.insert(0, "..")  # lessons/, where checks.py lives (this notebook runs in lessons/solutions/)
import minishop
import minishop.functional as F
from minishop import Tensor
from checks import check_close, check_function

minishop.manual_seed(0)
rng = np.random.default_rng(0)

# %% [markdown]
# ### Exercise 1 — the chain rule by hand
# $f = \tanh(u)$ with $u = ab + c$, so $\partial f/\partial b = (1 - \tanh^2 u)\cdot a$.

# %%
a_value, b_value, c_value = 0.5, -1.5, 0.8
u_value = a_value * b_value + c_value
df_db = (1 - math.tanh(u_value) ** 2) * a_value

# %%
_a, _b, _c = (Tensor(np.array(v), requires_grad=True) for v in (0.5, -1.5, 0.8))
(_a * _b + _c).tanh().backward()
check_close(df_db, _b.grad, name="df_db", hint="df/db = (1 - tanh(u)**2) * a with u = a*b + c")


# %% [markdown]
# ### Exercise 2 — code the softmax backward
# $\partial L/\partial x_j = y_j(g_j - \sum_i g_i y_i)$, row by row.

# %%
def softmax_backward(y, g):
    """dL/dx for y = softmax(x, axis=-1), given g = dL/dy; all (N, C)."""
    dot = (g * y).sum(axis=-1, keepdims=True)  # (N, 1): Σ_i g_i y_i per row
    return y * (g - dot)  # (N, C)


# %%
def _autograd_softmax_grad(x, g):
    xt = Tensor(x, requires_grad=True)
    F.softmax(xt, axis=-1).backward(g)
    return xt.grad


_xs = [rng.standard_normal(shape) for shape in [(2, 3), (5, 7), (1, 4)]]
_gs = [rng.standard_normal(x.shape) for x in _xs]
check_function(
    softmax_backward,
    [((F.softmax(Tensor(x), axis=-1).numpy(), g), _autograd_softmax_grad(x, g)) for x, g in zip(_xs, _gs)],
    hint="(g * y).sum(axis=-1, keepdims=True) is the dot product per row; then y * (g - that)",
)


# %% [markdown]
# ### Exercise 3 — a numerical gradient

# %%
def numerical_gradient(f, x, eps=1e-6):
    """Central differences: grad[i] = (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)."""
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + eps
        f_plus = f(x)
        x[index] = saved - eps
        f_minus = f(x)
        x[index] = saved  # restore
        grad[index] = (f_plus - f_minus) / (2 * eps)
    return grad


# %%
def _f1(x):
    return float(np.sum(np.sin(x) * x))


def _f2(x):
    return float(np.log(np.sum(np.exp(x))))  # log-sum-exp: its gradient is the softmax


_x1, _x2 = rng.standard_normal((3, 4)), rng.standard_normal(5)
check_function(
    numerical_gradient,
    [((_f1, _x1.copy()), np.cos(_x1) * _x1 + np.sin(_x1)), ((_f2, _x2.copy()), F.softmax(Tensor(_x2)).numpy())],
    atol=1e-7, rtol=1e-6,
    hint="grad = np.zeros_like(x); for i in np.ndindex(x.shape): save x[i], set x[i] ± eps, evaluate f, restore",
)
