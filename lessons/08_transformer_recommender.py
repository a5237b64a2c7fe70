# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 8 — The transformer block, and training the recommender on the shop
#
# Lessons 5–7 gave us attention, gradients and optimizers. This lesson puts them together into the model
# at the heart of minishop: a **sequential recommender** that reads a shopper's history — *phone, phone
# case, charger, …* — the way a language model reads a sentence, and predicts the next item. We assemble one
# transformer block from its parts, turn shopping histories into training examples, write down the two
# losses people train such models with, then train a small model on the bundled shop and watch its loss and
# its ranking quality (NDCG@10) over the epochs. We finish with a recommendation and its reason:
# *"because you bought …"*.
#
# **Learning goals.** After this lesson you can
# 1. write LayerNorm and assemble a transformer block (attention, feed-forward, residuals, LayerNorm) in
#    both the pre-LN and the post-LN arrangement, and check it against `minishop.nn.TransformerBlock`;
# 2. turn a shopper's history into left-padded inputs and next-item targets;
# 3. explain the SASRec model: item + position embeddings, causal attention, tied output scores;
# 4. compute the two training losses — BCE with one sampled negative and full softmax cross-entropy — by
#    hand, and predict their value before training;
# 5. train the recommender with minishop's shared training loop and plot its metrics log;
# 6. produce a recommendation with a "because you bought …" explanation, and say what it does not prove;
# 7. write the recommender yourself — a block on Tensors, the SASRec forward pass with tied scores, and a
#    plain training loop — so that lesson 13 trains *your* model.
#
# **Prerequisites.** Lesson 2 (`minishop.data.prepare`, leave-one-out splits), lesson 5 (multi-head
# attention, causal and padding masks), lessons 6–7 (backpropagation, Adam). NumPy; the softmax and the
# logarithm.
#
# **Study time:** about 3 hours (the notebook itself runs in well under two minutes).
#
# **Your code, later:** your `layer_norm`, `pre_ln_block`, `sasrec_scores` and `train_loop` (with lesson 7's
# `adam_step` and lesson 5's `multi_head_attention`) are the model lesson 13 trains and evaluates, once they pass.

# %%
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy loads: our matrices are tiny, and one BLAS
# thread is faster than two that wait for each other (a lot faster on a busy machine)

import math
import pathlib
import tempfile

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import minishop
import minishop.nn as nn
import minishop.functional as F
from minishop import Tensor
from minishop.data import prepare
from minishop.recsys import SequentialRecommender, bce_loss, cross_entropy_loss, make_batch
from minishop.nn.attention import attention_mask
from checks import hint, use, used  # noqa: F401  (hint(name, 2) shows the next hint of an exercise)
from checks.lesson05 import mha_params
from checks.lesson07 import library_adam_step
from checks.lesson08 import (attention_piece, check_initial_ce, check_inputs_and_targets, check_layer_norm,
                             check_post_ln_block, check_pre_ln_block, check_quiz, check_sasrec_scores,
                             check_softmax_cross_entropy, check_train_loop, library_layer_norm,
                             library_sasrec_scores, library_train_loop)

minishop.manual_seed(0)  # minishop's generator: parameter initialisation, dropout
rng = np.random.default_rng(0)  # ours, for the NumPy experiments
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. The transformer block, part by part
#
# A transformer is a stack of identical **blocks**. Each block does two things to the sequence of vectors
# $x_1, \dots, x_T$ (one per item, width $D$):
#
# 1. **attention** lets every position gather information from the (earlier) positions — lesson 5;
# 2. a **feed-forward** network transforms every position on its own, the same MLP at each position:
#    $\operatorname{FFN}(x) = \operatorname{GELU}(xW_1 + b_1)\,W_2 + b_2$, widening $D \to d_{ff} \to D$.
#
# Two more ingredients make deep stacks trainable:
#
# - a **residual connection** adds each part's output to its input, $x \leftarrow x + f(x)$, so the block
#   only has to learn a *correction* and gradients flow straight through the "+" to earlier layers;
# - **LayerNorm** rescales each position's vector to mean 0 and variance 1, then lets the model choose a
#   scale $\gamma$ and shift $\beta$ (both of width $D$):
#
# $$\operatorname{LN}(x) = \gamma \odot \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta,\qquad
# \mu = \frac1D\sum_{i=1}^D x_i,\quad \sigma^2 = \frac1D\sum_{i=1}^D (x_i - \mu)^2 .$$
#
# Note that $\mu$ and $\sigma^2$ are computed **per position** over the $D$ features (not over the batch,
# as BatchNorm does), so a position's output never depends on which other histories share its batch.
#
# ### Exercise 1 — LayerNorm, for arrays and Tensors
# Write `layer_norm(x, gamma, beta, eps=1e-5)` for `x` of shape `(..., D)` and `gamma`, `beta` of shape
# `(D,)`: normalise over the **last** axis with the *biased* variance (divide by $D$), then scale and shift.
# Use only operations that NumPy arrays and minishop Tensors share — `.mean(axis=-1, keepdims=True)`,
# `+ - * /` and `** 0.5` (no `np.` functions, no `.var`) — so the same function also runs inside a model
# that trains (section 2 and lesson 13). It is checked against `minishop.functional.layer_norm`, on arrays
# and on Tensors (values and gradients).

