# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 4 — Embeddings: items and words as vectors
#
# After lesson 3 every product and every word piece is an integer id. An integer says nothing about
# *which* products are alike: id 17 is no closer to id 18 than to id 300. A model needs each id as a
# **vector** whose geometry means something — a phone case near its phone, coffee beans near the coffee
# maker. Those vectors are **embeddings**, the first layer of every recommender and language model in this
# course. Here we see what an embedding layer computes (a row lookup, which is a matrix product with a
# one-hot vector), how it learns (its gradient is a scatter-add), and what a trained one looks like on the
# bundled shop.
#
# **Learning goals.** After this lesson you can
# 1. explain one-hot vectors and why a dense embedding is better, and show that a lookup $E[i]$ equals $\mathrm{onehot}(i)\,E$;
# 2. derive the gradient of a lookup — a scatter-add where repeated ids add up — and check it against `minishop.nn.Embedding`;
# 3. measure cosine similarity and find nearest neighbours;
# 4. train item embeddings on shopping histories (item2vec) with `minishop`, project them to 2-D with PCA (an SVD in NumPy), and read the picture;
# 5. say how word (BPE token) embeddings are the same layer.
#
# **Prerequisites.** Lessons 2 and 3 (prepared histories, BPE tokens); NumPy indexing and matrix products;
# the idea of a gradient (lesson 6 goes deeper, lesson 7 covers Adam).
#
# **Study time:** about 3 hours (see lessons/README.md).

# %%
import collections

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import minishop
import minishop.nn as nn
import minishop.functional as F
from minishop import Tensor
from minishop.data import prepare
from minishop.optim import Adam
from minishop.tokenizers import BPETokenizer
from checks import REPO_ROOT, hint, use
from checks.lesson04 import check_cosine, check_embedding_backward, check_one_hot, check_quiz, library_cosine

minishop.manual_seed(0)  # minishop's generator: parameter initialisation
rng = np.random.default_rng(0)  # ours, for shuffling and the NumPy experiments
np.set_printoptions(precision=3, suppress=True)

# %% [markdown]
# ## 1. One-hot vectors, and why they are not enough
#
# With a vocabulary of $V$ ids, the **one-hot** vector of id $i$ has a 1 at position $i$ and 0 elsewhere:
# $\mathrm{onehot}(i) = e_i \in \{0, 1\}^V$. It is a faithful encoding, but a poor representation:
#
# - it is huge (hundreds of items in our shop, 50,000 word pieces in GPT-2) and almost all zeros;
# - every pair of different ids is equally far apart: $e_i \cdot e_j = 0$ for $i \neq j$, so a phone is as
#   "similar" to its case as to a bag of dog food.
#
# An **embedding** gives each id a dense vector of $D \ll V$ learned numbers, the rows of a matrix
# $E \in \mathbb{R}^{V \times D}$. The vector of id $i$ is row $i$. And here is the link with one-hot
# vectors: multiplying a one-hot row vector by $E$ picks exactly that row,
#
# $$\mathrm{onehot}(i)\,E = \sum_{v} [v = i]\, E_v = E_i .$$
#
# So an embedding layer *is* a linear layer without bias applied to one-hot inputs — computed the cheap way,
# by indexing ($O(D)$ work) instead of a product ($O(VD)$ work).

# %%
V, D = 6, 3  # a toy vocabulary of 6 ids, 3-dimensional vectors
E = rng.standard_normal((V, D))  # (V, D) the embedding table
ids = np.array([4, 1, 4, 0])  # a "sentence" of 4 ids; id 4 appears twice

rows = E[ids]  # (4, D) the lookup: fancy indexing selects rows
print("E[ids] =\n", rows)
print("one-hot vectors are orthogonal: e_1 · e_4 =", np.eye(V)[1] @ np.eye(V)[4])

# %% [markdown]
# ### Exercise 1 — one-hot encoding (1 point)
# Write `one_hot(ids, V)` returning a float array of shape `(len(ids), V)` whose row $n$ is
# $\mathrm{onehot}(\text{ids}_n)$. The check multiplies your one-hot matrix by a table $E$ and compares the
# product with minishop's lookup `F.embedding(E, ids)`.

