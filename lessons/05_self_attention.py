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
# mask, a padding mask and several heads. **You write each piece yourself**, and each one is checked
# against `minishop.nn`. A piece that passes its check is saved, and from then on the lesson — and lesson 8,
# where you train a recommender, and the capstone, lesson 13 — runs **your** code instead of the library's.
#
# Your pieces work on `minishop.Tensor`s and use only Tensor methods (`x.exp()`, `x.max(axis=-1,
# keepdims=True)`, `x.sum(...)`, `q @ k`, `x.transpose(...)`, `x.reshape(...)`, `x.masked_fill(mask, value)`),
# so that lesson 6's backpropagation can flow through them. The checks compare your gradients too.
#
# **Learning goals.** After this lesson you can
# 1. compute $\operatorname{softmax}(XX^\top/\sqrt d)\,X$ by hand and in code, and say what each row of the weights means;
# 2. explain why the scores are divided by $\sqrt d$ (and show what goes wrong without it);
# 3. write masked scaled dot-product attention with $Q, K, V$, a causal mask and a padding mask — and say why masked scores are $-10^9$, not $-\infty$;
# 4. split attention into heads and merge them back, and read attention heatmaps;
# 5. compare your attention with `minishop.nn.attention` and `MultiHeadAttention`.
#
# **Prerequisites.** Matrix products and broadcasting in NumPy; the softmax function; lesson 4 (tokens and
# items as vectors). No calculus needed here — the gradients come in lesson 6.
#
# **Study time:** about 3 hours (see lessons/README.md).

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

import minishop
import minishop.nn as nn
from minishop import Tensor
from minishop.nn.attention import MASKED_SCORE, attention_mask, seed_attention
from checks import hint, use
from checks.lesson05 import (check_attention, check_causal_mask, check_merge_heads, check_multi_head_attention,
                             check_padding_mask, check_quiz, check_seed_attention, check_softmax, check_split_heads,
                             library_attention, library_causal_mask, library_merge_heads, library_multi_head_attention,
                             library_padding_mask, library_softmax, library_split_heads, mha_params)

minishop.manual_seed(0)  # minishop's own generator: parameter initialisation
rng = np.random.default_rng(0)  # ours, for the experiments
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
# float64 (~88 in float32). A softmax does not change when the same number is subtracted from a whole
# row, $\frac{e^{s_j - m}}{\sum_k e^{s_k - m}} = \frac{e^{s_j}}{\sum_k e^{s_k}}$, so choose $m$ to keep
# every exponent $\le 0$.
#
# ### Exercise 1 — a numerically stable softmax (2 points)
# Write `softmax(x, axis=-1)` for a Tensor `x`: the softmax along `axis`, which must still work for
# scores like `[1000, 1001]`. Use Tensor methods only. If you are stuck, `hint("softmax", 2)` gives the
# next hint.

# %%
def softmax(x, axis=-1):
    """Softmax of the Tensor x along `axis`, numerically stable."""
    return None  # your code here


# %%
check_softmax(softmax)

# %% [markdown]
# From here on the lesson uses your softmax if it passed, and minishop's otherwise — it says which:

# %%
softmax = use("softmax", library_softmax, yours=softmax)

weights = softmax(Tensor(scores)).numpy()  # (T, T), each row sums to 1
output = weights @ X  # (T, d): row i = Σ_j weights[i, j] · X[j]
print("weights A (rows sum to", weights.sum(axis=1), "):\n", weights)
print("output Y = A X:\n", output)

# %% [markdown]
# The attention matrix of a whole **product sequence**: a shopper's session of six products, each given
# made-up features, and the weights each one (row) gives to the others (columns):

# %%
session = ["laptop", "mouse", "USB hub", "banana", "keyboard", "apples"]
features = np.array([[2, 1, 0, 1], [1, 1, 0, 0], [1, 1, 0, 0.5],
                     [0, 1, 2, 0], [1, 0.5, 0, 0.5], [0, 0.5, 2, 0]], dtype=float)  # (T=6, d=4)
session_weights = softmax(Tensor(features @ features.T / 2.0)).numpy()  # (6, 6)