# %%
def layer_norm(x, gamma, beta, eps=1e-5):
    """LayerNorm over the last axis of x (..., D), then scale by gamma (D,) and shift by beta (D,)."""
    return None  # your code here


# %%
check_layer_norm(layer_norm)  # arrays and Tensors, against minishop.functional.layer_norm

# %%
layer_norm = use("layer_norm", library_layer_norm, yours=layer_norm)  # yours from here on, once it passed

# %% [markdown]
# The other parts of a block, each in a few lines of NumPy (the first is a NumPy LayerNorm that reads its
# γ and β from a `minishop.nn.LayerNorm`). The parts read their weights from a `minishop.nn.TransformerBlock`, so we can compare the assembled
# block with minishop's. For the attention we call the block's own `MultiHeadAttention` (lesson 5 rebuilt
# it in NumPy; no need to do it twice).

# %%
def layer_norm_numpy(x, norm):  # x (..., D); norm: a minishop nn.LayerNorm (its weight is γ, its bias β)
    mu = x.mean(axis=-1, keepdims=True)  # (..., 1)
    var = x.var(axis=-1, keepdims=True)  # (..., 1), biased: divides by D
    return (x - mu) / np.sqrt(var + norm.eps) * norm.weight.numpy() + norm.bias.numpy()


def gelu_numpy(x):  # the tanh approximation minishop (and GPT-2) use
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def feed_forward_numpy(x, block):  # x (..., D) -> (..., D), the same MLP at every position
    ff = block.feed_forward
    hidden = gelu_numpy(x @ ff.fc1.weight.numpy() + ff.fc1.bias.numpy())  # (..., d_ff)
    return hidden @ ff.fc2.weight.numpy() + ff.fc2.bias.numpy()  # (..., D)


def attention_numpy(x, block):  # x (B, T, D) -> (B, T, D), the block's causal multi-head attention
    return block.attention(Tensor(x)).numpy()


# %% [markdown]
# ### Pre-LN and post-LN
#
# Where the LayerNorm goes is the one design choice of a block. The original transformer (Vaswani et al.,
# 2017) normalises **after** adding the residual — *post-LN*. Most models since GPT-2 normalise the input
# of each part **before** it — *pre-LN* — and add one last LayerNorm after the final block:
#
# $$\text{pre-LN:}\quad x \leftarrow x + \operatorname{Attn}(\operatorname{LN}_1(x)),\qquad x \leftarrow x + \operatorname{FFN}(\operatorname{LN}_2(x))$$
#
# $$\text{post-LN:}\quad x \leftarrow \operatorname{LN}_1(x + \operatorname{Attn}(x)),\qquad x \leftarrow \operatorname{LN}_2(x + \operatorname{FFN}(x))$$
#
# In pre-LN the residual path from the input to the output is a chain of pure additions: nothing ever
# rescales it, so the gradient reaches the first block undamped. That is why pre-LN trains stably without a
# careful learning-rate warm-up (Xiong et al., 2020), and it is minishop's default (`norm_first=True`).
# The two arrangements side by side (data flows upwards; the red lines are the residual connections):

# %%
def draw_stack(ax, boxes, skips=(), side=None, title=""):
    """Boxes stacked bottom to top with arrows between them.

    skips: (y_from, y_to) residual lines from the arrow at height y_from to the "+" box at y_to.
    side: (label, [box indices]) a box on the left whose arrows reach those boxes (a shared table).
    """
    for y, (label, color) in enumerate(boxes):
        ax.text(0, y, label, ha="center", va="center", fontsize=9,
                bbox=dict(boxstyle="round,pad=0.35", facecolor=color, edgecolor="gray"))
        if y:
            ax.annotate("", xy=(0, y - 0.28), xytext=(0, y - 0.72), arrowprops=dict(arrowstyle="->"))
    for y_from, y_to in skips:
        ax.plot([0, 0.9, 0.9], [y_from, y_from, y_to], color="tab:red", lw=1.5)
        ax.annotate("", xy=(0.25, y_to), xytext=(0.9, y_to), arrowprops=dict(arrowstyle="->", color="tab:red"))
    if side is not None:
        label, targets = side
        ax.text(-2.3, np.mean(targets), label, ha="center", va="center", fontsize=9,
                bbox=dict(boxstyle="round,pad=0.35", facecolor="wheat", edgecolor="gray"))
        for y in targets:
            ax.annotate("", xy=(-0.6, y), xytext=(-1.85, np.mean(targets)),
                        arrowprops=dict(arrowstyle="->", color="tab:brown"))
    ax.set_xlim(-3.0 if side else -2.3, 1.3)
    ax.set_ylim(-0.6, len(boxes) - 0.4)
    ax.set_title(title, fontsize=10)
    ax.axis("off")


norm, attn, ffn, add, io = "lightyellow", "lightblue", "lightgreen", "mistyrose", "white"
fig, (left, right) = plt.subplots(1, 2, figsize=(9, 5))
draw_stack(left, [("x (B, T, D)", io), ("LayerNorm₁", norm), ("causal attention", attn), ("+", add),
                  ("LayerNorm₂", norm), ("feed-forward", ffn), ("+", add), ("output → next block", io)],
           skips=[(0.5, 3), (3.5, 6)], title="pre-LN (minishop's default)")
