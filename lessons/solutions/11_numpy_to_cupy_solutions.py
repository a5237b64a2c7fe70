# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 11 — From NumPy to CuPy: solutions
#
# The solved exercises of `11_numpy_to_cupy.ipynb`, each with the setup it needs and the same check as the
# lesson. Try the exercises first!

# %%
import sys

import numpy as np

sys.path.insert(0, "..")  # lessons/, where checks.py lives (this notebook runs in lessons/solutions/)
import minishop
from minishop import backend
from checks import check_close, check_function

minishop.manual_seed(0)
rng = np.random.default_rng(0)


# %% [markdown]
# ### Exercise 1 — a device-agnostic cosine similarity

# %%
def cosine_similarity(A, B):
    """(N, D), (M, D) -> (N, M) cosine similarities, with xp from the inputs."""
    xp = backend.get_array_module(A)
    A_unit = A / xp.linalg.norm(A, axis=1, keepdims=True)  # (N, D), rows of length 1
    B_unit = B / xp.linalg.norm(B, axis=1, keepdims=True)  # (M, D)
    return A_unit @ B_unit.T  # (N, M)


# %%
_A, _B = rng.standard_normal((4, 6)), rng.standard_normal((5, 6))
_expected = np.array([[a @ b / (np.sqrt(a @ a) * np.sqrt(b @ b)) for b in _B] for a in _A])
check_function(
    cosine_similarity,
    [((_A, _B), _expected), ((_A[:1] * 10, _A[:1]), np.ones((1, 1)))],
    hint="xp = backend.get_array_module(A); A_unit = A / xp.linalg.norm(A, axis=1, keepdims=True); same for B; "
         "return A_unit @ B_unit.T",
)

# %% [markdown]
# ### Exercise 2 — the cost of moving scores to the host

# %%
B, T, V = 128, 50, 23_716
n_bytes = B * T * V * 4  # float32: 4 bytes per score
megabytes = n_bytes / 1e6
milliseconds = n_bytes / 25e9 * 1e3

# %%
check_close(megabytes, 607.1296, name="megabytes", rtol=1e-3,
            hint="elements = B * T * V; each float32 takes 4 bytes; divide by 1e6")
check_close(milliseconds, 24.285184, name="milliseconds", rtol=1e-3,
            hint="seconds = bytes / 25e9; milliseconds = 1000 * seconds")


# %% [markdown]
# ### Exercise 3 — FLOPs of attention scores

# %%
def attention_score_flops(B, H, T, d_head):
    """FLOPs of Q @ K^T over a batch: B * H products of (T, d_head) @ (d_head, T)."""
    return B * H * 2 * T * d_head * T


# %%
check_function(
    attention_score_flops,
    [((128, 1, 50, 50), 32_000_000), ((3, 4, 7, 5), 5_880)],
    atol=0, rtol=0,
    hint="each product (n × k) @ (k × m) costs 2·n·k·m; here n = m = T and k = d_head, times B·H",
)
