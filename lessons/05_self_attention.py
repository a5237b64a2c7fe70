# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 5 — Self-attention, starting from one formula
#
# A recommender reads a shopper's history — *laptop, mouse, USB hub, …* — and must decide what each item
# means **in the context of the others**. Self-attention does exactly that: every position builds its new
# vector as a weighted average of all the positions' vectors, with weights that say how relevant each one is.
#
# We start from the whole idea in one line,
#
# $$\operatorname{Attention}(X) = \operatorname{softmax}\!\left(\frac{X X^\top}{\sqrt{d}}\right) X ,$$
#
# compute it by hand, then add the pieces a real transformer has: learned projections $Q, K, V$, a causal
# mask, a padding mask and several heads. Each step is a few lines of NumPy first, then checked against
# `minishop.nn`.
#
# **Learning goals.** After this lesson you can
# 1. compute $\operatorname{softmax}(XX^\top/\sqrt d)\,X$ by hand and in NumPy, and say what each row of the weights means;
# 2. explain why the scores are divided by $\sqrt d$ (and show what goes wrong without it);
# 3. add query/key/value projections, a causal mask and a padding mask — and say why masked scores are $-10^9$, not $-\infty$;
# 4. split attention into heads, and read attention heatmaps;
# 5. use `minishop.nn.attention.seed_attention`, `SelfAttention` and `MultiHeadAttention`.
#
# **Prerequisites.** Matrix products and broadcasting in NumPy; the softmax function; lesson 4 (tokens and
# items as vectors). No calculus needed here — the gradients come in lesson 6.
#
# **Run time:** about 10 seconds on a laptop CPU.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

import minishop
import minishop.nn as nn
import minishop.functional as F
from minishop.nn.attention import MASKED_SCORE, attention_mask, seed_attention
from minishop import Tensor
from checks import check_close, check_equal, check_function

minishop.manual_seed(0)  # minishop's own generator: parameter initialisation
rng = np.random.default_rng(0)  # ours, for the NumPy experiments
np.set_printoptions(precision=3, suppress=True)

# %% [markdown]
# ## 1. The formula by hand: three items, four features
#
# Take three products described by four made-up features *(electronics, portable, food, price)*:
#
# | item   | electronics | portable | food | price |
# |--------|:-:|:-:|:-:|:-:|
# | laptop | 2 | 1 | 0 | 1 |
# | mouse  | 1 | 1 | 0 | 0 |
# | banana | 0 | 1 | 2 | 0 |
#
# Stack them as the rows of $X$ (shape $T \times d = 3 \times 4$). Attention takes three steps:
#
# 1. **scores** $S = XX^\top/\sqrt d$: $S_{ij}$ is the dot product of item $i$ with item $j$ — large when they point the same way;
# 2. **weights** $A = \operatorname{softmax}(S)$ row by row: $A_{ij} = e^{S_{ij}} / \sum_k e^{S_{ik}}$, so each row is positive and sums to 1;
# 3. **output** $Y = AX$: row $i$ is $\sum_j A_{ij} X_j$, a mix of all items, mostly of the ones similar to item $i$.
#
# By hand: $\text{laptop}\cdot\text{laptop} = 4+1+0+1 = 6$, $\text{laptop}\cdot\text{mouse} = 2+1 = 3$,
# $\text{laptop}\cdot\text{banana} = 1$, and with $\sqrt d = 2$ the first row of scores is $(3,\ 1.5,\ 0.5)$.

# %%
items = ["laptop", "mouse", "banana"]
X = np.array([[2.0, 1.0, 0.0, 1.0],
              [1.0, 1.0, 0.0, 0.0],
              [0.0, 1.0, 2.0, 0.0]])  # (T=3, d=4)
T, d = X.shape

scores = X @ X.T / math.sqrt(d)  # (T, T): S[i, j] = x_i · x_j / √d
print("scores S = X Xᵀ / √d:\n", scores)

# %% [markdown]
# Now the softmax of each row. Computed naively, $e^{S}$ overflows as soon as a score passes ~709 in
# float64 (~88 in float32). Subtracting the row's maximum first changes nothing mathematically,
# $\frac{e^{s_j - m}}{\sum_k e^{s_k - m}} = \frac{e^{s_j}}{\sum_k e^{s_k}}$, and keeps every exponent $\le 0$.
#
# ### Exercise 1 — a numerically stable softmax
# Write `softmax_rows(S)` that applies the softmax to each row (the last axis) of a 2-D array, using the
# max-subtraction trick so that it still works for scores like `[1000, 1001]`.

