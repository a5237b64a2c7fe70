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

sys.path.insert(0, "..")  # lessons/, where the checks live (this notebook runs in lessons/solutions/)
import minishop
from minishop.data import prepare
from checks.lesson09 import (check_expected_sampled_rank, check_metrics_at_k, check_pessimistic_ranks, check_quiz,
                             check_transitions_from)

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
check_metrics_at_k(metrics_at_k)  # against minishop.eval's hit_rate, ndcg and mrr

# %% [markdown]
# ### Exercise 2 — pessimistic ranks

# %%
def pessimistic_ranks(scores, targets, candidates):
    """(B,) ranks from 1: 1 + number of competing candidates scored >= the target."""
    target_scores = scores[np.arange(len(targets)), targets]  # (B,)
    return 1 + ((scores >= target_scores[:, None]) & candidates).sum(axis=1)  # (B,)


# %%
check_pessimistic_ranks(pessimistic_ranks)  # against minishop.eval.ranks_from_scores, on many ties

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
check_transitions_from(transitions_from, split.train, n_items)  # against MarkovRecommender's counts

# %% [markdown]
# ### Exercise 4 — the expected sampled rank
# Each of the $m$ negatives beats the target with probability $p = (r-1)/n$, so the number that do is
# $\operatorname{Binomial}(m, p)$ with mean $mp$.

# %%
def expected_sampled_rank(full_rank, n_others, n_negatives=100):
    """E[1 + number of the n_negatives sampled items that beat the target]."""
    return 1 + n_negatives * (full_rank - 1) / n_others


# %%
check_expected_sampled_rank(expected_sampled_rank)  # against a simulation with minishop's own sampler

# %% [markdown]
# ## Reflection — answers
#
# 1. A sampled hit@10 needs fewer than 10 of the 100 negatives to beat the target, so the target must
#    roughly be in the top 10% of the catalogue: full rank below about 10,000 of 100,000. HR@10 = 0.85 means
#    85% of targets are in the top ~10,000 — far outside any list a shopper sees. Not impressive without
#    the full-ranking number.
# 2. Excluding history is right when a shopper rarely buys the same thing twice (a phone, a sofa): showing
#    it again wastes a slot. It is wrong for repeat consumption (groceries, printer ink, songs, re-watched
#    videos), where the best recommendation is often something already bought; there the evaluator must
#    keep history items as candidates, or the metric punishes exactly the right answer.
# 3. That the gap is larger than the noise: evaluate over several training seeds and report the spread;
#    compute a confidence interval over users (a bootstrap, or a paired test on per-user NDCG, since both
#    models rank the same targets); check the margin on the validation split too; and make sure the model's
#    settings were not tuned on the test items.

# %% [markdown]
# ## Quiz

# %%
quiz_answers = {1: "c", 2: "b", 3: "a", 4: "b"}

# %%
check_quiz(quiz_answers)
