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

sys.path.insert(0, "..")  # lessons/, where the checks live (this notebook runs in lessons/solutions/)
import minishop
from minishop import backend
from checks.lesson11 import (check_attention_score_flops, check_cosine_similarity, check_megabytes,
                             check_milliseconds, check_quiz)

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
check_cosine_similarity(cosine_similarity)  # on arrays that refuse NumPy's functions, as CuPy's do

# %% [markdown]
# ### Exercise 2 — the cost of moving scores to the host

# %%
B, T, V = 128, 50, 23_716
n_bytes = B * T * V * 4  # float32: 4 bytes per score
megabytes = n_bytes / 1e6
milliseconds = n_bytes / 25e9 * 1e3

# %%
check_megabytes(megabytes)  # the size of the (B, T, V) float32 scores
check_milliseconds(milliseconds)  # their copy to the host at 25 GB/s


# %% [markdown]
# ### Exercise 3 — FLOPs of attention scores

# %%
def attention_score_flops(B, H, T, d_head):
    """FLOPs of Q @ K^T over a batch: B * H products of (T, d_head) @ (d_head, T)."""
    return B * H * 2 * T * d_head * T


# %%
check_attention_score_flops(attention_score_flops)  # 2 FLOPs per multiply-add

# %% [markdown]
# ## Reflection — answers
#
# 1. Reading and cleaning the data, building vocabularies and batches of ids, writing logs and reports,
#    plotting, and the baselines' counting (pandas, Python dictionaries): they are branchy, small or I/O-bound
#    work that a GPU does not speed up, and each copy to the device costs PCIe time. Only the model's dense
#    arithmetic (forward, backward, the optimizer step, scoring) belongs on the device.
# 2. No: the generators differ, so the random draws (initial weights, dropout, negatives) differ, and sums
#    run in another order; both are equally valid samples. Test the GPU backend by giving both backends the
#    SAME inputs and weights (copied from the CPU) and comparing outputs and gradients within float32
#    tolerance, and by checking that metrics over several seeds agree in distribution.
# 3. Read off the matrix size at which your plot's GFLOP/s curve flattens, say $n$ rows for a $50 \times
#    23{,}716$ right-hand side: the output layer multiplies (batch positions × 50) by (50 × 23,716), so
#    the batch needs about $n$ real positions (batch size × real positions per sequence). On a GPU that is
#    typically thousands of positions; on a CPU far fewer.

# %% [markdown]
# ## Quiz

# %%
quiz_answers = {1: "b", 2: "c", 3: "a"}

# %%
check_quiz(quiz_answers)