# %%
def softmax_rows(S):
    """Softmax over the last axis of S (T, T'), numerically stable."""
    return None  # your code here


# %%
check_function(
    softmax_rows,
    [((scores,), F.softmax(Tensor(scores), axis=-1).numpy()),
     ((np.array([[1000.0, 1001.0, 999.0], [-5.0, 0.0, 5.0]]),),
      F.softmax(Tensor(np.array([[1000.0, 1001.0, 999.0], [-5.0, 0.0, 5.0]])), axis=-1).numpy())],
    hint="subtract S.max(axis=-1, keepdims=True), exponentiate, divide by the row sums (keepdims=True again)",
)

# %% [markdown]
# Here is the softmax we use in the rest of the lesson, and the weights and output of our tiny example:

# %%
def softmax(S, axis=-1):
    exp = np.exp(S - S.max(axis=axis, keepdims=True))  # every exponent <= 0: no overflow
    return exp / exp.sum(axis=axis, keepdims=True)


weights = softmax(scores)  # (T, T), each row sums to 1
output = weights @ X  # (T, d): row i = Σ_j weights[i, j] · X[j]
print("weights A (rows sum to", weights.sum(axis=1), "):\n", weights)
print("output Y = A X:\n", output)

fig, ax = plt.subplots(figsize=(3.6, 3.2))
image = ax.imshow(weights, cmap="viridis", vmin=0, vmax=1)
ax.set_xticks(range(T), items)
ax.set_yticks(range(T), items)
ax.set_xlabel("attends to (key)")
ax.set_ylabel("query")
for i in range(T):
    for j in range(T):
        ax.text(j, i, f"{weights[i, j]:.2f}", ha="center", va="center", color="white" if weights[i, j] < 0.6 else "black")
fig.colorbar(image, ax=ax)
ax.set_title("softmax(X Xᵀ/√d)")
plt.show()

# %% [markdown]
# Read the heatmap row by row: the laptop mostly attends to itself (0.77) and a little to the mouse; the
# banana ignores the electronics. The output row of the *mouse* is now pulled towards the laptop — in
# context, "mouse" next to "laptop" means the computer kind.
#
# ### Exercise 2 — the whole formula
# Write `seed_attention_numpy(X)` computing $\operatorname{softmax}(XX^\top/\sqrt d)X$ for any 2-D `X` of
# shape `(T, d)` (use the `softmax` above). It is checked against minishop's
# `minishop.nn.attention.seed_attention` on random inputs of shapes you did not see.

# %%
def seed_attention_numpy(X):
    """softmax(X Xᵀ / √d) X for X of shape (T, d)."""
    return None  # your code here


# %%
_cases = [rng.standard_normal(shape) for shape in [(3, 4), (5, 8), (7, 2)]]
check_function(
    seed_attention_numpy,
    [((x,), seed_attention(Tensor(x)).numpy()) for x in _cases],
    hint="scores = X @ X.T / math.sqrt(X.shape[-1]); then softmax(scores) @ X",
)

# %% [markdown]
# minishop's version is one line of the library (read it: `minishop/nn/attention.py`) and works on a
# batch `(B, T, d)` too. It gives exactly our hand-computed output:

# %%
print(seed_attention(Tensor(X)).numpy())
print("same as ours:", np.allclose(seed_attention(Tensor(X)).numpy(), output))

# %% [markdown]
# ## 2. Why divide by $\sqrt d$?
#
# If the entries of $q$ and $k$ are independent with mean 0 and variance 1, then
# $q\cdot k = \sum_{i=1}^d q_i k_i$ is a sum of $d$ independent terms of variance 1, so
# $\operatorname{Var}(q \cdot k) = d$ and its standard deviation is $\sqrt d$. With $d = 512$ typical scores
# are around $\pm 23$, and the softmax of such numbers is almost one-hot: **saturated**. A saturated softmax
# puts all weight on one key and passes back almost no gradient (its derivative $a_j(\delta_{jk} - a_k)$
# is ~0 when one $a$ is ~1). Dividing by $\sqrt d$ brings the scores back to variance 1 for every $d$.
#
# Let us measure both claims.