fig, ax = plt.subplots(figsize=(5, 4.2))
image = ax.imshow(session_weights, cmap="viridis", vmin=0, vmax=1)
ax.set_xticks(range(6), session, rotation=45, ha="right")
ax.set_yticks(range(6), session)
ax.set_xlabel("attends to (key)")
ax.set_ylabel("query")
for i in range(6):
    for j in range(6):
        ax.text(j, i, f"{session_weights[i, j]:.2f}", ha="center", va="center", fontsize=8,
                color="white" if session_weights[i, j] < 0.5 else "black")
fig.colorbar(image, ax=ax)
ax.set_title("seed attention softmax(X Xᵀ/√d) over a session")
plt.show()

# %% [markdown]
# Read the heatmap row by row: the electronics attend to the electronics, the food to the food. The
# output row of the *mouse* is pulled towards the laptop and the hub — in context, "mouse" next to
# "laptop" means the computer kind.
#
# ### Exercise 2 — the whole formula (1 point)
# Write `seed_attention_fn(X)` computing $\operatorname{softmax}(XX^\top/\sqrt d)X$ for a Tensor `X` of shape
# `(T, d)`, with your softmax. It is checked against `minishop.nn.attention.seed_attention` on inputs of
# shapes you did not see.

# %%
def seed_attention_fn(X):
    """softmax(X Xᵀ / √d) X for a Tensor X of shape (T, d)."""
    return None  # your code here


# %%
check_seed_attention(seed_attention_fn)

# %% [markdown]
# ## 2. Why divide by $\sqrt d$?
#
# If the entries of $q$ and $k$ are independent with mean 0 and variance 1, then
# $q\cdot k = \sum_{i=1}^d q_i k_i$ is a sum of $d$ independent terms of variance 1, so
# $\operatorname{Var}(q \cdot k) = d$ and its standard deviation is $\sqrt d$. For large $d$ typical scores
# are far from 0, and the softmax of such numbers is almost one-hot: **saturated**. A saturated softmax
# puts all weight on one key and passes back almost no gradient (its derivative $a_j(\delta_{jk} - a_k)$
# is ~0 when one $a$ is ~1). Dividing by $\sqrt d$ brings the scores back to variance 1 for every $d$.
#
# Let us measure both claims (with a quick NumPy softmax, for speed):

# %%
def softmax_np(S):
    exp = np.exp(S - S.max(axis=-1, keepdims=True))
    return exp / exp.sum(axis=-1, keepdims=True)


dims = [4, 16, 64, 256, 1024]
n_keys = 16
std_raw, std_scaled, max_weight_raw, max_weight_scaled = [], [], [], []
for dim in dims:
    q = rng.standard_normal((500, 1, dim))  # 500 queries
    k = rng.standard_normal((500, n_keys, dim))  # 16 keys for each
    dots = (q * k).sum(axis=-1)  # (500, 16) raw dot products
    std_raw.append(dots.std())
    std_scaled.append((dots / math.sqrt(dim)).std())
    max_weight_raw.append(softmax_np(dots).max(axis=-1).mean())  # how one-hot is the softmax?
    max_weight_scaled.append(softmax_np(dots / math.sqrt(dim)).max(axis=-1).mean())
