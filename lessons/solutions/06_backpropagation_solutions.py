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
# The solved exercises of `06_backpropagation.ipynb`, each with the same check as the lesson, the quiz's
# answers and answers to the reflection questions. Try the exercises first! Running this notebook saves
# the GELU op as "your" piece, so the solutions of lesson 13 run it.

# %%
import math
import sys

import numpy as np

sys.path.insert(0, "..")  # lessons/, where the checks package lives (this notebook runs in lessons/solutions/)
import minishop
from checks.lesson06 import (check_df_db, check_gelu, check_numerical_gradient, check_quiz,
                             check_softmax_backward)

minishop.manual_seed(0)

# %% [markdown]
# ### Exercise 1 — the chain rule by hand
# $f = \tanh(u)$ with $u = ab + c$, so $\partial f/\partial b = (1 - \tanh^2 u)\cdot a$.

# %%
a_value, b_value, c_value = 0.5, -1.5, 0.8
u_value = a_value * b_value + c_value
df_db = (1 - math.tanh(u_value) ** 2) * a_value

# %%
check_df_db(df_db)


# %% [markdown]
# ### Exercise 2 — code the softmax backward
# $\partial L/\partial x_j = y_j(g_j - \sum_i g_i y_i)$, row by row.

# %%
def softmax_backward(y, g):
    """dL/dx for y = softmax(x, axis=-1), given g = dL/dy; all (N, C)."""
    dot = (g * y).sum(axis=-1, keepdims=True)  # (N, 1): Σ_i g_i y_i per row
    return y * (g - dot)  # (N, C)


# %%
check_softmax_backward(softmax_backward)


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
check_numerical_gradient(numerical_gradient)

# %% [markdown]
# ### Exercise 4 — GELU as a minishop op
# With $t = \tanh u$: $\frac{dy}{dx} = \tfrac12(1 + t) + \tfrac12 x\,(1 - t^2)\,c\,(1 + 3kx^2)$.

# %%
GELU_C, GELU_K = math.sqrt(2.0 / math.pi), 0.044715


class GELU(minishop.Function):
    def forward(self, x):
        self.x = x
        self.t = np.tanh(GELU_C * (x + GELU_K * x ** 3))  # keep tanh(u): backward needs it
        return 0.5 * x * (1 + self.t)

    def backward(self, g):
        x, t = self.x, self.t
        du_dx = GELU_C * (1 + 3 * GELU_K * x ** 2)
        dy_dx = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du_dx  # product rule, then chain rule
        return (g * dy_dx,)


def gelu(x):
    return GELU.apply(x)


# %%
check_gelu(gelu)

# %% [markdown]
# ## Quiz

# %%
answers = {"1": "b", "2": "c", "3": "a"}

# %%
check_quiz(answers)

# %% [markdown]
# ## Reflection — answers
# 1. **Cost.** The backward pass visits each node once and does about as much work there as the forward
#    did (a vector–Jacobian product is one or two array operations of the same size), so the gradient of
#    *all* parameters costs a small multiple of one forward pass. Central differences need two forward
#    passes per parameter: for $10^6$ parameters at 10 ms each, $2\times10^6 \times 10$ ms ≈ 5.6 hours —
#    which is why gradient checks run on tiny inputs, and never during training.
# 2. **`+=`, not `=`.** Take $y = x \cdot x$: both parents of the product are the same `Value`. Its backward
#    runs `self.grad = ...; other.grad = ...` on one object, so the second assignment overwrites the
#    first and $dy/dx$ comes out as $x$ instead of $2x$. Gradients from every use must be summed.
# 3. **Without finite differences.** Compare the gradient with a reference implementation (PyTorch, or
#    an analytic formula): here, `softmax_backward` from exercise 2, or the identity that the gradient of
#    $\sum_j y_j$ (always 1) with respect to $x$ must be 0 — the buggy softmax gives $y \ne 0$.
