# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 5 — Self-attention: solutions
#
# The solved exercises of `05_self_attention.ipynb`, each with the setup it needs and the same check as
# the lesson. Try the exercises first!

# %%
import math
import sys

import numpy as np

sys.path.insert(0, "..")  # lessons/, where checks.py lives (this notebook runs in lessons/solutions/)
import minishop
import minishop.functional as F
from minishop.nn.attention import attention_mask, seed_attention
from minishop import Tensor
from checks import check_close, check_equal, check_function

minishop.manual_seed(0)
rng = np.random.default_rng(0)

X = np.array([[2.0, 1.0, 0.0, 1.0],
              [1.0, 1.0, 0.0, 0.0],
              [0.0, 1.0, 2.0, 0.0]])  # (T=3, d=4): laptop, mouse, banana
scores = X @ X.T / math.sqrt(X.shape[1])


# %% [markdown]
# ### Exercise 1 — a numerically stable softmax

# %%
def softmax_rows(S):
    """Softmax over the last axis of S (T, T'), numerically stable."""
    exp = np.exp(S - S.max(axis=-1, keepdims=True))  # every exponent <= 0
    return exp / exp.sum(axis=-1, keepdims=True)


# %%
check_function(
    softmax_rows,
    [((scores,), F.softmax(Tensor(scores), axis=-1).numpy()),
     ((np.array([[1000.0, 1001.0, 999.0], [-5.0, 0.0, 5.0]]),),
      F.softmax(Tensor(np.array([[1000.0, 1001.0, 999.0], [-5.0, 0.0, 5.0]])), axis=-1).numpy())],
    hint="subtract S.max(axis=-1, keepdims=True), exponentiate, divide by the row sums (keepdims=True again)",
)

# %% [markdown]
# ### Exercise 2 — the whole formula

# %%
softmax = softmax_rows


def seed_attention_numpy(X):
    """softmax(X Xᵀ / √d) X for X of shape (T, d)."""
    scores = X @ X.T / math.sqrt(X.shape[-1])  # (T, T)
    return softmax(scores) @ X  # (T, d)


# %%
_cases = [rng.standard_normal(shape) for shape in [(3, 4), (5, 8), (7, 2)]]
check_function(
    seed_attention_numpy,
    [((x,), seed_attention(Tensor(x)).numpy()) for x in _cases],
    hint="scores = X @ X.T / math.sqrt(X.shape[-1]); then softmax(scores) @ X",
)

# %% [markdown]
# ### Exercise 3 — build the causal mask

# %%
causal_mask = np.triu(np.ones((5, 5), dtype=bool), k=1)  # True strictly above the diagonal: j > i

# %%
check_equal(
    causal_mask,
    attention_mask(5, 5, causal=True),
    name="causal_mask",
    hint="np.triu(np.ones((5, 5), dtype=bool), k=1) — True strictly above the diagonal",
)

# %% [markdown]
# ### Exercise 4 — a padding mask from lengths

# %%
padding = np.array([[t < 6 - n for t in range(6)] for n in [6, 3]])  # the lesson's example, (2, 6)


def padding_mask(lengths, T):
    """Bool (B, T), True at the left padding of each sequence."""
    return np.arange(T)[None, :] < T - np.asarray(lengths)[:, None]  # (1, T) < (B, 1) -> (B, T)


# %%
check_function(
    padding_mask,
    [(([6, 3], 6), padding),
     (([1, 4, 0, 5], 5), np.array([[1, 1, 1, 1, 0], [1, 0, 0, 0, 0], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0]], dtype=bool))],
    hint="np.arange(T)[None, :] < T - np.asarray(lengths)[:, None]",
)
