# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 3 — Tokenization: from text and items to integers
#
# A neural network reads integers, not words. For product descriptions and reviews we need a
# **tokenizer**: a reversible map from any text to a short list of integer ids. For shopping histories the
# "words" are the products themselves, and we need an **item vocabulary**. This lesson builds byte-pair
# encoding (BPE) — the tokenizer of GPT-2 and GPT-4 — from scratch in a few lines of Python, checks it against
# minishop's `BPETokenizer`, sees why the library's trainer is organised differently, measures what a
# bigger vocabulary buys, and ends with items as tokens.
#
# **Learning goals.** After this lesson you can
# 1. explain text as UTF-8 bytes, and why byte-level tokenizers never meet an unknown character;
# 2. write the BPE training loop (count adjacent pairs, merge the most frequent, repeat) and reproduce the first merges of `minishop.tokenizers.BPETokenizer`;
# 3. explain the two ideas that make the library's trainer fast (deduplicated chunks, incremental counts), and time them;
# 4. measure compression (bytes per token) against vocabulary size, on training and held-out text;
# 5. use special tokens (`<eos>`, `<pad>`, …) and `ItemVocab`, where items are tokens with `<pad>` = 0, `<unk>` and `<mask>`.
#
# **Prerequisites.** Lesson 1 (the catalogue's descriptions); Python lists, dicts and `zip`; what a string is.
#
# **Study time:** about 3 hours (see lessons/README.md).

# %%
import os
import tempfile
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import minishop
from minishop import data
from minishop.tokenizers import BPETokenizer, ItemVocab, pretokenize, train_naive
from minishop.tokenizers.base import get_stats, merge
from checks import REPO_ROOT, hint, use
from checks.lesson03 import check_count_pairs, check_merge_pair, check_n_bytes, check_quiz

minishop.manual_seed(0)
rng = np.random.default_rng(0)
SHOP = REPO_ROOT / "data" / "shop"

products = pd.read_csv(SHOP / "products.csv", dtype=str, keep_default_na=False)
descriptions = products["description"].tolist()  # one English description per product
order = rng.permutation(len(descriptions))  # a seeded split: 300 to train on, the rest held out
train_texts = [descriptions[i] for i in order[:300]]
held_out = [descriptions[i] for i in order[300:]]
print(len(descriptions), "descriptions; the first:", descriptions[0])

# %% [markdown]
# ## 1. Text is bytes
#
# A Python string is a sequence of Unicode characters (code points). To store or send it we **encode** it;
# UTF-8, the web's encoding, uses 1 byte for ASCII characters and 2–4 bytes for the others:

# %%
text = "Café crème, 20 € ☕"
encoded = text.encode("utf-8")  # bytes: integers 0..255
print(len(text), "characters ->", len(encoded), "bytes")
print(list(encoded))
for ch in "aé€☕":
    print(repr(ch), "->", list(ch.encode("utf-8")))
print(encoded.decode("utf-8") == text)

# %% [markdown]
# So a **byte-level** tokenizer starts with a vocabulary of exactly 256 ids, one per byte. Every possible text
# encodes, in every language, emoji included: there is no "unknown word". The price is length: one id per byte
# makes long sequences, and attention's cost grows with the square of the length. BPE keeps the first property
# and fixes the second by learning **merges** of frequent neighbours into new ids.
#
# ### Exercise 1 — how many bytes? (1 point)
# Set `n_bytes` to the total number of UTF-8 bytes of all the texts in `texts` — the `descriptions` and the
# café line above (a Python int). The check
# compares it with the number of tokens that a `BPETokenizer` **with no merges at all** produces — which
# should convince you that such a tokenizer is just the bytes.

# %%
texts = descriptions + [text]
n_bytes = None  # your code here

# %%
check_n_bytes(n_bytes, texts)

# %% [markdown]
# ## 2. Before BPE: cut the text into chunks
#
# BPE never merges across a chunk boundary. We first split the text with a regular expression (the one
# GPT-4 uses): words with their leading space, numbers of up to 3 digits, punctuation, whitespace. That way
# `" phone"` in `" phone."` and `" phone,"` is the same chunk and gets the same tokens.

# %%
print(pretokenize("The Zenith Echo K8 Smartphone weighs 1250 g. Loved by thousands!"))