# %%
dims = [4, 16, 64, 256, 1024]
n_keys = 16
std_raw, std_scaled, max_weight_raw, max_weight_scaled = [], [], [], []
for dim in dims:
    q = rng.standard_normal((500, 1, dim))  # 500 queries
    k = rng.standard_normal((500, n_keys, dim))  # 16 keys for each
    dots = (q * k).sum(axis=-1)  # (500, 16) raw dot products
    std_raw.append(dots.std())
    std_scaled.append((dots / math.sqrt(dim)).std())
    max_weight_raw.append(softmax(dots).max(axis=-1).mean())  # how one-hot is the softmax?
    max_weight_scaled.append(softmax(dots / math.sqrt(dim)).max(axis=-1).mean())

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
left.plot(dims, std_raw, "o-", label="q·k")
left.plot(dims, np.sqrt(dims), "k:", label="√d")
left.plot(dims, std_scaled, "s-", label="q·k / √d")
left.set_xscale("log", base=2)
left.set_xlabel("d")
left.set_ylabel("standard deviation of the score")
left.legend()
right.plot(dims, max_weight_raw, "o-", label="softmax(q·k)")
right.plot(dims, max_weight_scaled, "s-", label="softmax(q·k / √d)")
right.axhline(1 / n_keys, color="gray", ls=":", label=f"uniform (1/{n_keys})")
right.set_xscale("log", base=2)
right.set_ylim(0, 1.05)
right.set_xlabel("d")
right.set_ylabel(f"mean largest weight over {n_keys} keys")
right.legend()
fig.suptitle("Without √d the scores grow like √d and the softmax saturates")
plt.show()

# %% [markdown]
# Without scaling, at $d = 1024$ the largest of 16 weights is close to 1: the softmax has become an argmax.
# With scaling, the picture does not depend on $d$.
#
# ## 3. Queries, keys and values
#
# In seed attention a token plays three roles with one vector: what it **looks for**, what it **offers** to
# be found by, and what it **passes on**. A real model learns a separate view for each,
#
# $$Q = XW_Q,\quad K = XW_K,\quad V = XW_V,\qquad \operatorname{Attention}(Q, K, V) = \operatorname{softmax}\!\left(\frac{QK^\top}{\sqrt{d_k}}\right)V ,$$
#
# so "mouse" can look for *computers* while offering *accessories*. `minishop.nn.SelfAttention` holds the
# three matrices as `Linear` layers without bias (weights stored `(in, out)`, so `x @ W` reads as the math).
# We copy its weights into NumPy and reproduce its output:

# %%
d_model, d_head = 4, 3
attention = nn.SelfAttention(d_model, d_head)
W_q = attention.query.weight.numpy()  # (d_model, d_head)
W_k = attention.key.weight.numpy()
W_v = attention.value.weight.numpy()

x = X.astype(np.float32)  # minishop trains in float32 by default
Q, K, V = x @ W_q, x @ W_k, x @ W_v  # (T, d_head) each
ours = softmax(Q @ K.T / math.sqrt(d_head)) @ V  # (T, d_head)
theirs = attention(Tensor(x[None])).numpy()[0]  # minishop wants a batch axis: (1, T, d_model)
print("NumPy:\n", ours, "\nminishop.nn.SelfAttention:\n", theirs)
print("the same:", np.allclose(ours, theirs, atol=1e-6))

# %% [markdown]
# ## 4. The causal mask: no peeking at the future
#
# A recommender trained to predict the **next** purchase must not let position $t$ look at positions after
# $t$ — they contain the answer. We forbid those pairs by setting their scores to a huge negative number
# before the softmax, so their weights become $e^{-10^9}\approx 0$:
#
# $$S_{ij} \leftarrow -10^9 \quad\text{for } j > i .$$
#
# The forbidden pairs are the entries strictly above the diagonal.
#
# ### Exercise 3 — build the causal mask
# Set `causal_mask` to a **bool** array of shape `(5, 5)` that is `True` where query $i$ may *not* look at
# key $j$ (that is, $j > i$) and `False` elsewhere. (`np.triu` with its `k` argument, or a comparison of
# `np.arange` with itself, will do.)

# %%
causal_mask = None  # your code here

