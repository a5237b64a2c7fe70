# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 12 — Responsible recommenders: solutions
#
# The solved exercises of `12_responsible_recommenders.ipynb`, each with the setup it needs and the same
# check as the lesson. Try the exercises first! (Exercise 2 needs top-10 lists; to stay quick, this
# notebook takes them from the item-kNN baseline instead of training the model.)

# %%
import hashlib
import sys

import numpy as np
import pandas as pd

sys.path.insert(0, "..")  # lessons/, where the checks live (this notebook runs in lessons/solutions/)
import minishop
from minishop.data import prepare
from minishop.eval import ItemKNNRecommender
from minishop.eval.protocols import evaluation_cases, top_k
from checks.lesson12 import check_coverage, check_penalised, check_pseudonym, check_quiz

minishop.manual_seed(0)
rng = np.random.default_rng(0)

prepared = prepare()
events = prepared.interactions
salt = "k3Wv-9qTz-lesson12"


# %% [markdown]
# ### Exercise 1 — a salted pseudonym

# %%
def pseudonym(raw_id, salt):
    """The salted pseudonym of one raw id (a str of 16 hex digits)."""
    return hashlib.sha256((salt + str(raw_id)).encode("utf-8")).hexdigest()[:16]


# %%
check_pseudonym(pseudonym, salt)  # against minishop.data.preprocess.pseudonymise, on several ids

# %% [markdown]
# ### Exercise 2 — coverage by hand

# %%
split, n_items = prepared.split, prepared.n_items
_, test_histories, _ = evaluation_cases(split, "test")
scores = np.array(ItemKNNRecommender().fit(split.train, n_items).score(test_histories), dtype=np.float64)
scores[:, 0] = -np.inf
for row, history in enumerate(test_histories):
    scores[row, history] = -np.inf
lists = {"model": top_k(scores, 10)}  # (U, 10), here from item-kNN

model_coverage = len(np.unique(lists["model"])) / n_items  # distinct items shown / catalogue size

# %%
check_coverage(model_coverage, lists["model"], n_items)  # against minishop.eval.coverage


# %% [markdown]
# ### Exercise 3 — the penalised scores

# %%
def penalised(scores, counts, lam):
    """Popularity-penalised scores: scores - lam * log(1 + counts)."""
    return scores - lam * np.log1p(counts)  # counts (N,) broadcast over the leading axes


# %%
check_penalised(penalised)  # against the formula, where log and log1p differ

# %% [markdown]
# ## Reflection — answers
#
# 1. Before the data reaches the modelling team: raw user ids (replace by indices or salted pseudonyms),
#    exact timestamps (keep the order, or dates at most), session and order ids, country and sign-up date,
#    review texts. The data protection officer still worries about the histories themselves: as the
#    fingerprint experiment shows, a few known items single a shopper out, so the pseudonymised histories
#    remain personal data (access control, retention limits, deletion on request).
# 2. With the salt an attacker can hash every possible id (100,000 here, in well under a second) and map
#    every pseudonym back to its shopper, in every file ever shared. Treat it as a breach: rotate the salt
#    (re-pseudonymise everything with a new secret), revoke and replace the shared files, assess and, where
#    the law requires, report the breach, and keep the new salt in a secrets vault.
# 3. Offline NDCG rewards predicting what shoppers did under the OLD recommender, which favoured popular
#    items; tail items that a shopper would have liked were rarely shown, so they rarely appear as targets.
#    A penalty can raise sales by surfacing them (discovery, less saturation of bestsellers). It might not
#    if the tail items are tail because they are worse, or if shoppers come for the bestsellers: only an
#    online test (A/B) answers it.
# 4. Occlusion works for any model: remove each history item, re-score, and rank items by the drop in the
#    recommended item's score (for item-kNN it is exact, since its score is a sum over history items).
#    It is not always enough: removing one item at a time misses interactions (two items that only matter
#    together, or redundant items that each look unimportant), so also test removing pairs or the top-k
#    reasons together, and check that the explanation is understandable to the shopper.

# %% [markdown]
# ## Quiz

# %%
quiz_answers = {1: "b", 2: "a", 3: "c", 4: "b"}

# %%
check_quiz(quiz_answers)