# %% [markdown]
# ## 3. BPE from scratch
#
# Training BPE (Sennrich et al., 2016; byte-level as in GPT-2):
#
# 1. write every chunk as a list of byte ids;
# 2. count every **adjacent pair** of ids over the corpus;
# 3. take the most frequent pair $(a, b)$, give it a new id $256 + m$ (for the $m$-th merge), and replace
#    every occurrence of $a, b$ by the new id;
# 4. repeat until the vocabulary has the size you want.
#
# Encoding a new text replays the merges in the order they were learned. Two small functions do all the
# work. Write them.
#
# ### Exercise 2 — count adjacent pairs (1 point)
# `count_pairs(ids)` returns a dict `{(a, b): number of times b directly follows a in ids}`. For
# `[1, 2, 3, 1, 2]` that is `{(1, 2): 2, (2, 3): 1, (3, 1): 1}`.

# %%
def count_pairs(ids):
    """{(a, b): count} over the adjacent pairs of the list `ids`."""
    return None  # your code here


# %%
check_count_pairs(count_pairs)

# %% [markdown]
# ### Exercise 3 — merge a pair (2 points)
# `merge_pair(ids, pair, new_id)` returns a new list where every occurrence of `pair` (scanning left to
# right, not overlapping) is replaced by `new_id`: `merge_pair([1, 2, 3, 1, 2], (1, 2), 4) == [4, 3, 4]`, and
# `merge_pair([5, 5, 5], (5, 5), 6) == [6, 5]`.

# %%
def merge_pair(ids, pair, new_id):
    """Replace each occurrence of `pair` in `ids` (left to right) by `new_id`."""
    return None  # your code here


# %%
check_merge_pair(merge_pair)

# %% [markdown]
# Now the training loop, built on **your** two functions if they passed their checks (and on minishop's
# `get_stats` and `merge` otherwise — the cell says which). One detail matters to reproduce the library
# exactly: when two pairs are equally frequent, we pick the one whose **bytes** come first, so the result
# never depends on the order of the corpus.

# %%
count_pairs = use("count_pairs", get_stats, yours=count_pairs)
merge_pair = use("merge_pair", merge, yours=merge_pair)


def bpe_from_scratch(texts, n_merges):
    """The plain BPE loop: recount all pairs, merge the top one, repeat. Returns [(pair, count), ...]."""
    chunks = [list(chunk.encode("utf-8")) for text in texts for chunk in pretokenize(text)]
    vocab = {i: bytes([i]) for i in range(256)}  # id -> the bytes it stands for
    merges = []
    for new_id in range(256, 256 + n_merges):
        counts = {}
        for ids in chunks:
            for pair, n in count_pairs(ids).items():
                counts[pair] = counts.get(pair, 0) + n
        best = min(counts, key=lambda p: (-counts[p], vocab[p[0]], vocab[p[1]]))  # most frequent, ties by bytes
        chunks = [merge_pair(ids, best, new_id) for ids in chunks]
        vocab[new_id] = vocab[best[0]] + vocab[best[1]]
        merges.append((best, counts[best]))
        print(f"merge {new_id}: {vocab[best[0]]!r:8} + {vocab[best[1]]!r:8} -> {vocab[new_id]!r:10} ({counts[best]:,} times)")
    return merges


ours = bpe_from_scratch(train_texts, 12)

# %% [markdown]
# The first merges are what English text predicts: `" t"`, `"in"`, `"he"`, then `" the"` built from two
# earlier merges. minishop's `BPETokenizer.train` learns exactly the same merges. Its `vocab_size` counts
# the 256 bytes, the merges and its special tokens:

# %%
n_specials = len(BPETokenizer(merges=[]).special_tokens)
print(n_specials, "special tokens:", list(BPETokenizer(merges=[]).special_tokens))
tokenizer = BPETokenizer.train(train_texts, vocab_size=256 + 12 + n_specials)
print("same merges as ours:", tokenizer.merges == [pair for pair, _ in ours])
print("same counts:", tokenizer.merge_counts == [count for _, count in ours])
print([tokenizer.token_bytes(256 + m) for m in range(12)])

# %% [markdown]
# ## 4. Why the library's trainer is different
#
# Our loop recounts every pair of the whole corpus for every merge: the cost is
# $O(\text{merges} \times \text{corpus size})$. `minishop/tokenizers/training.py` uses two ideas:
#
# 1. **Deduplicate chunks.** The same chunk (`" the"`, `"."`) occurs thousands of times. Keep each distinct
#    chunk once with its frequency $f$, and count its pairs $f$ times at once.
# 2. **Update counts incrementally.** A merge of $(a, b)$ only changes the pairs of the chunks that contain
#    $(a, b)$. Keep an index *pair → chunks containing it*; for those chunks subtract the old pairs and add the
#    new ones. Late merges touch a handful of chunks. (A heap finds the best pair without scanning all of them.)