# %%
def one_hot(ids, V):
    """(N,) integer ids -> (N, V) float one-hot rows."""
    return None  # your code here


# %%
check_one_hot(one_hot)

# %% [markdown]
# minishop's `nn.Embedding` holds the table as a `Parameter` (initialised with small random numbers,
# standard deviation 0.02) and calls `F.embedding` in its forward pass. Copy our table into one and the
# lookup agrees with NumPy's indexing:

# %%
layer = nn.Embedding(V, D)
layer.weight.data[...] = E  # overwrite the random initialisation with our table
print("nn.Embedding(ids) equals E[ids]:", np.allclose(layer(ids).numpy(), E[ids]))
print(layer, "- weight shape", layer.weight.shape)

# %% [markdown]
# ## 2. How an embedding learns: the gradient is a scatter-add
#
# Let the lookup output be $Y = \mathrm{onehot}(\text{ids})\,E$ (shape $N \times D$) and let $G = \partial L/\partial Y$ be
# the gradient arriving from the rest of the network. For a product $Y = XE$ the gradient with respect to
# $E$ is $X^\top G$, so
#
# $$\frac{\partial L}{\partial E} = \mathrm{onehot}(\text{ids})^\top G ,\qquad
# \frac{\partial L}{\partial E_v} = \sum_{n:\ \text{ids}_n = v} G_n .$$
#
# Row $v$ of the gradient is the **sum** of the output gradients at every position that looked up $v$.
# Ids that did not appear get a zero row (so with plain SGD their vectors do not move), and an id that
# appears twice gets *both* contributions. Computing this without building the big one-hot matrix is a
# **scatter-add**. The classic bug is to write `grad[ids] = G`, which keeps only one of the repeated rows.
#
# Let us make a loss whose gradient $G$ we know: $L = \sum_{n,d} Y_{nd}\, W_{nd}$ for a fixed random $W$
# gives $G = W$.

# %%
W = rng.standard_normal((len(ids), D))  # (N, D) plays the role of dL/dY
layer.zero_grad()
loss = (layer(ids) * Tensor(W)).sum()  # L = Σ Y ⊙ W, so dL/dY = W
loss.backward()
print("minishop's gradient of E (rows 0..5):\n", layer.weight.grad)

wrong = np.zeros((V, D))
wrong[ids] = W  # the classic bug: the second occurrence of id 4 overwrites the first
print("row 4, assignment instead of addition:", wrong[4], " vs minishop:", layer.weight.grad[4])

# %% [markdown]
# ### Exercise 2 — the embedding gradient by hand (2 points)
# Write `embedding_backward(ids, G, V)`: the gradient of $L$ with respect to the table (shape `(V, D)`),
# given the ids `(N,)` and the upstream gradient `G` `(N, D)`, **without** a one-hot matrix: start from zeros
# and add each row of `G` into the row of its id. `np.add.at(array, indices, values)` adds *with*
# repetitions (a plain `grad[ids] += G` does not!). The check compares with minishop's backward.

# %%
def embedding_backward(ids, G, V):
    """dL/dE (V, D) of the lookup Y = E[ids], given G = dL/dY (N, D)."""
    return None  # your code here


# %%
check_embedding_backward(embedding_backward)

# %% [markdown]
# Your backward (or minishop's) on the example above, beside minishop's own:

# %%
embedding_backward = use("embedding_backward", lambda ids, G, V: layer.weight.grad.copy(), yours=embedding_backward)
print("same as minishop's backward:", np.allclose(embedding_backward(ids, W, V), layer.weight.grad))