# %%
check_equal(
    causal_mask,
    attention_mask(5, 5, causal=True),
    name="causal_mask",
    hint="np.triu(np.ones((5, 5), dtype=bool), k=1) — True strictly above the diagonal",
)

# %% [markdown]
# Here is a causal attention over a 6-item session, with random vectors in place of learned ones:

# %%
session = ["laptop", "mouse", "USB hub", "banana", "keyboard", "apples"]
S6 = rng.standard_normal((6, 8))  # (T=6, d=8)
scores6 = S6 @ S6.T / math.sqrt(8)
future = np.triu(np.ones((6, 6), dtype=bool), k=1)  # True above the diagonal
weights_full = softmax(scores6)
weights_causal = softmax(np.where(future, -1e9, scores6))

fig, axes = plt.subplots(1, 2, figsize=(9, 4))
for ax, w, title in zip(axes, [weights_full, weights_causal], ["no mask", "causal mask"]):
    ax.imshow(w, cmap="viridis", vmin=0, vmax=1)
    ax.set_xticks(range(6), session, rotation=45, ha="right")
    ax.set_yticks(range(6), session)
    ax.set_title(title)
axes[0].set_ylabel("query")
plt.tight_layout()
plt.show()

# %% [markdown]
# The causal heatmap is lower-triangular, and the first item can only attend to itself.
#
# ## 5. Padding, and why $-10^9$ and not $-\infty$
#
# Shoppers have histories of different lengths. To stack them in one batch we pad the short ones with a
# padding id, and a **key-padding mask** (shape `(B, T)`, `True` at padding — PyTorch's convention) keeps
# every query from attending to a padding key.
#
# Sequential recommenders pad on the **left**, so that the most recent item is always at the last position.
# Combine left padding with the causal mask and look at the first row: query 0 is padding, its only
# visible key (itself) is padding too — **every** key in its row is masked. With $-\infty$ the softmax of
# that row is $e^{-\infty}/\sum e^{-\infty} = 0/0 = $ NaN, and one NaN in the forward pass turns every
# gradient into NaN. With $-10^9$ the row gets harmless uniform weights (its output is ignored anyway), and
# any row with at least one real key is *exactly* as with $-\infty$, because $e^{-10^9 - m}$ underflows to 0.

# %%
lengths = [6, 3]  # two shoppers, padded on the left to T = 6
padding = np.array([[t < 6 - n for t in range(6)] for n in lengths])  # (B=2, T=6) True at padding
masked = future[None] | padding[:, None, :]  # (B, T query, T key): causal OR padding key
print("shopper 2's mask (True = forbidden):\n", masked[1].astype(int))
with np.errstate(invalid="ignore"):  # -inf - (-inf) = NaN: NumPy would warn
    weights_inf = softmax(np.where(masked[1], -np.inf, scores6))  # (T, T)
weights_big = softmax(np.where(masked[1], -1e9, scores6))  # (T, T)
print("row 0 with -inf:", weights_inf[0])
print("row 0 with -1e9:", weights_big[0])
print("rows 3-5 (real queries) equal with -inf and -1e9:", np.array_equal(weights_inf[3:], weights_big[3:]))
print("minishop uses", MASKED_SCORE)

# %% [markdown]
# ### Exercise 4 — a padding mask from lengths
# Write `padding_mask(lengths, T)` returning a bool array `(len(lengths), T)` that is `True` at the padding
# positions of **left**-padded sequences: a sequence of length $n$ occupies the last $n$ positions.
# (Hint: compare `np.arange(T)` with `T - n` for each $n$, using broadcasting.)

# %%
def padding_mask(lengths, T):
    """Bool (B, T), True at the left padding of each sequence."""
    return None  # your code here


# %%
check_function(
    padding_mask,
    [(([6, 3], 6), padding),
     (([1, 4, 0, 5], 5), np.array([[1, 1, 1, 1, 0], [1, 0, 0, 0, 0], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0]], dtype=bool))],
    hint="np.arange(T)[None, :] < T - np.asarray(lengths)[:, None]",
)