# %%
all_chunks = [chunk for text in train_texts for chunk in pretokenize(text)]
print(f"{len(all_chunks):,} chunks, only {len(set(all_chunks)):,} distinct")

timings = []
for n_merges in (10, 20, 40):
    start = time.perf_counter()
    naive = train_naive(train_texts, n_merges)  # minishop's copy of the plain loop
    t_naive = time.perf_counter() - start
    start = time.perf_counter()
    fast = BPETokenizer.train(train_texts, vocab_size=256 + n_merges + n_specials)
    t_fast = time.perf_counter() - start
    timings.append((n_merges, t_naive, t_fast))
    print(f"{n_merges:3d} merges: naive {t_naive:6.2f} s, fast {t_fast:6.3f} s ({t_naive / t_fast:5.0f}x), "
          f"same merges: {[p for p, _ in naive] == fast.merges}")

# %% [markdown]
# The naive time grows in proportion to the number of merges; the fast one barely moves. On a few MB of
# reviews and thousands of merges the difference is hours against seconds.
#
# ## 5. Compression versus vocabulary size
#
# How much shorter does text get? We measure **bytes per token** (higher = shorter sequences; bytes alone
# give 1.0) for vocabularies of growing size. One training run gives them all: the first $m$ merges of a
# tokenizer are exactly the merges a smaller training run would learn, so `BPETokenizer(merges[:m])` *is*
# the tokenizer with $m$ merges. We measure on the training descriptions and on the held-out ones.

# %%
big = BPETokenizer.train(train_texts, vocab_size=256 + 3000 + n_specials)
print("merges learned:", len(big.merges), "(training stops when no pair is left to merge)")
sizes = [0, 25, 50, 100, 200, 400, 800, 1200, len(big.merges)]
train_ratio, held_ratio = [], []
for m in sizes:
    tok = BPETokenizer(big.merges[:m])
    train_ratio.append(tok.compression_ratio(train_texts))
    held_ratio.append(tok.compression_ratio(held_out))

fig, ax = plt.subplots(figsize=(7, 4))
ax.plot([256 + m for m in sizes], train_ratio, "o-", label="training descriptions")
ax.plot([256 + m for m in sizes], held_ratio, "s-", label="held-out descriptions")
ax.set_xscale("log")
ax.set_xlabel("vocabulary size (256 bytes + merges)")
ax.set_ylabel("bytes per token")
ax.set_title("Each doubling of the vocabulary buys about the same gain")
ax.legend()
plt.show()

# %% [markdown]
# On a logarithmic axis the curve is almost a straight line: every **doubling** of the vocabulary buys about
# the same gain, so each extra merge is worth less than the one before (diminishing returns). The first
# merges are common letter pairs and `" the"`; the last ones are whole words, some of which occur only in the
# training texts — which is why the held-out curve ends below the training one. (The gap is small here
# because the shop's descriptions are assembled from phrase banks; on real reviews it is wider.) Each merge
# also adds a row to the model's embedding table: vocabulary size trades sequence length against parameters.
# A sentence at three sizes:

# %%
sentence = "The Zenith Echo K8 Smartphone is made for everyday use."
for m in (0, 100, len(big.merges)):
    pieces = [piece.decode("utf-8", errors="replace") for _, piece, _ in BPETokenizer(big.merges[:m]).tokens_with_spans(sentence)]
    print(f"{256 + m:5d} ids, {len(pieces):2d} tokens:", "|".join(pieces))

# %% [markdown]
# `tokens_with_spans` also gives each token's byte span in the text, and `most_frequent_merges` the merges
# seen most often in training:

# %%
print(big.tokens_with_spans("Great phone!")[:4])
for new_id, pair, piece, count in big.most_frequent_merges(5):
    print(new_id, pair, piece, count)

# %% [markdown]
# ## 6. Special tokens
#
# Models need a few tokens that are not text: `<eos>` ends a document (a generator stops there), `<pad>`
# fills short sequences in a batch, `<mask>` hides a token to predict, `<sep>` separates two fields. They get
# ids **after** the merges and are never merged. Writing `<eos>` in a text gives the single special id; a
# user-supplied text that happens to contain `<eos>` can be refused, so nobody can inject one.