draw_stack(right, [("x (B, T, D)", io), ("causal attention", attn), ("+", add), ("LayerNorm₁", norm),
                   ("feed-forward", ffn), ("+", add), ("LayerNorm₂", norm), ("output → next block", io)],
           skips=[(0.5, 2), (3.5, 5)], title="post-LN (the original transformer)")
plt.show()

# %% [markdown]
# In the pre-LN picture the red path from the input to the output passes only through "+" boxes; in the
# post-LN picture it goes through both LayerNorms.
#
# We assemble a pre-LN block from the parts and compare it with minishop's. (Dropout is 0 here; during
# training it is applied to each part's output before the "+".)

# %%
B, T, D, H = 2, 5, 8, 2  # batch, positions, width, heads: all different, so a mixed-up axis shows
x = rng.standard_normal((B, T, D)).astype(np.float32)  # (B, T, D)

pre_block = nn.TransformerBlock(D, n_heads=H, d_ff=4 * D, causal=True, norm_first=True)
y = x + attention_numpy(layer_norm_numpy(x, pre_block.norm1), pre_block)  # (B, T, D) residual 1
y = y + feed_forward_numpy(layer_norm_numpy(y, pre_block.norm2), pre_block)  # (B, T, D) residual 2
theirs = pre_block(Tensor(x)).numpy()
print("pre-LN block, ours vs minishop: max difference", np.abs(y - theirs).max())

# %% [markdown]
# ### Exercise 2 — the post-LN block
# Write `post_ln_block(x, block)` computing the **post-LN** block for `x` of shape `(B, T, D)` using
# `layer_norm_numpy(z, block.norm1)`, `attention_numpy(z, block)`, `feed_forward_numpy(z, block)` and
# `block.norm2`. It is checked against `minishop.nn.TransformerBlock(..., norm_first=False)`.

# %%
def post_ln_block(x, block):
    """x (B, T, D) -> (B, T, D): LN1(x + Attn(x)), then LN2(x + FFN(x))."""
    return None  # your code here


# %%
check_post_ln_block(post_ln_block)  # against minishop.nn.TransformerBlock(..., norm_first=False)

# %% [markdown]
# A picture of the difference: stack 12 freshly initialised blocks of each kind and follow the size of
# the residual stream (the standard deviation of $x$) through them. Post-LN pins it to 1 after every block;
# pre-LN lets it grow, because each block *adds* to it — and nothing scales the identity path down. That is
# also why a pre-LN stack needs its final LayerNorm.

# %%
def residual_stream_std(norm_first, n_blocks=12, width=16):
    minishop.manual_seed(1)
    blocks = [nn.TransformerBlock(width, 2, 4 * width, causal=True, norm_first=norm_first) for _ in range(n_blocks)]
    h = Tensor(np.random.default_rng(1).standard_normal((4, 10, width)).astype(np.float32))  # (B, T, D)
    stds = [float(h.numpy().std())]
    with minishop.no_grad():
        for block in blocks:
            h = block(h)
            stds.append(float(h.numpy().std()))
    return stds


fig, ax = plt.subplots(figsize=(6, 3.2))
ax.plot(residual_stream_std(True), "o-", label="pre-LN: x + f(LN(x))")
ax.plot(residual_stream_std(False), "s-", label="post-LN: LN(x + f(x))")
ax.set_xlabel("after block")
ax.set_ylabel("std of the residual stream")
ax.set_ylim(0, None)
ax.legend()
ax.set_title("Pre-LN adds to the stream, post-LN renormalises it")
plt.show()

# %% [markdown]
# ### Your block, on Tensors
#
# The NumPy block above can only be *evaluated*. To train, a block must be built from operations that
# record their gradients: minishop Tensors. Your `layer_norm` already works on Tensors, and so does lesson
# 5's `multi_head_attention(x, params, n_heads, mask)` — yours if it passed there (it projects to queries,
# keys and values, splits the heads, attends with your `attention` and `softmax`, merges and projects back),
# otherwise the library's. `self_attention` gives it a block's own weights (`mha_params`) and the causal and
# padding mask. The feed-forward runs lesson 6's `gelu` — the op you wrote with its own backward, if it
# passed there — between the block's two linear layers.

# %%
multi_head_attention = attention_piece()  # lesson 5's multi_head_attention: yours where it passed


def self_attention(h, mha, padding):  # h (B, T, D); mha: a block's MultiHeadAttention; padding (B, T) bool
    T = h.shape[1]
    mask = attention_mask(T, T, causal=True, key_padding_mask=padding, score_ndim=3)  # (B, T, T): True = hidden
    return multi_head_attention(h, mha_params(mha), mha.n_heads, mask=mask)  # (B, T, D)


gelu = use("gelu", F.gelu)  # lesson 6's GELU op with its hand-written backward: yours where it passed


