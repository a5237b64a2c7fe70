# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 4 — Embeddings: solutions
#
# The solved exercises of `04_embeddings.ipynb`, each with the same check as the lesson, the quiz's
# answers and answers to the reflection questions. Try the exercises first!

# %%
import sys

import numpy as np

sys.path.insert(0, "..")  # lessons/, where the checks package lives (this notebook runs in lessons/solutions/)
import minishop
from checks.lesson04 import check_cosine, check_embedding_backward, check_one_hot, check_quiz

minishop.manual_seed(0)


# %% [markdown]
# ### Exercise 1 — one-hot encoding

# %%
def one_hot(ids, V):
    """(N,) integer ids -> (N, V) float one-hot rows."""
    ids = np.asarray(ids)
    out = np.zeros((len(ids), V))
    out[np.arange(len(ids)), ids] = 1.0  # row n gets its 1 in column ids[n]
    return out


# %%
check_one_hot(one_hot)


# %% [markdown]
# ### Exercise 2 — the embedding gradient by hand

# %%
def embedding_backward(ids, G, V):
    """dL/dE (V, D) of the lookup Y = E[ids], given G = dL/dY (N, D)."""
    grad = np.zeros((V, G.shape[1]))
    np.add.at(grad, ids, G)  # row ids[n] += G[n], repetitions included
    return grad


# %%
check_embedding_backward(embedding_backward)


# %% [markdown]
# ### Exercise 3 — cosine similarity

# %%
def cosine(a, b):
    """Cosine of the angle between 1-D vectors a and b."""
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


# %%
check_cosine(cosine)

# %% [markdown]
# ## Quiz

# %%
answers = {"1": "a", "2": "c", "3": "b"}

# %%
check_quiz(answers)

# %% [markdown]
# ## Reflection — answers
# 1. **Every row gets a gradient.** The loss's softmax runs over the whole catalogue with the same table as
#    output scores, so every item $c$ is in every denominator: row $c$ receives $p(c\mid a)\,E_a$ from each
#    pair, even if $c$ is never a target or an input. An item that appears in no pair is only ever pushed
#    *away* from the input vectors (its score made smaller), so it drifts to where nothing points — a low
#    score for everybody. With a few sampled negatives, only the sampled rows get that push, and an item
#    never sampled would keep its random initial vector (with plain SGD; Adam keeps moving a row for a while
#    after its gradient becomes zero, on its momentum).
# 2. **A wider window.** Yes, partly: the charger is bought 4–14 days after the phone, usually several steps
#    later in the history, so a window of 10 steps makes (phone, charger) pairs that a window of 2 never
#    sees. The price: many more pairs (slower) and more pairs of unrelated items that merely share a long
#    session, so the substitutes get blurrier. Run the lesson's cells with `window = 10` and compare the
#    chargers' median rank with the one printed for `window = 2`.
# 3. **Long vectors.** Popular items: they are targets of many pairs, and every time the loss pushes their
#    score up, which a longer vector does for many inputs at once. A dot-product recommender then ranks
#    popular items high for everybody — the popularity bias of lesson 12; the cosine, which ignores lengths,
#    does not.
