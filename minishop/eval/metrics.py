"""Ranking metrics for next-item recommendation.

Everything starts from the RANK of the held-out item (the "target") among the candidates a
recommender scored, counted from 1:

    rank = 1 + #{candidates c != target : score[c] >= score[target]}

The `>=` makes ties PESSIMISTIC: a candidate tied with the target is ranked above it. A model that
gives every item the same score therefore gets the worst rank, not a lucky one.

From the ranks of U users, with [.] the indicator and K the length of the recommended list:

    HR@K   = 1/U  sum_u [rank_u <= K]                       hit rate: was the target in the top K?
    NDCG@K = 1/U  sum_u [rank_u <= K] / log2(rank_u + 1)    one relevant item, so the ideal DCG is 1
    MRR@K  = 1/U  sum_u [rank_u <= K] / rank_u              reciprocal rank, cut at K

Two more describe the recommended lists themselves rather than their accuracy:

    coverage@K   = |union of all users' top-K lists| / n_items
    popularity@K = share of the U*K recommended slots filled by the top-1% most popular training items

Functions here take arrays of the active backend (`xp`, NumPy or CuPy) for scores and return
plain Python floats.
"""

import math

from minishop import backend


def ranks_from_scores(scores, targets, candidates):
    """The pessimistic rank (from 1) of each user's target among that user's candidates.

    scores:     (B, N) float, one row of scores per user
    targets:    (B,) int, the column of each user's target in `scores`
    candidates: (B, N) bool, True where a column competes with the target; the target's own column
                and excluded columns (padding, history) are False
    returns     (B,) int64, 1 + the number of candidates scored >= the target
    """
    xp = backend.xp()
    rows = xp.arange(scores.shape[0])
    target_scores = scores[rows, targets]  # (B,)
    beats_or_ties = (scores >= target_scores[:, None]) & candidates  # (B, N)
    return 1 + beats_or_ties.sum(axis=1).astype(xp.int64)  # (B,)


def hit_rate(ranks, k):
    """HR@K = mean over users of [rank <= K]."""
    ranks = backend.to_numpy(ranks)
    return float((ranks <= k).mean())


def ndcg(ranks, k):
    """NDCG@K = mean over users of [rank <= K] / log2(rank + 1), with rank counted from 1."""
    np = backend.np
    ranks = backend.to_numpy(ranks).astype(np.float64)
    gains = np.where(ranks <= k, 1.0 / np.log2(ranks + 1.0), 0.0)
    return float(gains.mean())


def mrr(ranks, k):
    """MRR@K = mean over users of [rank <= K] / rank."""
    np = backend.np
    ranks = backend.to_numpy(ranks).astype(np.float64)
    return float(np.where(ranks <= k, 1.0 / ranks, 0.0).mean())


def coverage(top_items, n_items):
    """coverage@K = |set of items in any top-K list| / n_items.

    top_items: (U, K) int, each user's recommended item ids (1..n_items)
    """
    np = backend.np
    top_items = backend.to_numpy(top_items)
    return len(np.unique(top_items)) / n_items


def most_popular_items(train_sequences, n_items, share=0.01):
    """The ceil(share * n_items) item ids with the most training interactions (ties: smaller id first).

    train_sequences: dict user -> list of item ids. Returns a sorted (P,) int64 NumPy array.
    """
    np = backend.np
    counts = item_counts(train_sequences, n_items)  # (n_items + 1,)
    n_popular = max(1, math.ceil(share * n_items))
    by_count = np.argsort(-counts[1:], kind="stable") + 1  # item ids, most popular first
    return np.sort(by_count[:n_popular])


def item_counts(train_sequences, n_items):
    """How many times each item id 0..n_items occurs in the training sequences: (n_items + 1,) int64."""
    np = backend.np
    all_items = np.asarray([item for items in train_sequences.values() for item in items], dtype=np.int64)
    if all_items.size and (all_items.min() < 1 or all_items.max() > n_items):
        raise ValueError(
            f"item_counts(train_sequences, n_items={n_items}): item ids must lie in 1..{n_items}, "
            f"found ids from {all_items.min()} to {all_items.max()}"
        )
    return np.bincount(all_items, minlength=n_items + 1)  # (n_items + 1,)


def popularity_bias(top_items, popular_items):
    """popularity@K = share of recommended slots holding one of `popular_items`.

    top_items: (U, K) int recommended ids; popular_items: (P,) int ids (e.g. the top 1%).
    """
    np = backend.np
    top_items = backend.to_numpy(top_items)
    if top_items.size == 0:
        return 0.0
    return float(np.isin(top_items, backend.to_numpy(popular_items)).mean())


def ranking_metrics(ranks, ks):
    """{"NDCG@K": .., "HR@K": .., "MRR@K": ..} for every K in ks, from one array of ranks."""
    results = {}
    for k in ks:
        results[f"NDCG@{k}"] = ndcg(ranks, k)
        results[f"HR@{k}"] = hit_rate(ranks, k)
        results[f"MRR@{k}"] = mrr(ranks, k)
    return results