def feed_forward(h, ff):  # h (B, T, D); ff: a block's FeedForward, fc1: D -> d_ff, fc2: d_ff -> D
    return gelu(h @ ff.fc1.weight + ff.fc1.bias) @ ff.fc2.weight + ff.fc2.bias  # (B, T, D)


# %% [markdown]
# ### Exercise 3 — the pre-LN block on Tensors
# Write `pre_ln_block(x, block, padding)` for a Tensor `x` of shape `(B, T, D)`, a `minishop.nn.TransformerBlock`
# `block` (for its weights) and a bool `padding` of shape `(B, T)`: the two pre-LN residual steps, with
# your `layer_norm` (γ and β are `block.norm1.weight`, `block.norm1.bias`, then `norm2`),
# `self_attention(h, block.attention, padding)` and `feed_forward(h, block.feed_forward)`. Return a Tensor.
# It is checked against the library's block (same weights), and the gradient must reach the block's weights.

# %%
def pre_ln_block(x, block, padding):
    """x (B, T, D) Tensor -> (B, T, D): x + Attn(LN1(x)), then + FFN(LN2(x))."""
    return None  # your code here


# %%
check_pre_ln_block(pre_ln_block)  # against minishop.nn.TransformerBlock(norm_first=True), causal

# %% [markdown]
# ## 2. A shopper's history is a sentence
#
# | language model | sequential recommender |
# |---|---|
# | vocabulary of words | catalogue of items (ids $1..|I|$, 0 = padding) |
# | a sentence | one shopper's items in time order |
# | predict the next word | predict the next item |
#
# `minishop.data.prepare()` (lesson 2) cleans the bundled shop and splits every history leave-one-out: the
# last item is the **test** target, the one before it the **validation** target, the rest is for training.

# %%
prepared = prepare()  # the bundled shop: load, clean, 3-core, sequences, leave-one-out split
split = prepared.split
n_items = prepared.n_items
print(prepared)
user = 7
print(f"user {prepared.user_ids[user]}'s training history (oldest first):")
for item in split.train[user][:8]:
    print(f"  {item:4d}  {prepared.item_titles[item]}")
print(f"  ... {len(split.train[user])} items; validation target {split.valid[user]}, test target {split.test[user]}")

# %% [markdown]
# A history $s_1, s_2, \dots, s_L$ teaches the model $L-1$ predictions **at once**: after reading
# $s_1..s_t$ it should score $s_{t+1}$ high. The causal mask (lesson 5) makes this legal — position $t$ cannot
# see $s_{t+1}$ — so inputs and targets are the same history shifted by one:
#
# $$\text{items} = (s_1, s_2, \dots, s_{L-1}),\qquad \text{targets} = (s_2, s_3, \dots, s_L).$$
#
# Histories have different lengths. To stack them into one `(B, T)` batch we keep the last $T+1$ items of
# each and **left**-pad the short ones with 0, so the newest item is always in the last column. A position
# whose *input* is padding has nothing to predict from, so its target is 0 too ("no target here");
# `make_batch` lists the real positions in `positions` and the losses use only those.

# %%
histories = [[11, 12, 13, 14, 15, 16, 17, 18], [21, 22, 23], [31, 32, 33, 34, 35]]
demo = make_batch(histories, n_items, max_len=6, objective="ce", rng=rng)
print("items:\n", demo.items, "\ntargets:\n", demo.targets)
print("real positions (row * T + column):", demo.positions)

# %% [markdown]
# ### Exercise 4 — inputs and targets of one history
# Write `inputs_and_targets(history, T)` returning an int array of shape `(2, T)`: row 0 the left-padded
# input items, row 1 the targets, exactly as `make_batch` builds them in a batch `T` columns wide. Keep only
# the last `T + 1` items; shift by one; pad on the left with 0; and set a target to 0 wherever its input
# is 0.

# %%
def inputs_and_targets(history, T):
    """(2, T) int array: [left-padded inputs, targets] of one history."""
    return None  # your code here


# %%
check_inputs_and_targets(inputs_and_targets)  # against a row of minishop.recsys.make_batch

# %% [markdown]
# ## 3. The SASRec model
#
# `minishop.recsys.SequentialRecommender` follows SASRec (Kang & McAuley, 2018). With $E$ the item
# embedding table ($(|I|+1) \times D$, row 0 for padding) and $P$ a learned table of $T_{\max}$ position
# vectors:
#
# $$h^{(0)}_t = \sqrt{D}\, E_{s_t} + P_t,\qquad h^{(\ell)} = \operatorname{Block}_\ell\big(h^{(\ell-1)}\big),\qquad
# H = \operatorname{LN}\big(h^{(L)}\big),\qquad \operatorname{score}(t, i) = H_t \cdot E_i .$$
#
# - **Causal attention** with a **key-padding mask**: position $t$ sees items $s_1..s_t$, never padding.
# - **Positions counted from the right**: the newest item always has position $T_{\max}-1$, so a history
#   gives the same output whatever the padding in front of it.
# - **Tied output scores**: the same table $E$ embeds the input items and scores the candidates. An item
#   learns one vector, used both to *describe* the history and to *be recommended*; fewer parameters, and
#   rare items get gradient from both roles.
# - **Dropout where SASRec's code puts it**: on the input embeddings, on the attention weights and inside
#   the feed-forward, but not on the attention's output (`TransformerBlock(..., drop_attention_output=False)`).
#   At the paper's dropout of 0.5 on Amazon Games, dropping that output as well slowed learning noticeably.
#
# The whole model, from a history at the bottom to the scores at the top. One table $E$ (left) feeds both
# the input lookup and the output scores: that is what *tied* means.

