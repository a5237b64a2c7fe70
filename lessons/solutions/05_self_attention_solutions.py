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
# The solved exercises of `05_self_attention.ipynb`, each with the same check as the lesson, the quiz's
# answers and answers to the reflection questions. Try the exercises first! Running this notebook saves
# these solutions as "your" pieces, so later solution notebooks (8 and 13) run them.

# %%
import math
import sys

import numpy as np

sys.path.insert(0, "..")  # lessons/, where the checks package lives (this notebook runs in lessons/solutions/)
import minishop
from minishop.nn.attention import MASKED_SCORE
from checks.lesson05 import (check_attention, check_causal_mask, check_merge_heads, check_multi_head_attention,
                             check_padding_mask, check_quiz, check_seed_attention, check_softmax, check_split_heads)

minishop.manual_seed(0)


# %% [markdown]
# ### Exercise 1 — a numerically stable softmax

# %%
def softmax(x, axis=-1):
    """Softmax of the Tensor x along `axis`, numerically stable."""
    shifted = x - x.max(axis=axis, keepdims=True)  # every exponent <= 0: no overflow
    exp = shifted.exp()
    return exp / exp.sum(axis=axis, keepdims=True)


# %%
check_softmax(softmax)


# %% [markdown]
# ### Exercise 2 — the whole formula

# %%
def seed_attention_fn(X):
    """softmax(X Xᵀ / √d) X for a Tensor X of shape (T, d)."""
    scores = X @ X.transpose() * (1.0 / math.sqrt(X.shape[-1]))  # (T, T)
    return softmax(scores) @ X  # (T, d)


# %%
check_seed_attention(seed_attention_fn)


# %% [markdown]
# ### Exercise 3 — masked scaled dot-product attention

# %%
def attention(q, k, v, mask=None):
    """softmax(q kᵀ / √d, masked) v for Tensors q (..., Tq, d), k (..., Tk, d), v (..., Tk, dv)."""
    axes = tuple(range(k.ndim - 2)) + (k.ndim - 1, k.ndim - 2)  # swap only the last two axes
    scores = q @ k.transpose(axes) * (1.0 / math.sqrt(q.shape[-1]))  # (..., Tq, Tk)
    if mask is not None:
        scores = scores.masked_fill(mask, MASKED_SCORE)  # finite: a fully masked row stays finite
    return softmax(scores, axis=-1) @ v  # (..., Tq, dv)


# %%
check_attention(attention)


# %% [markdown]
# ### Exercise 4 — build the causal mask

# %%
def causal_mask(T):
    """Bool (T, T), True where key j comes after query i."""
    return np.triu(np.ones((T, T), dtype=bool), k=1)  # strictly above the diagonal: j > i


# %%
check_causal_mask(causal_mask)


# %% [markdown]
# ### Exercise 5 — a padding mask from lengths

# %%
def padding_mask(lengths, T):
    """Bool (B, T), True at the left padding of each sequence."""
    first_real = T - np.asarray(lengths)[:, None]  # (B, 1)
    return np.arange(T)[None, :] < first_real  # (1, T) < (B, 1) -> (B, T)


# %%
check_padding_mask(padding_mask)


# %% [markdown]
# ### Exercise 6 — split and merge the heads

# %%
def split_heads(x, n_heads):
    """(B, T, D) -> (B, H, T, D/H)."""
    B, T, D = x.shape
    return x.reshape(B, T, n_heads, D // n_heads).transpose(0, 2, 1, 3)  # heads before time


def merge_heads(x):
    """(B, H, T, d_head) -> (B, T, H * d_head)."""
    B, H, T, d_head = x.shape
    return x.transpose(0, 2, 1, 3).reshape(B, T, H * d_head)  # time back before heads, then concat


# %%
check_split_heads(split_heads)

# %%
check_merge_heads(merge_heads)


# %% [markdown]
# ### Exercise 7 — multi-head attention

# %%
def multi_head_attention(x, params, n_heads, mask=None):
    """Multi-head self-attention of x (B, T, D) -> (B, T, D)."""
    q, k, v = (split_heads(x @ params[name][0] + params[name][1], n_heads) for name in "qkv")  # (B, H, T, d)
    if mask is not None and np.ndim(mask) == 3:
        mask = np.asarray(mask)[:, None]  # (B, 1, T, T): the same mask for every head
    heads = attention(q, k, v, mask)  # (B, H, T, d_head)
    W_o, b_o = params["o"]
    return merge_heads(heads) @ W_o + b_o  # (B, T, D)


# %%
check_multi_head_attention(multi_head_attention)

# %% [markdown]
# ## Quiz

# %%
answers = {"1": "b", "2": "c", "3": "a"}

# %%
check_quiz(answers)

# %% [markdown]
# ## Reflection — answers
# 1. **Same length.** Then $x_i\cdot x_j = |x|^2\cos\theta_{ij}$ is largest for $j = i$ ($\cos = 1$), so each
#    query attends most to itself; how much more depends on $|x|^2/\sqrt d$ — long vectors make the
#    softmax sharper, short ones flatter.
# 2. **No causal mask.** Position $t$ could read the item at $t+1$, which is its own target, so the model
#    learns to copy it: the training loss falls towards 0 very fast. At prediction time the next item is not
#    in the input, the copying shortcut finds nothing, and the model is poor — a leak, not learning.
# 3. **Masking keys is enough.** A padded *key* would change the output of real queries, so it must get no
#    weight. A padded *query* row only changes the output at a padding position, which no loss and no
#    prediction ever reads (and the $-10^9$ keeps it finite, so it cannot poison the gradients with NaN).
