"""Ranking metrics against hand-computed examples, ties included."""

import math

import numpy as np
import pytest

from minishop.eval import metrics


def test_ranks_are_pessimistic_about_ties():
    scores = np.array([
        [9.0, 0.5, 0.9, 0.5, 0.1, 0.2],  # target 1 (0.5): item 2 beats it, item 3 ties -> rank 3
        [9.0, 0.1, 0.2, 0.3, 0.7, 0.4],  # target 4 is the best -> rank 1
        [9.0, 0.3, 0.3, 0.3, 0.3, 0.3],  # all tied: every other candidate ranks above -> rank 5
    ])
    targets = np.array([1, 4, 2])
    candidates = np.ones(scores.shape, dtype=bool)
    candidates[:, 0] = False  # column 0 (padding, huge score) never competes
    candidates[np.arange(3), targets] = False
    assert metrics.ranks_from_scores(scores, targets, candidates).tolist() == [3, 1, 5]


def test_ranks_ignore_non_candidates():
    scores = np.array([[0.0, 0.8, 0.9, 0.5, 0.1]])
    candidates = np.array([[False, False, False, False, True]])  # only item 4 competes
    assert metrics.ranks_from_scores(scores, np.array([3]), candidates).tolist() == [1]
    candidates[0, 2] = True  # item 2 (0.9 > 0.5) now competes
    assert metrics.ranks_from_scores(scores, np.array([3]), candidates).tolist() == [2]


def test_hr_ndcg_mrr_on_three_users_by_hand():
    ranks = np.array([1, 3, 12])
    # HR@10: users 1 and 2 hit -> 2/3. NDCG@10: (1/log2(2) + 1/log2(4) + 0) / 3 = (1 + 0.5) / 3.
    assert metrics.hit_rate(ranks, 10) == pytest.approx(2 / 3)
    assert metrics.ndcg(ranks, 10) == pytest.approx(0.5)
    assert metrics.mrr(ranks, 10) == pytest.approx((1 + 1 / 3) / 3)
    # K = 2 keeps only the first user; K = 20 keeps all three.
    assert metrics.hit_rate(ranks, 2) == pytest.approx(1 / 3)
    assert metrics.ndcg(ranks, 2) == pytest.approx(1 / 3)
    assert metrics.mrr(ranks, 20) == pytest.approx((1 + 1 / 3 + 1 / 12) / 3)
    assert metrics.ndcg(ranks, 20) == pytest.approx((1 + 0.5 + 1 / math.log2(13)) / 3)


def test_ranking_metrics_names_every_k():
    results = metrics.ranking_metrics(np.array([2, 7]), ks=(1, 5))
    assert results == pytest.approx({
        "NDCG@1": 0.0, "HR@1": 0.0, "MRR@1": 0.0,
        "NDCG@5": (1 / math.log2(3)) / 2, "HR@5": 0.5, "MRR@5": 0.25,
    })


def test_coverage_and_popularity_bias():
    top_items = np.array([[1, 2], [2, 3], [2, 7]])
    assert metrics.coverage(top_items, n_items=10) == pytest.approx(4 / 10)
    assert metrics.popularity_bias(top_items, popular_items=np.array([2])) == pytest.approx(3 / 6)
    assert metrics.popularity_bias(top_items, popular_items=np.array([9])) == 0.0


def test_most_popular_items_takes_the_top_share_with_ties_by_id():
    n_items = 150  # 1% -> ceil(1.5) = 2 items
    train = {1: [5, 5, 5, 9], 2: [9, 9, 7], 3: [7, 7, 100]}  # counts: 5 -> 3, 9 -> 3, 7 -> 3, 100 -> 1
    assert metrics.most_popular_items(train, n_items).tolist() == [5, 7]
    assert metrics.most_popular_items(train, n_items, share=0.02).tolist() == [5, 7, 9]


def test_item_counts_rejects_ids_outside_the_catalogue():
    assert metrics.item_counts({1: [1, 3, 3]}, n_items=4).tolist() == [0, 1, 0, 2, 0]
    with pytest.raises(ValueError, match=r"1\.\.4"):
        metrics.item_counts({1: [1, 5]}, n_items=4)
    with pytest.raises(ValueError, match="from 0"):
        metrics.item_counts({1: [0, 2]}, n_items=4)