# %%
fig, ax = plt.subplots(figsize=(7.5, 5.5))
draw_stack(ax, [("history (B, T) ids", "white"), ("√D · E[s_t] + P[t]", "lightyellow"),
                ("block 1 (causal)", "lightblue"), ("blocks 2 … L", "lightblue"),
                ("final LayerNorm → H", "lightyellow"), ("scores H_t · E_i", "mistyrose")],
           side=("item table E\n(|I|+1, D)", [1, 5]), title="SASRec with tied output scores")
plt.show()

# %% [markdown]
# A tiny untrained model shows the first three properties:

# %%
minishop.manual_seed(0)
tiny = SequentialRecommender(n_items, d_model=16, n_blocks=1, n_heads=1, max_len=20, dropout=0.0)
history = [5, 17, 42, 8]
H_short = tiny(np.array([history])).numpy()  # (1, 4, 16)
H_padded = tiny(np.array([[0, 0, 0] + history])).numpy()  # (1, 7, 16)
print("padding changes nothing:      ", np.allclose(H_short[0], H_padded[0, 3:], atol=1e-5))
H_changed = tiny(np.array([history[:-1] + [99]])).numpy()  # another newest item
print("the past ignores the future:  ", np.allclose(H_short[0, :-1], H_changed[0, :-1], atol=1e-6))
E = tiny.item_embedding.weight.numpy()  # (n_items + 1, D)
scores = H_short[0, -1] @ E.T  # (n_items + 1,) score of every item after the whole history
print("scores are H_t · E_i (tied):  ", np.allclose(scores[1:], tiny.score([history])[0, 1:], atol=1e-5))

# %% [markdown]
# ### Exercise 5 — the SASRec forward pass, with tied scores
# Write `sasrec_scores(model, items)`: for a `SequentialRecommender` `model` (for its weights) and an int
# array `items` of shape `(B, T)` (left-padded, `T <= model.max_len`), return the Tensor of scores
# `(B, T, n_items + 1)` of every item after every position, following the formulas above:
#
# - `model.item_embedding(items)` times $\sqrt{D}$ (`model.d_model`), plus `model.position_embedding(positions)`
#   with the positions counted from the right end of the `model.max_len` window;
# - every block of `model.blocks` through **your** `pre_ln_block` (padding = `items == 0`);
# - your `layer_norm` with `model.final_norm`'s weights;
# - the scores against the same table, `model.item_embedding.weight` (transpose it with `.transpose()`).
#
# The check gives your function and `SequentialRecommender` the same weights and compares the scores at
# every real (non-padding) position.

# %%
def sasrec_scores(model, items):
    """items (B, T) int, 0 = padding on the left -> scores (B, T, n_items + 1) Tensor."""
    return None  # your code here


# %%
check_sasrec_scores(sasrec_scores)  # same weights -> same scores as minishop.recsys.SequentialRecommender

# %% [markdown]
# ## 4. Two ways to train it
#
# Write $s_{t,i} = H_t \cdot E_i$ for the score of item $i$ after position $t$, $i^+_t$ for the true next
# item and $N$ for the number of real positions in the batch.
#
# **Binary cross-entropy with one sampled negative** (SASRec's loss). For each position draw one item
# $i^-_t$ the user never touched, and treat the task as two yes/no questions — "is $i^+_t$ next?" (yes) and
# "is $i^-_t$ next?" (no) — with $\sigma(z) = 1/(1+e^{-z})$:
#
# $$\mathcal L_{\text{BCE}} = -\frac1N \sum_t \Big[\log \sigma\big(s_{t,i^+_t}\big) + \log\big(1 - \sigma(s_{t,i^-_t})\big)\Big].$$
#
# **Full softmax cross-entropy.** Let all $|I|$ items compete for the next slot:
#
# $$\mathcal L_{\text{CE}} = -\frac1N \sum_t \log \frac{\exp s_{t,i^+_t}}{\sum_{j=1}^{|I|} \exp s_{t,j}} .$$
#
# Their gradients with respect to the scores show the difference. For CE,
# $\partial \mathcal L / \partial s_{t,j} = \big(p_{t,j} - [j = i^+_t]\big)/N$ with $p_t = \operatorname{softmax}(s_t)$:
# **every** item is pushed down in proportion to how much probability it wrongly takes, so the hardest
# competitors get the strongest push. BCE touches only two items per position, and a uniformly drawn
# negative is usually an easy one, so most of its updates teach little. Full CE is known to train better
# recommenders (Klenitskiy & Vasilev, 2023; Petrov & Macdonald's gSASRec, 2023); its cost is a
# $(N \times |I|)$ score matrix, cheap here (368 items), expensive with millions. (minishop also has a
# *sampled softmax*, CE over the target and $K$ shared random negatives, for large catalogues.)
#
# Let us compute both on one batch of real training histories and compare with minishop.