print(f"at d = {dims[-1]}: score std {std_raw[-1]:.1f} raw, {std_scaled[-1]:.2f} scaled; "
      f"mean largest weight {max_weight_raw[-1]:.2f} raw, {max_weight_scaled[-1]:.2f} scaled")

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
# Without scaling, at large $d$ the largest of 16 weights approaches 1 (printed above): the softmax has
# become an argmax. With scaling, the picture does not depend on $d$.
#
# ## 3. Queries, keys and values, and masks
#
# In seed attention a token plays three roles with one vector: what it **looks for**, what it **offers** to
# be found by, and what it **passes on**. A real model learns a separate view for each,
#
# $$Q = XW_Q,\quad K = XW_K,\quad V = XW_V,\qquad \operatorname{Attention}(Q, K, V) = \operatorname{softmax}\!\left(\frac{QK^\top}{\sqrt{d_k}} + M\right)V ,$$
#
# so "mouse" can look for *computers* while offering *accessories*. $M$ is a **mask**: where a query must
# not look at a key, its score is replaced by a huge negative number (minishop's `MASKED_SCORE` $=-10^9$)
# before the softmax, so the weight becomes $e^{-10^9}\approx 0$.
#
# ### Exercise 3 — masked scaled dot-product attention (3 points)
# Write `attention(q, k, v, mask=None)` for Tensors `q` `(..., Tq, d)`, `k` `(..., Tk, d)`, `v` `(..., Tk, dv)`
# with any leading axes (a batch, or a batch and heads), and an optional bool array `mask` that broadcasts
# to the scores `(..., Tq, Tk)`, **True where a query may not look**. Use your `softmax`, `masked_fill` and
# `MASKED_SCORE`. Return the output `(..., Tq, dv)`.

# %%
def attention(q, k, v, mask=None):
    """softmax(q kᵀ / √d, masked) v for Tensors q (..., Tq, d), k (..., Tk, d), v (..., Tk, dv)."""
    return None  # your code here


# %%
check_attention(attention)

# %%
attention = use("attention", library_attention, yours=attention)

d_model, d_head = 4, 3
single = nn.SelfAttention(d_model, d_head)  # one head, projections without bias, weights stored (in, out)
x = Tensor(X[None].astype(np.float32))  # (B=1, T=3, d_model)
q, k, v = single.query(x), single.key(x), single.value(x)  # (1, T, d_head) each
ours = attention(q, k, v).numpy()
print("same as minishop.nn.SelfAttention:", np.allclose(ours, single(x).numpy(), atol=1e-6))

# %% [markdown]
# ## 4. The causal mask: no peeking at the future
#
# A recommender trained to predict the **next** purchase must not let position $t$ look at positions after
# $t$ — they contain the answer. The forbidden pairs are the entries strictly above the diagonal.
#
# ### Exercise 4 — build the causal mask (1 point)
# Write `causal_mask(T)` returning a **bool** array `(T, T)` that is `True` where query $i$ may *not* look at
# key $j$ (that is, $j > i$) and `False` elsewhere.

# %%
def causal_mask(T):
    """Bool (T, T), True where key j comes after query i."""
    return None  # your code here


# %%
check_causal_mask(causal_mask)

# %% [markdown]
# ## 5. Padding, left padding, and why $-10^9$ and not $-\infty$
#
# Shoppers have histories of different lengths. To stack them in one batch we pad the short ones with a
# padding id, and a **key-padding mask** (shape `(B, T)`, `True` at padding — PyTorch's convention) keeps
# every query from attending to a padding key. Sequential recommenders pad on the **left**, so that the
# most recent item is always at the last position.
#
# ### Exercise 5 — a padding mask from lengths (1 point)
# Write `padding_mask(lengths, T)` returning a bool array `(len(lengths), T)` that is `True` at the padding
# positions of **left**-padded sequences (a sequence of length $n$ occupies the last $n$ positions).

# %%
def padding_mask(lengths, T):
    """Bool (B, T), True at the left padding of each sequence."""
    return None  # your code here


# %%
check_padding_mask(padding_mask)

# %% [markdown]
# The three masks as pictures, for two shoppers padded on the left to $T = 6$ (dark = forbidden). The
# combined mask of a batch is `causal[None] | padding[:, None, :]`: shape `(B, T query, T key)`.

# %%
causal_mask = use("causal_mask", library_causal_mask, yours=causal_mask)
padding_mask = use("padding_mask", library_padding_mask, yours=padding_mask)
lengths = [6, 3]  # two shoppers
future = causal_mask(6)  # (T, T)
padding = padding_mask(lengths, 6)  # (B=2, T=6) True at padding
masked = future[None] | padding[:, None, :]  # (B, T query, T key): causal OR padding key

