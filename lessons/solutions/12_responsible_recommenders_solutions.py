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

sys.path.insert(0, "..")  # lessons/, where checks.py lives (this notebook runs in lessons/solutions/)
import minishop
from minishop.data import prepare
from minishop.data.preprocess import pseudonymise
from minishop.eval import ItemKNNRecommender, coverage
from minishop.eval.protocols import evaluation_cases, top_k
from checks import check_close, check_equal, check_function

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
_sample = events["user"].drop_duplicates().head(4)
_expected = pseudonymise(pd.DataFrame({"user": _sample}), salt=salt)[0]["user"].tolist()
check_equal(
    None if pseudonym(_sample.iloc[0], salt) is None else [pseudonym(user, salt) for user in _sample],
    _expected,
    name="pseudonym",
    hint="hashlib.sha256((salt + raw_id).encode('utf-8')).hexdigest()[:16]",
)

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
check_close(model_coverage, coverage(lists["model"], n_items), name="model_coverage",
            hint="len(np.unique(lists['model'])) / n_items")


# %% [markdown]
# ### Exercise 3 — the penalised scores

# %%
def penalised(scores, counts, lam):
    """Popularity-penalised scores: scores - lam * log(1 + counts)."""
    return scores - lam * np.log1p(counts)  # counts (N,) broadcast over the leading axes


# %%
check_function(
    penalised,
    [((np.array([3.0, 2.0, 1.0]), np.array([0.0, np.e - 1, np.e ** 2 - 1]), 1.0), np.array([3.0, 1.0, -1.0])),
     ((np.array([[3.0, 2.0, 1.0], [0.0, 0.0, 0.0]]), np.array([0.0, np.e - 1, np.e ** 2 - 1]), 0.5),
      np.array([[3.0, 1.5, 0.0], [0.0, -0.5, -1.0]])),
     ((np.array([1.0, 2.0]), np.array([5.0, 7.0]), 0.0), np.array([1.0, 2.0]))],
    hint="scores - lam * np.log1p(counts)",
)