# %%
users = sorted(split.train)[:64]
batch = make_batch([split.train[u] for u in users], n_items, max_len=20, objective="bce", rng=rng)
H_batch = tiny(batch.items).numpy()  # (B, T, D)
h = H_batch.reshape(-1, H_batch.shape[-1])[batch.positions]  # (N, D): the real positions only
positives = batch.targets.reshape(-1)[batch.positions]  # (N,) item ids 1..n_items
logits = h @ E[1:].T  # (N, n_items): column c is item c + 1 (padding left out)
print(f"batch items {batch.items.shape}, real positions N = {len(batch.positions)}, logits {logits.shape}")


def minus_log_sigmoid(z):  # -log σ(z) = log(1 + e^{-z}), computed without overflow
    return np.logaddexp(0.0, -z)


s_pos = (h * E[positives]).sum(axis=-1)  # (N,)
s_neg = (h * E[batch.negatives]).sum(axis=-1)  # (N,) one sampled negative per position
bce_ours = minus_log_sigmoid(s_pos).mean() + minus_log_sigmoid(-s_neg).mean()  # log(1 - σ(z)) = log σ(-z)
print(f"BCE: ours {bce_ours:.6f}   minishop {bce_loss(tiny, batch).item():.6f}")

# %% [markdown]
# ### Exercise 6 — full softmax cross-entropy by hand
# Write `softmax_cross_entropy(logits, columns)`: the mean over rows of $-\log \operatorname{softmax}(\text{row})[\text{column}]$,
# for `logits` of shape `(N, C)` and integer `columns` of shape `(N,)`. Make it stable: use
# $\log\sum_j e^{z_j} = m + \log\sum_j e^{z_j - m}$ with $m = \max_j z_j$. The check compares it with
# `minishop.functional.cross_entropy` on random scores and on rows with scores near ±1000. (On our batch,
# `softmax_cross_entropy(logits, positives - 1)` equals minishop's `cross_entropy_loss(tiny, batch)`: the
# target of row $n$ is column `positives[n] - 1`.)

# %%
def softmax_cross_entropy(logits, columns):
    """Mean over rows of -log softmax(logits[n])[columns[n]]; logits (N, C), columns (N,) ints."""
    return None  # your code here


# %%
check_softmax_cross_entropy(softmax_cross_entropy)  # against minishop.functional.cross_entropy

# %% [markdown]
# ### Exercise 7 — the loss before any training
# An untrained model's scores are all close to 0 (the embeddings start tiny: standard deviation 0.02).
# What value of $\mathcal L_{\text{CE}}$ do you expect then, for this catalogue of `n_items` items? Write it
# as a formula in `n_items` (not by calling a loss). The check compares it with the loss of our untrained
# `tiny` model. (Bonus: what is $\mathcal L_{\text{BCE}}$ of an untrained model? Compare with the BCE above.)

# %%
expected_initial_ce = None  # your code here

# %%
check_initial_ce(expected_initial_ce, cross_entropy_loss(tiny, batch).item())  # the untrained model's loss

# %% [markdown]
# Knowing the loss at step 0 is a cheap sanity check for any training run: a first loss far from it means
# a bug (a wrong mask, targets off by one, a missing scale) before you have spent a single epoch.
#
# ## 5. Your training loop
#
# Training is four lines repeated: build a batch, compute the loss, compute the gradients, take a step.
#
# ### Exercise 8 — a plain training loop
# Write `train_loop(model, score_fn, step_fn, histories, epochs, lr, batch_size=128, seed=0)` returning the
# list of the loss (a float) of every step:
#
# 1. `rng = np.random.default_rng(seed)`; one `m` and one `v` (zeros like `p.data`) per parameter of
#    `model.parameters()`, and a step counter `t = 0`;
# 2. each epoch: `order = rng.permutation(len(histories))`, then batches of `batch_size` histories in that
#    order, each built by `make_batch(chosen, model.n_items, model.max_len, "ce", rng)`;
# 3. for a batch: `scores = score_fn(model, batch.items)` (B, T, n_items + 1); keep the real positions,
#    `scores.reshape(-1, n_items + 1)[batch.positions]`, and take `F.cross_entropy` against
#    `batch.targets.reshape(-1)[batch.positions]`;
# 4. clear every parameter's gradient, `loss.backward()`, `t += 1`, and update every parameter with
#    `p.data, m[i], v[i] = step_fn(p.data, p.grad, m[i], v[i], t, lr)` — lesson 7's `adam_step` signature.
#
# The check runs your loop and the same loop with `minishop.optim.Adam` on a small model, two epochs:
# the loss of every step must agree (and it must go down).

# %%
def train_loop(model, score_fn, step_fn, histories, epochs, lr, batch_size=128, seed=0):
    """Train `model` in place with full softmax CE; return the loss of every step."""
    return None  # your code here


# %%
check_train_loop(train_loop)  # the same losses as the loop with minishop.optim.Adam

# %% [markdown]
# Now your pieces train a recommender on the shop: your forward pass and block (where they passed), lesson
# 7's `adam_step` (yours where it passed) and your loop. Three epochs of a small model:

# %%
my_scores = use("sasrec_scores", library_sasrec_scores, yours=sasrec_scores)
my_step = use("adam_step", library_adam_step)
my_loop = use("train_loop", library_train_loop, yours=train_loop)
minishop.manual_seed(0)
my_model = SequentialRecommender(n_items, d_model=32, n_blocks=2, n_heads=1, max_len=20, dropout=0.0)
my_losses = my_loop(my_model, my_scores, my_step, [split.train[u] for u in sorted(split.train)], 3, 5e-3)
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(my_losses, label="your loop")
ax.axhline(math.log(n_items), color="gray", ls=":", label="ln |I| (untrained)")
ax.set_xlabel("step")
ax.set_ylabel("training loss (full CE)")
ax.set_title(f"{len(my_losses)} steps: loss {my_losses[0]:.2f} -> {my_losses[-1]:.2f}")
ax.legend()
plt.show()

# %% [markdown]
# ## 6. Training with the shared loop
#
# Every minishop model — this recommender, the text language model, the review classifier — trains with
# one loop, `minishop.train.train`. A task hands it three things:
#
# - `batches(rng)`: one epoch of shuffled batches (here: `make_batch` over all training histories);
# - `loss_fn(model, batch)`: a scalar Tensor (`cross_entropy_loss` or `bce_loss`);
# - `evaluate(model)`: validation metrics; here full-ranking NDCG@10 on every user's validation item
#   (lesson 9 explains the metric; for now: higher is better, 1 means the target is always ranked first).
#
# The loop does the rest: Adam with warm-up, gradient clipping, validation every `eval_every` epochs, the
# best checkpoint, and a **metrics log** `metrics.jsonl` with one JSON line per epoch. `fit_recommender` wires
# the three pieces for the recommender; we train a *small* model (width 32, 2 blocks, the last 20 items of
# each history) with each loss for 10 epochs — enough to see the shape of the curves in a few seconds each.

# %%
from minishop.recsys.training import RecommenderConfig, fit_recommender

workdir = tempfile.TemporaryDirectory(prefix="minishop_lesson08_")  # deleted when the kernel stops
runs = pathlib.Path(workdir.name)  # run folders: checkpoints + metrics log
models, results = {}, {}
for loss in ("ce", "bce"):
    config = RecommenderConfig(d_model=32, n_blocks=2, n_heads=1, max_len=20, dropout=0.2, loss=loss,
                               epochs=10, lr=5e-3, warmup_steps=20, eval_every=1, patience=0, seed=0,
                               progress=False)
    models[loss], results[loss] = fit_recommender(prepared, config, out_dir=runs / loss)
    print(f"{loss}: best validation NDCG@10 {results[loss].best_metric:.4f} at epoch {results[loss].best_epoch}")
print("run folder:", sorted(path.name for path in (runs / "ce").iterdir()))

# %% [markdown]
# The metrics log is plain JSON Lines, so pandas reads it in one call:

# %%
logs = {loss: pd.read_json(runs / loss / "metrics.jsonl", lines=True) for loss in ("ce", "bce")}
print(logs["ce"][["epoch", "train_loss", "valid_NDCG@10", "lr", "steps_per_s"]].round(4).to_string(index=False))

# %% [markdown]
# For scale, two of lesson 9's baselines on the same validation items: **most popular** (the same list for
# everyone) and a **Markov chain** (what usually follows the last item):

# %%
from minishop.eval import MarkovRecommender, PopularRecommender, evaluate

baseline_ndcg = {
    name: evaluate(recommender.fit(split.train, n_items), split, stage="valid", ks=(10,), progress=False)["NDCG@10"]
    for name, recommender in [("most popular", PopularRecommender()), ("Markov", MarkovRecommender())]
}
print({name: round(value, 4) for name, value in baseline_ndcg.items()})

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
for loss, label in [("ce", "full softmax CE"), ("bce", "BCE, 1 negative")]:
    log = logs[loss]
    left.plot(log["epoch"], log["train_loss"], "o-", label=label)
    right.plot(log["epoch"], log["valid_NDCG@10"], "o-", label=label)
left.set_xlabel("epoch")
left.set_ylabel("training loss")
left.set_title("Loss (the two losses are on different scales)")
left.legend()
for (name, value), style in zip(baseline_ndcg.items(), [":", "--"]):
    right.axhline(value, color="gray", ls=style, label=name)
right.set_xlabel("epoch")
right.set_ylabel("validation NDCG@10 (full ranking)")
right.set_ylim(0, None)
right.set_title("Ranking quality")
right.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# What the curves say, printed from this run rather than written down (change a setting above and these
# lines change with it):

# %%
ce_log, bce_log, markov_ndcg = logs["ce"], logs["bce"], baseline_ndcg["Markov"]
print(f"first-epoch mean loss: CE {ce_log['train_loss'][0]:.3f} (ln |I| = {math.log(n_items):.3f}), "
      f"BCE {bce_log['train_loss'][0]:.3f} (2 ln 2 = {2 * math.log(2):.3f})")
