# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 3 — Tokenization: solutions
#
# The solved exercises of `03_tokenization.ipynb`, each with the setup it needs and the same check as the
# lesson. Try the exercises first!

# %%
import sys

import pandas as pd

sys.path.insert(0, "..")  # lessons/, where checks.py lives (this notebook runs in lessons/solutions/)
import minishop
from minishop.tokenizers import BPETokenizer
from minishop.tokenizers.base import get_stats, merge
from checks import REPO_ROOT, check_equal, check_function

minishop.manual_seed(0)
products = pd.read_csv(REPO_ROOT / "data" / "shop" / "products.csv", dtype=str, keep_default_na=False)
descriptions = products["description"].tolist()

# %% [markdown]
# ### Exercise 1 — how many bytes?

# %%
n_bytes = sum(len(d.encode("utf-8")) for d in descriptions)

# %%
bytes_only = BPETokenizer(merges=[])  # vocabulary: the 256 bytes (+ the special tokens)
check_equal(n_bytes, sum(len(ids) for ids in bytes_only.encode_batch(descriptions)), name="n_bytes",
            hint="sum(len(d.encode('utf-8')) for d in descriptions)")

# %% [markdown]
# ### Exercise 2 — count adjacent pairs

# %%
def count_pairs(ids):
    """{(a, b): count} over the adjacent pairs of the list `ids`."""
    counts = {}
    for pair in zip(ids, ids[1:]):  # (ids[0], ids[1]), (ids[1], ids[2]), ...
        counts[pair] = counts.get(pair, 0) + 1
    return counts


# %%
example = list("the theme then".encode("utf-8"))
check_equal(count_pairs(example), get_stats(example), name="count_pairs",
            hint="loop over zip(ids, ids[1:]) and add 1 to counts.get(pair, 0)")

# %% [markdown]
# ### Exercise 3 — merge a pair

# %%
def merge_pair(ids, pair, new_id):
    """Replace each occurrence of `pair` in `ids` (left to right) by `new_id`."""
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            out.append(new_id)
            i += 2  # skip both halves of the pair
        else:
            out.append(ids[i])
            i += 1
    return out


# %%
check_function(merge_pair, [
    (([1, 2, 3, 1, 2], (1, 2), 4), merge([1, 2, 3, 1, 2], (1, 2), 4)),
    (([5, 5, 5], (5, 5), 6), merge([5, 5, 5], (5, 5), 6)),
    (([5, 5, 5, 5], (5, 5), 6), merge([5, 5, 5, 5], (5, 5), 6)),
    ((example, (116, 104), 256), merge(example, (116, 104), 256)),
], hint="walk with an index i: if ids[i], ids[i + 1] is the pair, append new_id and jump by 2, else append ids[i]")