# %% [markdown]
# Why not just compute $\mathrm{onehot}(\text{ids})^\top G$? Because for the recommender that matrix would have
# $B \cdot T \times V$ entries ($128 \cdot 50 \times 23{,}716$ on Amazon Games: 150 million numbers) to add up a few
# thousand rows. minishop's backward (`minishop/functional.py`, `embedding`) sorts the ids and sums each
# run of equal ids at once (`minishop.arrays.scatter_add_rows`), which is also faster than `np.add.at`.
#
# ## 3. Similarity: the cosine and nearest neighbours
#
# Once items are vectors, "how alike are two items" becomes geometry. The **cosine similarity**
# compares directions and ignores lengths:
#
# $$\cos(a, b) = \frac{a \cdot b}{\lVert a\rVert\,\lVert b\rVert} \in [-1, 1] .$$
#
# It is 1 for vectors pointing the same way, 0 for orthogonal ones (every pair of one-hot vectors!) and −1
# for opposite ones. The **nearest neighbours** of an item are the items of highest cosine with it.
# (Recommenders score with the plain dot product $a\cdot b$, which also rewards long vectors; popular items
# tend to get long vectors, as we will see.)
#
# ### Exercise 3 — cosine similarity (1 point)
# Write `cosine(a, b)` for two 1-D vectors, returning a number. (`np.linalg.norm` gives $\lVert a\rVert$.)
# The nearest neighbours of section 4 are computed with your cosine once it passes.

# %%
def cosine(a, b):
    """Cosine of the angle between 1-D vectors a and b."""
    return None  # your code here


# %%
check_cosine(cosine)

# %% [markdown]
# ## 4. Learning item embeddings from shopping histories (item2vec)
#
# Where do good vectors come from? From the data, by the distributional idea of word2vec (Mikolov et al.
# 2013), applied to items by *item2vec* (Barkan & Koenigstein 2016): **items that appear near each other in
# shoppers' histories should get similar vectors.** We take every pair $(a, b)$ of items at most two
# steps apart in a history (both orders), and train one table $E$ so that item $a$ predicts item $b$ with
# a softmax over the whole catalogue:
#
# $$p(b \mid a) = \frac{\exp(E_a \cdot E_b)}{\sum_{c} \exp(E_a \cdot E_c)},\qquad
# L = -\frac{1}{|\text{pairs}|}\sum_{(a, b)} \log p(b \mid a) .$$
#
# Scoring by a dot product with the *same* table is exactly how the recommender of lesson 8 scores the next
# item (tied embeddings). This is the whole model: one `nn.Embedding`, a matrix product and
# `F.cross_entropy`, trained with Adam for two passes over the pairs.

# %%
prepared = prepare()  # the bundled shop, cleaned and split (lesson 2)
n_items = prepared.n_items
histories = [np.asarray(items) for items in prepared.split.train.values()]  # training part only
window = 2
pairs = []
for items in histories:
    for k in range(1, window + 1):  # (item, item k steps later) and the reverse
        pairs.append(np.stack([items[:-k], items[k:]], axis=1))
        pairs.append(np.stack([items[k:], items[:-k]], axis=1))
pairs = np.concatenate(pairs)  # (P, 2) int: (a, b)
print(f"{n_items} items, {len(histories)} histories -> {len(pairs):,} training pairs")

# %%
minishop.manual_seed(0)
item_embedding = nn.Embedding(n_items + 1, 16, std=0.1)  # (n_items + 1, 16); row 0 is padding, never used
optimizer = Adam(item_embedding.parameters(), lr=0.02)
batch_size, losses = 1024, []
for epoch in range(2):
    order = rng.permutation(len(pairs))
    for start in range(0, len(order), batch_size):
        batch = pairs[order[start:start + batch_size]]  # (B, 2)
        logits = item_embedding(batch[:, 0]) @ item_embedding.weight.transpose()  # (B, D) @ (D, V) -> (B, V)
        loss = F.cross_entropy(logits, batch[:, 1])  # mean of -log p(b | a)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())

plt.figure(figsize=(6, 3))
plt.plot(losses)
plt.axhline(np.log(n_items), color="gray", ls=":", label=f"uniform guess, log {n_items}")
plt.xlabel("step")
plt.ylabel("cross-entropy")
plt.title("item2vec on the shop's histories")
plt.legend()
plt.show()

# %% [markdown]
# The loss starts at $\log V$ (the dotted line: every item equally likely) and falls well below it: the
# vectors have learned which items go together. Now the neighbours of a phone, by your cosine:

# %%
cosine = use("cosine", library_cosine, yours=cosine)
vectors = item_embedding.weight.numpy()[1:]  # (n_items, D), row i-1 = item i
unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)  # unit rows: cosine = dot product
item_of = {raw: index for index, raw in enumerate(prepared.item_ids)}  # raw id "P0001" -> index
phone = item_of["P0001"]
similarity = np.array([cosine(v, vectors[phone - 1]) for v in vectors])  # (n_items,) cosine with the phone
ranked = np.argsort(-similarity, kind="stable") + 1  # item indices, most similar first
print("nearest neighbours of", prepared.item_titles[phone])
for item in ranked[1:9]:
    print(f"  {similarity[item - 1]:.2f}  {prepared.item_titles[item]:45s} ({prepared.item_categories[item]})")

# %% [markdown]
# The closest items are **other phones**: shoppers compare several phones in one visit, so phones share
# contexts. Those are *substitutes*. Does the embedding also know the *complements*, the case and the
# charger made for this phone? The shop's generator wrote the truth down in `complements.csv`: after
# buying an anchor item, a shopper comes back for each complement with some probability. Let us look up the
# rank of each complement among the phone's neighbours, overall and among items of *other* categories.

# %%
complements = pd.read_csv(REPO_ROOT / "data" / "shop" / "complements.csv")
own_category = prepared.item_categories[phone]
other_category = [item for item in ranked if prepared.item_categories.get(item) != own_category]
print("nearest items outside", own_category, ":", [prepared.item_titles[item] for item in other_category[:4]])
for raw in complements.loc[complements["anchor_item"] == "P0001", "complement_item"]:
    item = item_of[raw]
    print(f"{prepared.item_titles[item]:45s} rank {int(np.where(ranked == item)[0][0]):3d} of {n_items - 1} overall, "
          f"{other_category.index(item) + 1} among other categories")

# %% [markdown]
# The case bought within days of the phone is among the very nearest items outside the phones (the
# others are things phone shoppers happen to browse in the same visits). The charger, bought
# 4–14 days later (usually in another visit, far away in the history), is much further. The window of
# two steps decides what "near" means: a co-occurrence embedding learns *what is browsed together*,
# which is mostly substitutes, and only the complements that follow closely. That is one reason the
# sequential recommender of lesson 8 reads the whole ordered history rather than pairs.
#
# Let us measure it over all phones: the median rank of the complement cases and chargers, against a random
# ranking (its median rank is printed too).

# %%
phones = [item for item, category in prepared.item_categories.items() if category == own_category]
complement_ranks = collections.defaultdict(list)
for anchor in phones:
    order = np.argsort(-(unit @ unit[anchor - 1]), kind="stable") + 1
    for raw in complements.loc[complements["anchor_item"] == prepared.item_ids[anchor], "complement_item"]:
        if raw in item_of:
            category = prepared.item_categories[item_of[raw]]
            complement_ranks[category].append(int(np.where(order == item_of[raw])[0][0]))
for category, values in complement_ranks.items():
    print(f"{category:25s} median rank {np.median(values):5.1f} over {len(values)} (phone, complement) pairs")
print(f"{'a random ranking':25s} median rank {n_items / 2:5.1f}")

# %% [markdown]
# ## 5. A picture of the catalogue: PCA by an SVD
#
# Sixteen dimensions do not fit on a page. **Principal component analysis** finds the two directions along
# which the vectors vary most. Centre the rows, $X = E - \bar E$, and take the singular value decomposition
# $X = U \Sigma V^\top$: the first two columns of $V$ are those directions, and the coordinates of the items
# are $X V_{:, :2} = U_{:, :2}\Sigma_{:2}$. The share of variance they keep is
# $(\sigma_1^2 + \sigma_2^2)/\sum_k \sigma_k^2$.

# %%
centred = vectors - vectors.mean(axis=0)  # (n_items, D)
U, sigma, Vt = np.linalg.svd(centred, full_matrices=False)  # U (n, D), sigma (D,), Vt (D, D)
projected = centred @ Vt[:2].T  # (n_items, 2)
print(f"the first two components keep {(sigma[:2] ** 2).sum() / (sigma ** 2).sum():.0%} of the variance")

