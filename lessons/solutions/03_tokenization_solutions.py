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

sys.path.insert(0, "..")  # lessons/, where the checks package lives (this notebook runs in lessons/solutions/)
import minishop
from checks import REPO_ROOT
from checks.lesson03 import check_count_pairs, check_merge_pair, check_n_bytes, check_quiz

minishop.manual_seed(0)
products = pd.read_csv(REPO_ROOT / "data" / "shop" / "products.csv", dtype=str, keep_default_na=False)
descriptions = products["description"].tolist()

# %% [markdown]
# ### Exercise 1 — how many bytes?

# %%
texts = descriptions + ["Café crème, 20 € ☕"]  # the descriptions and the lesson's café line
n_bytes = sum(len(t.encode("utf-8")) for t in texts)  # bytes, not characters

# %%
check_n_bytes(n_bytes, texts)

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
check_count_pairs(count_pairs)

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
check_merge_pair(merge_pair)

# %% [markdown]
# ## Quiz

# %%
answers = {"1": "b", "2": "a", "3": "c"}

# %%
check_quiz(answers)

# %% [markdown]
# ## Reflection — answers
# 1. **Two languages, one BPE.** English text compresses well (its frequent pairs became merges), while
#    Japanese text, 3 bytes per character in UTF-8 and never seen in training, stays close to one token
#    per byte: the same sentence costs about three times as many tokens per character — longer sequences,
#    more attention cost, and less context in a fixed window. Train the tokenizer on both languages.
# 2. **`<unk>` and a count.** The model's embedding table has one row per id, fixed at training time; an id
#    added on the fly would have no trained vector (and would change the output layer's size). Mapping to
#    `<unk>` keeps the model valid, and counting the unknowns tells you when the catalogue has drifted enough
#    that it is time to retrain.