fig, axes = plt.subplots(1, 4, figsize=(13, 3.4))
histories = [["laptop", "mouse", "USB hub", "banana", "keyboard", "apples"], ["<pad>"] * 3 + ["tea", "mug", "kettle"]]
axes[0].imshow(padding, cmap="Greys", vmin=0, vmax=1.6)
for b, history in enumerate(histories):
    for t, item in enumerate(history):
        axes[0].text(t, b, item, ha="center", va="center", fontsize=7, color="red" if item == "<pad>" else "black")
axes[0].set_title("left padding (B, T)")
axes[0].set_yticks([0, 1], ["shopper 1", "shopper 2"])
for ax, mask, title in zip(axes[1:], [future, padding[1][None].repeat(6, 0), masked[1]],
                           ["causal (T, T)", "key padding, shopper 2", "causal | padding, shopper 2"]):
    ax.imshow(mask, cmap="Greys", vmin=0, vmax=1.6)
    ax.set_title(title)
    ax.set_xlabel("key position")
    ax.set_ylabel("query position")
plt.tight_layout()
plt.show()

# %% [markdown]
# Look at the first row of the combined mask: query 0 of shopper 2 is padding, and its only visible key
# (itself) is padding too — **every** key in its row is masked. With $-\infty$ the softmax of that row is
# $0/0 = $ NaN, and one NaN in the forward pass turns every gradient into NaN. With $-10^9$ the row gets
# harmless uniform weights (its output is ignored anyway), and any row with at least one real key is
# *exactly* as with $-\infty$, because $e^{-10^9 - m}$ underflows to 0.

# %%
scores6 = features @ features.T / 2.0  # the session's scores, (T, T)
with np.errstate(invalid="ignore"):  # -inf - (-inf) = NaN: NumPy would warn
    weights_inf = softmax_np(np.where(masked[1], -np.inf, scores6))  # (T, T)
weights_big = softmax(Tensor(scores6).masked_fill(masked[1], MASKED_SCORE)).numpy()  # (T, T)
print("row 0 with -inf:", weights_inf[0])
print("row 0 with -1e9:", weights_big[0])
print("rows 3-5 (real queries) equal with -inf and -1e9:", np.allclose(weights_inf[3:], weights_big[3:]))

# %% [markdown]
# ## 6. Several heads
#
# One softmax row is one way of mixing the items. **Multi-head attention** runs $H$ attentions side by side,
# each on a slice of width $d_{\text{head}} = d_{\text{model}}/H$ of the projected queries, keys and values,
# concatenates their outputs and mixes them with one more matrix $W_O$:
#
# $$\operatorname{MultiHead}(X) = \operatorname{concat}(\text{head}_1, \dots, \text{head}_H)\,W_O + b_O,\qquad
# \text{head}_h = \operatorname{Attention}(Q_h, K_h, V_h),\quad Q = XW_Q + b_Q, \dots$$
#
# The split is a reshape and a transpose: `(B, T, D) → (B, T, H, d_head) → (B, H, T, d_head)`; the merge
# undoes it.
#
# ### Exercise 6 — split and merge the heads (1 + 1 points)
# Write `split_heads(x, n_heads)`: a Tensor `(B, T, D)` to `(B, H, T, D/H)`, and `merge_heads(x)`: a Tensor
# `(B, H, T, d_head)` to `(B, T, H·d_head)`.

# %%
def split_heads(x, n_heads):
    """(B, T, D) -> (B, H, T, D/H)."""
    return None  # your code here


def merge_heads(x):
    """(B, H, T, d_head) -> (B, T, H * d_head)."""
    return None  # your code here


# %%
check_split_heads(split_heads)

# %%
check_merge_heads(merge_heads)

# %% [markdown]
# ### Exercise 7 — multi-head attention (3 points)
# Write `multi_head_attention(x, params, n_heads, mask=None)` for a Tensor `x` `(B, T, D)`, where
# `params = {"q": (W_q, b_q), "k": (W_k, b_k), "v": (W_v, b_v), "o": (W_o, b_o)}` holds Tensors with
# weights stored `(in, out)` (so a projection is `x @ W + b`), and `mask` is a bool array `(B, T, T)` (or
# anything that broadcasts to it), True = forbidden. Use your `split_heads`, `attention` and `merge_heads`.
# It is checked against `minishop.nn.MultiHeadAttention` with the same weights.

