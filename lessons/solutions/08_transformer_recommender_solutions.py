# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 8 — The transformer block and the recommender: solutions
#
# The solved exercises of `08_transformer_recommender.ipynb`, each with the setup it needs and the same
# check as the lesson. Try the exercises first!

# %%
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # tiny matrices: one BLAS thread is fastest

import math
import sys

import numpy as np

sys.path.insert(0, "..")  # lessons/, where the checks live (this notebook runs in lessons/solutions/)
import minishop
import minishop.nn as nn
import minishop.functional as F
from minishop import Tensor
from minishop.data import prepare
from minishop.nn.attention import attention_mask
from minishop.recsys import SequentialRecommender, cross_entropy_loss, make_batch
from checks import use
from checks.lesson05 import mha_params
from checks.lesson08 import (attention_piece, check_initial_ce, check_inputs_and_targets, check_layer_norm,
                             check_post_ln_block, check_pre_ln_block, check_quiz, check_sasrec_scores,
                             check_softmax_cross_entropy, check_train_loop, library_layer_norm)

minishop.manual_seed(0)
rng = np.random.default_rng(0)

# %% [markdown]
# ### Exercise 1 — LayerNorm, for arrays and Tensors

# %%
def layer_norm(x, gamma, beta, eps=1e-5):
    """LayerNorm over the last axis of x (..., D), then scale by gamma (D,) and shift by beta (D,)."""
    mu = x.mean(axis=-1, keepdims=True)  # (..., 1)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)  # (..., 1), biased: divides by D
    return (x - mu) / (var + eps) ** 0.5 * gamma + beta  # ** 0.5 works on arrays and Tensors


# %%
check_layer_norm(layer_norm)  # arrays and Tensors, against minishop.functional.layer_norm

# %%
layer_norm = use("layer_norm", library_layer_norm, yours=layer_norm)  # yours from here on, once it passed

# %% [markdown]
# ### Exercise 2 — the post-LN block

# %%
def layer_norm_numpy(x, norm):  # x (..., D); norm: a minishop nn.LayerNorm
    mu = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + norm.eps) * norm.weight.numpy() + norm.bias.numpy()


def gelu_numpy(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def feed_forward_numpy(x, block):  # x (..., D) -> (..., D)
    ff = block.feed_forward
    hidden = gelu_numpy(x @ ff.fc1.weight.numpy() + ff.fc1.bias.numpy())  # (..., d_ff)
    return hidden @ ff.fc2.weight.numpy() + ff.fc2.bias.numpy()  # (..., D)


def attention_numpy(x, block):  # x (B, T, D) -> (B, T, D)
    return block.attention(Tensor(x)).numpy()


def post_ln_block(x, block):
    """x (B, T, D) -> (B, T, D): LN1(x + Attn(x)), then LN2(x + FFN(x))."""
    x = layer_norm_numpy(x + attention_numpy(x, block), block.norm1)  # (B, T, D)
    return layer_norm_numpy(x + feed_forward_numpy(x, block), block.norm2)  # (B, T, D)


# %%
check_post_ln_block(post_ln_block)  # against minishop.nn.TransformerBlock(..., norm_first=False)

# %% [markdown]
# ### Exercise 3 — the pre-LN block on Tensors

# %%
multi_head_attention = attention_piece()  # lesson 5's multi_head_attention: yours where it passed


def self_attention(h, mha, padding):  # h (B, T, D); mha: a block's MultiHeadAttention; padding (B, T) bool
    T = h.shape[1]
    mask = attention_mask(T, T, causal=True, key_padding_mask=padding, score_ndim=3)  # (B, T, T): True = hidden
    return multi_head_attention(h, mha_params(mha), mha.n_heads, mask=mask)  # (B, T, D)


gelu = use("gelu", F.gelu)  # lesson 6's GELU op with its hand-written backward: yours where it passed


def feed_forward(h, ff):  # h (B, T, D); ff: a block's FeedForward, fc1: D -> d_ff, fc2: d_ff -> D
    return gelu(h @ ff.fc1.weight + ff.fc1.bias) @ ff.fc2.weight + ff.fc2.bias  # (B, T, D)


def pre_ln_block(x, block, padding):
    """x (B, T, D) Tensor -> (B, T, D): x + Attn(LN1(x)), then + FFN(LN2(x))."""
    h = layer_norm(x, block.norm1.weight, block.norm1.bias)  # (B, T, D) the attention reads LN1(x)
    x = x + self_attention(h, block.attention, padding)  # (B, T, D) residual 1
    h = layer_norm(x, block.norm2.weight, block.norm2.bias)  # (B, T, D)
    return x + feed_forward(h, block.feed_forward)  # (B, T, D) residual 2


# %%
check_pre_ln_block(pre_ln_block)  # against minishop.nn.TransformerBlock(norm_first=True), causal

# %% [markdown]
# ### Exercise 4 — inputs and targets of one history

# %%
prepared = prepare()
split, n_items = prepared.split, prepared.n_items


def inputs_and_targets(history, T):
    """(2, T) int array: [left-padded inputs, targets] of one history."""
    window = list(history)[-(T + 1):]  # the last T + 1 items
    sequence = np.array([0] * (T + 1 - len(window)) + window, dtype=np.int64)  # (T + 1,) left-padded
    items, targets = sequence[:-1], sequence[1:]  # (T,) each, shifted by one
    targets = np.where(items == 0, 0, targets)  # nothing to predict from padding
    return np.stack([items, targets])  # (2, T)


# %%
check_inputs_and_targets(inputs_and_targets)  # against a row of minishop.recsys.make_batch

# %% [markdown]
# ### Exercise 5 — the SASRec forward pass, with tied scores

# %%
def sasrec_scores(model, items):
    """items (B, T) int, 0 = padding on the left -> scores (B, T, n_items + 1) Tensor."""
    B, T = items.shape
    padding = items == 0  # (B, T)
    positions = np.arange(model.max_len - T, model.max_len)  # (T,) counted from the right end
    x = model.item_embedding(items) * math.sqrt(model.d_model)  # (B, T, D)
    x = x + model.position_embedding(positions)  # (B, T, D) + (T, D)
    for block in model.blocks:
        x = pre_ln_block(x, block, padding)  # (B, T, D)
    hidden = layer_norm(x, model.final_norm.weight, model.final_norm.bias)  # (B, T, D)
    return hidden @ model.item_embedding.weight.transpose()  # (B, T, n_items + 1): the same table E


# %%
check_sasrec_scores(sasrec_scores)  # same weights -> same scores as minishop.recsys.SequentialRecommender

# %% [markdown]
# ### Exercise 6 — full softmax cross-entropy by hand

# %%
def softmax_cross_entropy(logits, columns):
    """Mean over rows of -log softmax(logits[n])[columns[n]]; logits (N, C), columns (N,) ints."""
    m = logits.max(axis=1, keepdims=True)  # (N, 1)
    log_z = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))  # (N,) log Σ_j e^{z_j}, stable
    return np.mean(log_z - logits[np.arange(len(columns)), columns])