top_level = np.array([prepared.item_categories[i].split(" > ")[0] for i in range(1, n_items + 1)])
fig, ax = plt.subplots(figsize=(8, 6))
for name in sorted(set(top_level)):
    chosen = top_level == name
    ax.scatter(projected[chosen, 0], projected[chosen, 1], s=14, label=name, alpha=0.8)
ax.scatter(*projected[phone - 1], s=160, facecolors="none", edgecolors="black")
ax.annotate(" " + prepared.item_titles[phone], projected[phone - 1], fontsize=8)
ax.set_xlabel("principal component 1")
ax.set_ylabel("principal component 2")
ax.set_title("Item embeddings learned from histories, coloured by top-level category")
ax.legend(fontsize=8, ncol=2)
plt.show()

# %% [markdown]
# No one told the model the categories — it only saw which items appear near each other — yet items of a
# department gather together. Two components keep only part of the variance, so clusters that overlap here
# may well be separate in 16 dimensions; trust the neighbours above more than the picture.
#
# ## 6. Word embeddings are the same layer
#
# For text the ids are BPE tokens (lesson 3), and the first layer of the language model of lesson 10
# (`minishop.text.TextLM`) is an `nn.Embedding(vocab_size, d_model)` — the same lookup, the same
# scatter-add gradient. A token that occurs in many positions of a batch ("the", " for") gets many
# gradient rows summed into its one vector.

# %%
descriptions = pd.read_csv(REPO_ROOT / "data" / "shop" / "products.csv")["description"].tolist()
n_specials = len(BPETokenizer(merges=[]).special_tokens)  # <pad> <bos> <eos> <unk> <mask> <sep>
tokenizer = BPETokenizer.train(descriptions, vocab_size=256 + 400 + n_specials)  # 400 merges + the special tokens
token_ids = tokenizer.encode("Its battery lasts a full day of heavy use.", allowed_special="none")
print("tokens:", [tokenizer.decode([t]) for t in token_ids])
word_embedding = nn.Embedding(tokenizer.vocab_size, 8)
print("ids", token_ids, "-> vectors of shape", word_embedding(np.array(token_ids)).shape)  # (T, 8)

# %% [markdown]
# Before training these vectors are random (cosines near 0); the language model will shape them just as
# item2vec shaped the item vectors: tokens used in similar contexts end up pointing the same way.
#
# ## Quiz (3 points)
# 1. `onehot(i) @ E` equals (a) row $i$ of $E$; (b) column $i$ of $E$; (c) the sum of $E$'s rows.
# 2. In a batch, id 7 is looked up three times. Row 7 of the gradient of the table is (a) the first of the
#    three output gradients; (b) the last; (c) their sum.
# 3. The cosine of two vectors pointing the same way but of lengths 1 and 10 is (a) 10; (b) 1; (c) 0.1.
#
# Answer with letters, e.g. `{"1": "a", "2": "a", "3": "a"}`.

# %%
answers = {"1": None, "2": None, "3": None}  # your answers here

# %%
check_quiz(answers)

# %% [markdown]
# ## Reflection
# 1. In item2vec's full softmax the table is used twice: looked up for the input item, and as the output
#    scores of every item. Does an item that appears in no training pair get a gradient? Which way does
#    training push its vector? What would change with a few sampled negatives instead of the full softmax?
# 2. With `window = 10` instead of 2, would the chargers move closer to their phones? Try it.
# 3. The dot product rewards long vectors. Which items would you expect to have the longest vectors
#    after training, and what does that mean for a recommender that scores by dot product?
#
# ## Summary
# - An embedding is a table $E$ of learned vectors; a lookup `E[ids]` equals `onehot(ids) @ E`, computed
#   by indexing instead of a product.
# - Its gradient is a scatter-add: each row collects the output gradients of every position that looked it
#   up, repeated ids adding up.
# - Cosine similarity compares directions; item2vec's vectors put items browsed together close, mostly
#   substitutes, and a PCA shows departments without being told them.
# - **Yours from now on:** `one_hot`, `embedding_backward` and `cosine` — the neighbours of section 4 used
#   your cosine.
#
# **Next:** lesson 5 lets these vectors look at each other — self-attention.
