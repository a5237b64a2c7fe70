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

sys.path.insert(0, "..")  # lessons/, where checks.py lives (this notebook runs in lessons/solutions/)
import minishop
import minishop.nn as nn
import minishop.functional as F
from minishop import Tensor
from minishop.data import prepare
from minishop.recsys import SequentialRecommender, cross_entropy_loss, make_batch
from checks import check_close, check_function

minishop.manual_seed(0)
rng = np.random.default_rng(0)

# %% [markdown]
# ### Exercise 1 — LayerNorm in NumPy

# %%
def layer_norm(x, gamma, beta, eps=1e-5):
    """LayerNorm over the last axis of x (..., D), then scale by gamma (D,) and shift by beta (D,)."""
    mu = x.mean(axis=-1, keepdims=True)  # (..., 1)
    var = x.var(axis=-1, keepdims=True)  # (..., 1), biased
    return (x - mu) / np.sqrt(var + eps) * gamma + beta


# %%
_x = rng.standard_normal((2, 5, 6)).astype(np.float32) * 3 + 1  # (B, T, D): not yet normalised
_gamma, _beta = rng.standard_normal(6).astype(np.float32), rng.standard_normal(6).astype(np.float32)
check_function(
    layer_norm,
    [((_x, _gamma, _beta), F.layer_norm(Tensor(_x), Tensor(_gamma), Tensor(_beta)).numpy()),
     ((_x[0, :3, :4], np.ones(4, np.float32), np.zeros(4, np.float32)),
      F.layer_norm(Tensor(_x[0, :3, :4])).numpy())],
    atol=1e-5, rtol=1e-4,
    hint="mu = x.mean(axis=-1, keepdims=True); var = x.var(axis=-1, keepdims=True); "
         "(x - mu) / np.sqrt(var + eps) * gamma + beta",
)

# %% [markdown]
# ### Exercise 2 — the post-LN block

# %%
def layer_norm_numpy(x, norm):  # x (..., D); norm: a minishop nn.LayerNorm
    return layer_norm(x, norm.weight.numpy(), norm.bias.numpy(), norm.eps)


def gelu(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def feed_forward_numpy(x, block):  # x (..., D) -> (..., D)
    ff = block.feed_forward
    hidden = gelu(x @ ff.fc1.weight.numpy() + ff.fc1.bias.numpy())  # (..., d_ff)
    return hidden @ ff.fc2.weight.numpy() + ff.fc2.bias.numpy()  # (..., D)


def attention_numpy(x, block):  # x (B, T, D) -> (B, T, D)
    return block.attention(Tensor(x)).numpy()


B, T, D, H = 2, 5, 8, 2
x = rng.standard_normal((B, T, D)).astype(np.float32)  # (B, T, D)


def post_ln_block(x, block):
    """x (B, T, D) -> (B, T, D): LN1(x + Attn(x)), then LN2(x + FFN(x))."""
    x = layer_norm_numpy(x + attention_numpy(x, block), block.norm1)  # (B, T, D)
    return layer_norm_numpy(x + feed_forward_numpy(x, block), block.norm2)  # (B, T, D)


# %%
post_block = nn.TransformerBlock(D, n_heads=H, d_ff=4 * D, causal=True, norm_first=False)
_x2 = rng.standard_normal((3, 4, D)).astype(np.float32)
check_function(
    post_ln_block,
    [((x, post_block), post_block(Tensor(x)).numpy()), ((_x2, post_block), post_block(Tensor(_x2)).numpy())],
    atol=1e-5, rtol=1e-4,
    hint="the same two residual steps as the pre-LN cell above, but the LayerNorm wraps the sum: "
         "x = layer_norm_numpy(x + attention_numpy(x, block), block.norm1), then the same with the FFN",
)

# %% [markdown]
# ### Exercise 3 — inputs and targets of one history

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
_long = list(range(101, 131))  # a 30-item history forces make_batch's batch to be T columns wide


def _from_make_batch(history, T):
    batch = make_batch([history, _long], n_items, max_len=T, objective="ce", rng=rng)
    return np.stack([batch.items[0], batch.targets[0]])  # (2, T)


check_function(
    inputs_and_targets,
    [(([5, 9, 2], 6), _from_make_batch([5, 9, 2], 6)),
     ((list(range(40, 52)), 6), _from_make_batch(list(range(40, 52)), 6)),
     (([7, 8], 4), _from_make_batch([7, 8], 4))],
    hint="window = history[-(T + 1):]; seq = [0] * (T + 1 - len(window)) + window; "
         "items, targets = seq[:-1], seq[1:]; then zero the targets whose input is 0",
)

# %% [markdown]
# ### Exercise 4 — full softmax cross-entropy by hand

# %%
minishop.manual_seed(0)
tiny = SequentialRecommender(n_items, d_model=16, n_blocks=1, n_heads=1, max_len=20, dropout=0.0)
E = tiny.item_embedding.weight.numpy()  # (n_items + 1, D)
users = sorted(split.train)[:64]
batch = make_batch([split.train[u] for u in users], n_items, max_len=20, objective="bce", rng=rng)
H_batch = tiny(batch.items).numpy()  # (B, T, D)
h = H_batch.reshape(-1, H_batch.shape[-1])[batch.positions]  # (N, D)
positives = batch.targets.reshape(-1)[batch.positions]  # (N,)
logits = h @ E[1:].T  # (N, n_items)


def softmax_cross_entropy(logits, columns):
    """Mean over rows of -log softmax(logits[n])[columns[n]]; logits (N, C), columns (N,) ints."""
    m = logits.max(axis=1, keepdims=True)  # (N, 1)
    log_z = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))  # (N,) log Σ_j e^{z_j}, stable
    return np.mean(log_z - logits[np.arange(len(columns)), columns])


# %%
_big = np.array([[1000.0, 0.0, -1000.0], [3.0, 1003.0, 2.0]])
check_function(
    softmax_cross_entropy,
    [((logits, positives - 1), cross_entropy_loss(tiny, batch).item()),
     ((_big, np.array([0, 2])), F.cross_entropy(Tensor(_big), np.array([0, 2])).item())],
    atol=1e-5, rtol=1e-5,
    hint="m = logits.max(axis=1, keepdims=True); log_z = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1)); "
         "then the mean of log_z - logits[np.arange(N), columns]",
)

# %% [markdown]
# ### Exercise 5 — the loss before any training
# Equal scores give every item probability $1/|I|$, so $\mathcal L_{\text{CE}} = -\log(1/|I|) = \ln |I|$.
# (And BCE: $\sigma(0) = 1/2$ twice, so $2 \ln 2 \approx 1.386$.)

# %%
expected_initial_ce = math.log(n_items)

# %%
check_close(
    expected_initial_ce, cross_entropy_loss(tiny, batch).item(), name="expected_initial_ce", atol=0.05,
    hint="if all scores are equal, softmax gives every one of the n_items items the same probability",
)