# %%
check_softmax_cross_entropy(softmax_cross_entropy)  # against minishop.functional.cross_entropy

# %% [markdown]
# ### Exercise 7 — the loss before any training
# Equal scores give every item probability $1/|I|$, so $\mathcal L_{\text{CE}} = -\log(1/|I|) = \ln |I|$.
# (And BCE: $\sigma(0) = 1/2$ twice, so $2 \ln 2 \approx 1.386$.)

# %%
minishop.manual_seed(0)
tiny = SequentialRecommender(n_items, d_model=16, n_blocks=1, n_heads=1, max_len=20, dropout=0.0)
users = sorted(split.train)[:64]
batch = make_batch([split.train[u] for u in users], n_items, max_len=20, objective="bce", rng=rng)
expected_initial_ce = math.log(n_items)

# %%
check_initial_ce(expected_initial_ce, cross_entropy_loss(tiny, batch).item())  # the untrained model's loss

# %% [markdown]
# ### Exercise 8 — a plain training loop

# %%
def train_loop(model, score_fn, step_fn, histories, epochs, lr, batch_size=128, seed=0):
    """Train `model` in place with full softmax CE; return the loss of every step."""
    rng = np.random.default_rng(seed)
    parameters = model.parameters()
    m = [np.zeros_like(p.data) for p in parameters]  # Adam's first moments, one per parameter
    v = [np.zeros_like(p.data) for p in parameters]  # and second moments
    t, losses = 0, []
    for _ in range(epochs):
        order = rng.permutation(len(histories))
        for start in range(0, len(histories), batch_size):
            chosen = [histories[i] for i in order[start:start + batch_size]]
            batch = make_batch(chosen, model.n_items, model.max_len, "ce", rng)
            scores = score_fn(model, batch.items)  # (B, T, n_items + 1)
            real = scores.reshape(-1, scores.shape[-1])[batch.positions]  # (N, n_items + 1)
            loss = F.cross_entropy(real, batch.targets.reshape(-1)[batch.positions])
            for p in parameters:
                p.grad = None  # gradients add up across backward() calls: clear them first
            loss.backward()
            t += 1
            for i, p in enumerate(parameters):
                p.data, m[i], v[i] = step_fn(p.data, p.grad, m[i], v[i], t, lr)
            losses.append(loss.item())
    return losses


# %%
check_train_loop(train_loop)  # the same losses as the loop with minishop.optim.Adam

# %% [markdown]
# ## Reflection — answers
#
# 1. With positions counted from the right, the newest item always gets position $T_{\max}-1$, the one before
#    it $T_{\max}-2$, and so on, whatever the history's length, so "the last thing bought" has one learned
#    position vector. Counted from the left, the newest item of a 3-item history and of a 40-item history
#    would sit at different positions, and the amount of padding in front would change every output.
# 2. Full CE scores every item at every real position: an $(N \times |I|)$ matrix, $N \cdot |I| \cdot D$
#    multiply-adds forwards and as many backwards — with 2 million items, about a million times BCE's two
#    dot products per position, and the matrix alone would not fit in memory for a normal batch. Use a
#    sampled softmax (CE over the target and a few thousand shared negatives, with a log-Q correction for
#    popularity sampling), or gSASRec's calibrated BCE with many negatives.
# 3. Without the causal mask position $t$ can read item $s_{t+1}$, which is its own target: the training loss
#    drops towards 0 by copying the next input, but at test time the next item is not in the input, so
#    validation NDCG collapses (the model never learned to predict).

# %% [markdown]
# ## Quiz

# %%
quiz_answers = {1: "b", 2: "a", 3: "b", 4: "b"}

# %%
check_quiz(quiz_answers)