# %%
ids = tokenizer.encode("Great phone!<eos>")
print(ids, "->", tokenizer.decode(ids))
print("special ids:", tokenizer.special_tokens)
try:
    tokenizer.encode("Great phone!<eos>", allowed_special="none")
except ValueError as error:
    print("refused:", str(error)[:90], "...")

with tempfile.TemporaryDirectory() as folder:  # a tokenizer is a readable JSON file
    path = os.path.join(folder, "shop_bpe.json")
    big.save(path)
    print(open(path + ".vocab.txt", encoding="utf-8").read().splitlines()[300:303])
    print("round trip:", BPETokenizer.load(path).encode(sentence) == big.encode(sentence))

# %% [markdown]
# ## 7. Items are tokens too
#
# A sequential recommender reads a shopping history the way a language model reads a sentence. Its
# vocabulary is the catalogue: `ItemVocab` gives each product an id, with three special tokens:
#
# | id | token | used for |
# |---|---|---|
# | 0 | `<pad>` | filling short histories (left padding, lesson 2); never predicted |
# | 1 … $n$ | the items, most popular first | |
# | $n+1$ | `<unk>` | an item not seen in training (a new product) |
# | $n+2$ | `<mask>` | "guess the item here" (BERT-style training) |
#
# Unlike BPE, there is nothing to merge: a product id is already a good unit. But new items appear every day,
# so `<unk>` matters, and the vocabulary counts how many unknown ids it met instead of failing or hiding it.

# %%
prepared = data.prepare()  # lesson 2's clean interactions
titles = dict(zip(prepared.items["item"], prepared.items["title"]))
vocab = ItemVocab.from_interactions(prepared.interactions, item_column="item", titles=titles)
print(f"{vocab.n_items} items -> {len(vocab)} token ids; pad {vocab.pad_id}, unk {vocab.unk_id}, mask {vocab.mask_id}")
print("most popular:", [vocab.title(t) for t in (1, 2, 3)])

history = prepared.interactions.loc[prepared.interactions["user"] == "U00001", "item"].tolist()[:6]
tokens = vocab.encode(history + ["P9999"])  # P9999 is not in the catalogue
print(history + ["P9999"], "->", tokens, f"({vocab.last_n_unknown} unknown)")
print(vocab.decode(tokens))
print(data.pad_left([tokens], max_len=10))  # (1, 10): ready for a model, 0 = <pad>

# %% [markdown]
# ## Quiz (3 points)
# 1. How many ids does a byte-level tokenizer need before any merge (special tokens aside)? (a) 128;
#    (b) 256; (c) one per word of the corpus.
# 2. When two pairs are equally frequent, minishop's BPE picks (a) the one whose bytes come first, so the
#    merges never depend on the order of the corpus; (b) a random one; (c) the one seen first.
# 3. In `ItemVocab`, id 0 is (a) the most popular item; (b) `<unk>`; (c) `<pad>`, never predicted.
#
# Answer with letters, e.g. `{"1": "a", "2": "a", "3": "a"}`.

# %%
answers = {"1": None, "2": None, "3": None}  # your answers here

# %%
check_quiz(answers)

# %% [markdown]
# ## Reflection
# 1. A shop sells in English and in Japanese. What happens to the number of tokens per sentence for each
#    language if the BPE is trained on English descriptions only?
# 2. Why does `ItemVocab` give an unseen product `<unk>` and count it, instead of adding it to the
#    vocabulary on the fly?
#
# ## Summary
# - Text is bytes: 256 byte ids encode anything, but make long sequences.
# - BPE learns merges of frequent adjacent pairs: count, merge the top pair (ties by bytes), repeat; encoding
#   replays the merges in order. Chunks from a regular expression keep merges inside words.
# - A fast trainer deduplicates chunks and updates pair counts incrementally; it learns the same merges.
# - More merges mean fewer tokens per text, with diminishing returns and a bigger embedding table.
# - Special tokens live outside the merges; `ItemVocab` makes items tokens with `<pad>` = 0, `<unk>`, `<mask>`.
# - **Yours from now on:** `count_pairs` and `merge_pair` — the BPE loop of section 3 ran them.
#
# **Next:** lesson 4 turns these ids into vectors — embeddings.
