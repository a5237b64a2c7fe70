# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 4 — Embeddings: solutions
#
# The solved exercises of `04_embeddings.ipynb`, each with the setup it needs and the same check as the
# lesson. Try the exercises first!

# %%
import sys

import numpy as np

sys.path.insert(0, "..")  # lessons/, where checks.py lives (this notebook runs in lessons/solutions/)
import minishop
import minishop.nn as nn
import minishop.functional as F
from minishop import Tensor
from checks import check_close, check_function

minishop.manual_seed(0)
rng = np.random.default_rng(0)

V, D = 6, 3
E = rng.standard_normal((V, D))  # (V, D) the same table as in the lesson
ids = np.array([4, 1, 4, 0])


# %% [markdown]
# ### Exercise 1 — one-hot encoding

# %%
def one_hot(ids, V):
    """(N,) integer ids -> (N, V) float one-hot rows."""
    ids = np.asarray(ids)
    out = np.zeros((len(ids), V))
    out[np.arange(len(ids)), ids] = 1.0  # row n gets its 1 in column ids[n]
    return out


# %%
def _lookup_by_product(ids, table):
    encoded = one_hot(ids, table.shape[0])  # (N, V)
    return None if encoded is None else encoded @ table  # (N, V) @ (V, D) -> (N, D)


_tables = [E, rng.standard_normal((10, 5))]
check_function(
    _lookup_by_product,
    [((ids, _tables[0]), F.embedding(Tensor(_tables[0]), ids).numpy()),
     ((np.array([9, 0, 3, 3, 7]), _tables[1]), F.embedding(Tensor(_tables[1]), np.array([9, 0, 3, 3, 7])).numpy())],
    name="one_hot(ids, V) @ E",
    hint="out = np.zeros((len(ids), V)); out[np.arange(len(ids)), ids] = 1.0",
)

# %% [markdown]
# ### Exercise 2 — the embedding gradient by hand

# %%
layer = nn.Embedding(V, D)
layer.weight.data[...] = E
W = rng.standard_normal((len(ids), D))  # (N, D) = dL/dY, as in the lesson
layer.zero_grad()
(layer(ids) * Tensor(W)).sum().backward()

grad_E = np.zeros((V, D))
np.add.at(grad_E, ids, W)  # row ids[n] += W[n], repetitions included

# %%
check_close(grad_E, layer.weight.grad, name="grad_E",
            hint="grad_E = np.zeros((V, D)); np.add.at(grad_E, ids, W)")


# %% [markdown]
# ### Exercise 3 — cosine similarity

# %%
def cosine(a, b):
    """Cosine of the angle between 1-D vectors a and b."""
    return np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b))


# %%
check_function(
    cosine,
    [((np.array([1.0, 0.0]), np.array([0.0, 3.0])), 0.0),
     ((np.array([1.0, 2.0, 2.0]), np.array([2.0, 4.0, 4.0])), 1.0),
     ((np.array([1.0, 0.0]), np.array([1.0, 1.0])), 0.7071067811865476),
     ((np.array([3.0, -4.0]), np.array([-3.0, 4.0])), -1.0)],
    hint="np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b))",
)
