# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 9 — Evaluating recommendations honestly: solutions
#
# The solved exercises of `09_evaluating_recommendations.ipynb`, each with the setup it needs and the same
# check as the lesson. Try the exercises first!

# %%
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # small matrices: one BLAS thread is fastest

import sys

import numpy as np

sys.path.insert(0, "..")  # lessons/, where checks.py lives (this notebook runs in lessons/solutions/)
import minishop
from minishop.data import prepare
from minishop.eval import MarkovRecommender, hit_rate, mrr, ndcg, ranks_from_scores
from minishop.eval import protocols
from checks import check_equal, check_function

minishop.manual_seed(0)
rng = np.random.default_rng(0)

# %% [markdown]
# ### Exercise 1 — the three metrics

# %%
def metrics_at_k(ranks, k):
    """np.array([HR@k, NDCG@k, MRR@k]) for ranks (U,) counted from 1."""
    ranks = np.asarray(ranks, dtype=float)
    hit = ranks <= k  # (U,)
    return np.array([hit.mean(), np.where(hit, 1 / np.log2(ranks + 1), 0).mean(), np.where(hit, 1 / ranks, 0).mean()])


# %%
ranks = np.array([1, 3, 12, 2, 50])
_cases = [(ranks, 10), (ranks, 1), (rng.integers(1, 400, size=50), 20), (rng.integers(1, 30, size=7), 5)]
check_function(
    metrics_at_k,
    [((r, k), np.array([hit_rate(r, k), ndcg(r, k), mrr(r, k)])) for r, k in _cases],
    hint="hit = ranks <= k; then hit.mean(), np.where(hit, 1 / np.log2(ranks + 1), 0).mean(), "
         "np.where(hit, 1 / ranks, 0).mean()",
)

# %% [markdown]
# ### Exercise 2 — pessimistic ranks

# %%
def pessimistic_ranks(scores, targets, candidates):
    """(B,) ranks from 1: 1 + number of competing candidates scored >= the target."""
    target_scores = scores[np.arange(len(targets)), targets]  # (B,)
    return 1 + ((scores >= target_scores[:, None]) & candidates).sum(axis=1)  # (B,)


# %%
_scores = rng.integers(0, 4, size=(6, 9)).astype(float)  # small integers: many ties
_targets = rng.integers(0, 9, size=6)
_candidates = rng.random((6, 9)) < 0.8
_candidates[np.arange(6), _targets] = False  # the target never competes with itself
check_function(
    pessimistic_ranks,
    [((_scores, _targets, _candidates), ranks_from_scores(_scores, _targets, _candidates)),
     ((np.zeros((2, 5)), np.array([0, 3]), np.arange(5) != np.array([[0], [3]])), np.array([5, 5]))],
    hint="target_scores = scores[np.arange(len(targets)), targets]; "
         "1 + ((scores >= target_scores[:, None]) & candidates).sum(axis=1)",
)

# %% [markdown]
# ### Exercise 3 — Markov transition counts

# %%
prepared = prepare()
split, n_items = prepared.split, prepared.n_items


def transitions_from(a, train):
    """(n_items + 1,) int counts of a -> i transitions in the training sequences."""
    counts = np.zeros(n_items + 1, dtype=np.int64)
    for items in train.values():
        for previous, following in zip(items[:-1], items[1:]):
            if previous == a:
                counts[following] += 1
    return counts


# %%
markov = MarkovRecommender().fit(split.train, n_items)
_item = split.train[1][-1]  # the last training item of user 1
check_equal(
    transitions_from(_item, split.train),
    np.floor(markov.score([[_item]])[0]).astype(np.int64),
    name="transitions_from",
    hint="loop over each sequence's neighbouring pairs zip(items[:-1], items[1:]) and count the pairs (a, i)",
)

# %% [markdown]
# ### Exercise 4 — the expected sampled rank
# Each of the $m$ negatives beats the target with probability $p = (r-1)/n$, so the number that do is
# $\operatorname{Binomial}(m, p)$ with mean $mp$.

# %%
def expected_sampled_rank(full_rank, n_others, n_negatives=100):
    """E[1 + number of the n_negatives sampled items that beat the target]."""
    return 1 + n_negatives * (full_rank - 1) / n_others


# %%
def simulated_sampled_rank(full_rank, n_others, n_negatives=100, n_users=20_000):
    """Mean sampled rank over n_users copies of one target at `full_rank`, by minishop's sampler."""
    target = n_others + 1  # items 1..n_others are the others; item k has score -k, so items < full_rank beat it
    scores = -np.arange(n_others + 2, dtype=float)  # (n_others + 2,) column 0 is padding
    scores[target] = -(full_rank - 0.5)
    negatives = protocols.sample_negatives([[]] * n_users, [target] * n_users, n_others + 1, n_negatives, seed=0)
    candidate_scores = scores[np.concatenate([np.full((n_users, 1), target), negatives], axis=1)]  # (U, 1 + m)
    competes = np.ones(candidate_scores.shape, dtype=bool)
    competes[:, 0] = False
    return ranks_from_scores(candidate_scores, np.zeros(n_users, dtype=np.int64), competes).mean()


check_function(
    expected_sampled_rank,
    [((31, 300), simulated_sampled_rank(31, 300)), ((1, 100), simulated_sampled_rank(1, 100)),
     ((201, 1000), simulated_sampled_rank(201, 1000)), ((41, 80, 10), simulated_sampled_rank(41, 80, 10))],
    atol=0.15, rtol=0,
    hint="each negative beats the target with probability (full_rank - 1) / n_others; "
         "the expected count among n_negatives draws is n_negatives times that",
)