# %%
def multi_head_attention(x, params, n_heads, mask=None):
    """Multi-head self-attention of x (B, T, D) -> (B, T, D)."""
    return None  # your code here


# %%
check_multi_head_attention(multi_head_attention)

# %% [markdown]
# Your multi-head attention (or minishop's) beside `minishop.nn.MultiHeadAttention` on the two shoppers,
# and the weights of each head:

# %%
split_heads = use("split_heads", library_split_heads, yours=split_heads)
merge_heads = use("merge_heads", library_merge_heads, yours=merge_heads)
multi_head_attention = use("multi_head_attention", library_multi_head_attention, yours=multi_head_attention)

B, T6, D, H = 2, 6, 8, 2
mha = nn.MultiHeadAttention(D, H, causal=True)
x6 = Tensor(rng.standard_normal((B, T6, D)).astype(np.float32))
out, attn = mha(x6, key_padding_mask=padding, need_weights=True)  # (B, T, D), (B, H, T, T)
ours = multi_head_attention(x6, mha_params(mha), H, mask=masked)  # (B, T, D)
print("outputs match minishop's layer:", np.allclose(ours.numpy(), out.numpy(), atol=1e-5))

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
# sequence length**. The cell below computes both for the recommender's own settings, next to the size of
# its output scores over the catalogue. For long texts ($T$ in the thousands) the $T^2$ term dominates
# everything, which is why long-context models need tricks such as FlashAttention that never store the full
# weight matrix.

# %%
from minishop.recsys import SequentialRecommender  # noqa: E402  (only to read its default sizes)
import inspect  # noqa: E402

defaults = {name: p.default for name, p in inspect.signature(SequentialRecommender).parameters.items()
            if p.default is not inspect.Parameter.empty}
T_rec, H_rec, B_rec = defaults.get("max_len", 50), defaults.get("n_heads", 1), 128
print(f"recommender defaults: max_len={T_rec}, n_heads={H_rec}; a batch of {B_rec}: "
      f"{B_rec * H_rec * T_rec ** 2:,} attention weights per layer")

# %% [markdown]
# ## Quiz (3 points)
# 1. Why divide the scores by $\sqrt d$? (a) to make them positive; (b) to keep their variance near 1, so
#    the softmax does not saturate; (c) to normalise each row to sum 1.
# 2. A row whose keys are all masked with $-\infty$ gives: (a) zeros; (b) a uniform row; (c) NaN.
# 3. With $H$ heads of width $D/H$, how many attention weights does one sequence of length $T$ have?
#    (a) $H\,T^2$; (b) $T^2$; (c) $H\,T$.
#
# Answer with the letters, e.g. `{"1": "a", "2": "a", "3": "a"}`.

# %%
answers = {"1": None, "2": None, "3": None}  # your answers here

# %%
check_quiz(answers)

# %% [markdown]
# ## Reflection
# 1. If every item vector had the same length, which key would each query attend to most in seed attention? Why?
# 2. A causal recommender predicts the item at position $t+1$ from positions $\le t$. What would the loss
#    look like during training if you forgot the causal mask — and would the model be any good?
# 3. Why is it enough to mask *keys* (columns) for padding, and harmless to leave padded *query* rows?
#
# ## Summary
# - Attention is $\operatorname{softmax}(QK^\top/\sqrt{d})V$: every position takes a weighted average of the
#   values, weighted by query–key similarity. With $Q=K=V=X$ it is the parameter-free seed formula.
# - $\sqrt d$ keeps the scores at unit variance so that the softmax does not saturate.
# - Masks replace scores before the softmax: causal (no future) and key padding. A finite
#   $-10^9$ avoids NaN on fully masked rows.
# - Heads are slices of the model width, attended separately, then concatenated and projected.
# - **Yours from now on:** `softmax`, `attention`, `causal_mask`, `padding_mask`, `split_heads`,
#   `merge_heads`, `multi_head_attention` — lessons 8 and 13 build their transformer blocks on them.
#
# **Next:** lesson 6 opens the black box of `.backward()` — how minishop computes the gradient of all this.