# %% [markdown]
# ## 6. Several heads
#
# One softmax row is one way of mixing the items. **Multi-head attention** runs $H$ attentions side by side,
# each on a slice of width $d_{\text{head}} = d_{\text{model}}/H$ of the projected queries, keys and values,
# concatenates their outputs and mixes them with one more matrix $W_O$:
#
# $$\operatorname{MultiHead}(X) = \operatorname{concat}(\text{head}_1, \dots, \text{head}_H)\,W_O,\qquad
# \text{head}_h = \operatorname{softmax}\!\left(\frac{Q_h K_h^\top}{\sqrt{d_{\text{head}}}} + M\right)V_h .$$
#
# The split is a reshape and a transpose: `(B, T, D) → (B, T, H, d_head) → (B, H, T, d_head)`. Every
# projection in `MultiHeadAttention` has a bias. We reproduce minishop's layer in NumPy, padding and causal
# masks included, and compare both the output and the weights (`need_weights=True`):

# %%
B, T6, D, H = 2, 6, 8, 2
mha = nn.MultiHeadAttention(D, H, causal=True)
x6 = rng.standard_normal((B, T6, D)).astype(np.float32)
out, attn = mha(Tensor(x6), key_padding_mask=padding, need_weights=True)  # (B, T, D), (B, H, T, T)


def linear(x, layer):
    return x @ layer.weight.numpy() + layer.bias.numpy()


def split_heads(z):  # (B, T, D) -> (B, H, T, d_head)
    return z.reshape(B, T6, H, D // H).transpose(0, 2, 1, 3)


q, k, v = (split_heads(linear(x6, layer)) for layer in (mha.q_proj, mha.k_proj, mha.v_proj))
head_scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(D // H)  # (B, H, T, T)
head_weights = softmax(np.where(masked[:, None], -1e9, head_scores))  # mask broadcast over heads
heads = head_weights @ v  # (B, H, T, d_head)
merged = heads.transpose(0, 2, 1, 3).reshape(B, T6, D)  # concat the heads: (B, T, D)
ours = linear(merged, mha.out_proj)
print("weights match:", np.allclose(head_weights, attn.numpy(), atol=1e-6))
print("outputs match:", np.allclose(ours, out.numpy(), atol=1e-5))

fig, axes = plt.subplots(B, H, figsize=(8, 7))
for b in range(B):
    for h in range(H):
        axes[b, h].imshow(attn.numpy()[b, h], cmap="viridis", vmin=0, vmax=1)
        axes[b, h].set_title(f"shopper {b + 1}, head {h + 1}")
        axes[b, h].set_xlabel("key position")
        axes[b, h].set_ylabel("query position")
plt.tight_layout()
plt.show()

# %% [markdown]
# Each head has its own pattern (these weights are random; after training in lesson 8 they will mean
# something). For shopper 2 the real queries (rows 3–5) give no weight to the three padding columns,
# and the padded queries (rows 0–2), whose keys are all masked, spread their weight evenly — the $-10^9$
# trick at work; those rows are ignored by the loss.
#
# ## Systems note: what attention costs
#
# For a batch of $B$ sequences of length $T$, width $D$ and $H$ heads, the scores $QK^\top$ cost
# $2BT^2D$ floating-point operations and the weights take $B\cdot H\cdot T^2$ numbers — **quadratic in the
# sequence length**. For the recommender ($B = 128$, $T = 50$, $H = 1$) that is 320,000 weights per layer,
# tiny next to the $128\times 50\times 23{,}716$ output scores over the catalogue. For long texts
# ($T$ in the thousands) the $T^2$ term dominates everything, which is why long-context models need tricks
# such as FlashAttention that never store the full weight matrix.
#
# ## Reflection
# 1. If every item vector had the same length, which key would each query attend to most? Why?
# 2. A causal recommender predicts the item at position $t+1$ from positions $\le t$. What would the loss
#    look like during training if you forgot the causal mask — and would the model be any good?
# 3. Why is it enough to mask *keys* (columns) for padding, and harmless to leave padded *query* rows?
#
# ## Summary
# - Attention is $\operatorname{softmax}(QK^\top/\sqrt{d})V$: every position takes a weighted average of the
#   values, weighted by query–key similarity. With $Q=K=V=X$ it is the parameter-free seed formula.
# - $\sqrt d$ keeps the scores at unit variance so that the softmax does not saturate.
# - Masks are added to the scores before the softmax: causal (no future) and key padding. A finite
#   $-10^9$ avoids NaN on fully masked rows.
# - Heads are slices of the model width, attended separately, then concatenated and projected.
#
# **Next:** lesson 6 opens the black box of `.backward()` — how minishop computes the gradient of all this.