ahead = int((ce_log["valid_NDCG@10"] > bce_log["valid_NDCG@10"]).sum())
print(f"CE ahead of BCE on validation NDCG@10 at {ahead} of {len(ce_log)} epochs")
for loss, log in logs.items():
    above = log["epoch"][log["valid_NDCG@10"] > markov_ndcg]
    print(f"{loss}: above the Markov chain ({markov_ndcg:.4f}) " + (f"from epoch {above.iloc[0]}" if len(above) else "at no epoch"))

# %% [markdown]
# Read the curves:
#
# - Both losses start near where Exercise 7 predicts ($\ln |I|$ for CE, $2\ln 2$ for BCE; the printed value
#   is the mean over the first epoch, so already a little lower) and fall. Loss values of *different*
#   objectives are not comparable; NDCG is.
# - With the same model, data and steps, full CE is ahead of BCE on NDCG — the gradient argument of section 4
#   at work.
# - On this shop what you look at next depends strongly on what you just looked at — exactly what a Markov
#   chain captures — so it is a strong baseline, and "beats Markov" is the bar to clear. What the last item
#   cannot tell, and the whole history can, is *which* items of that category this shopper goes for: every
#   shopper has favourite brands and a price level that show in all their sessions (data/README.md).
#   Lesson 9 compares all of them properly, on the test items, under two protocols.
#
# ## 7. A recommendation, with a reason
#
# `minishop.recsys.explain` scores every item after the user's **whole** history, removes what they already
# have, and takes the top $k$. For the reason, it reads the attention weights of the newest position in the
# last block: the past items the model leaned on most for this prediction.

# %%
from minishop.recsys.explain import format_recommendations, recommend_for_user

model = models["ce"]
recommendation = recommend_for_user(model, prepared, user=prepared.user_ids[user], k=5)
print("\n".join(format_recommendations(recommendation, prepared)))

# %%
items_seen, weights = model.attention_to_history(prepared.sequences[user])  # the last max_len items
shown = slice(-12, None)  # the 12 most recent
labels = [prepared.item_titles[item][:34] for item in items_seen[shown]]
fig, ax = plt.subplots(figsize=(7, 4))
ax.barh(range(len(labels)), weights[shown], color="tab:blue")
ax.set_yticks(range(len(labels)), labels)
ax.invert_yaxis()  # oldest at the top, newest at the bottom
ax.set_xlabel("attention weight of the newest position (last block, mean over heads)")
ax.set_title(f"What the model looked at for user {prepared.user_ids[user]}")
plt.tight_layout()
plt.show()

# %% [markdown]
# Compare the reason with the recommendations: do the most-attended items explain the list? Often they do
# not — the list follows what the shopper looked at last, while the attention rests on items from weeks
# before. So treat "because you bought …" with care. Attention weights say where the last block *looked*, not why the model *decided*: the earlier block has already mixed information between positions, and the feed-forward
# layers and the output scores come after the weights (Jain & Wallace, "Attention is not Explanation",
# 2019). It is a useful hint for a shopper, not a proof — lesson 12 comes back to this.
#
# ## Reflection
# 1. Why is the position table aligned to the **right** end of the window? What would go wrong with
#    positions counted from the left and histories of different lengths?
# 2. With 2 million items, what does one full-CE training step cost compared with BCE, and what would
#    you do about it?
# 3. The causal mask lets one history train $L-1$ predictions at once. What would the training loss do
#    without it — and the validation NDCG?
#
# ## Summary
# - A block is attention + feed-forward, each with a residual connection and a LayerNorm; pre-LN
#   ($x + f(\operatorname{LN}(x))$) keeps a clean residual path and needs a final LayerNorm; post-LN
#   ($\operatorname{LN}(x + f(x))$) is the original.
# - A history is a sentence: inputs and targets are the same left-padded sequence shifted by one, and
#   only the real positions count.
# - SASRec = scaled item embeddings + right-aligned positions, causal blocks, a final LayerNorm, and scores
#   $H_t \cdot E_i$ against the same (tied) embeddings.
# - BCE with one negative pushes two items per position; full CE pushes all of them and trains better.
#   Before training, CE ≈ $\ln |I|$ and BCE ≈ $2\ln 2$.
# - `minishop.train` writes `metrics.jsonl`; plotting it is one `pd.read_json(..., lines=True)` away.
#
# **Next:** lesson 9 asks whether these NDCG numbers mean what they seem to — metrics, baselines, and why
# the number in most papers is inflated.

# %% [markdown]
# ## Quiz
# Answer each question with the letter of one choice, then run the check.
#
# 1. In a pre-LN block the residual path from input to output passes through (a) two LayerNorms, (b) only additions, (c) the feed-forward.
# 2. Histories are padded on the left so that (a) the newest item is always in the last column, (b) padding is cheaper, (c) positions start at 0.
# 3. "Tied" output scores means (a) the scores are rounded, (b) the item table that embeds the inputs also scores the candidates, (c) every block shares its weights.
# 4. Forgetting to clear the gradients before `backward()` makes each step use (a) the current batch's gradient, (b) the sum of all gradients so far, (c) no gradient.

# %%
quiz_answers = {1: None, 2: None, 3: None, 4: None}  # your answers: "a", "b" or "c"

# %%
check_quiz(quiz_answers)
