"""The fast full-ranking path gives exactly the ranks and top-K lists of its plain reading (pessimistic ties)."""

import numpy as np
import pytest

from minishop.eval import protocols


def _case(seed, n_users=37, n_items=211, tie_levels=7):
    rng = np.random.default_rng(seed)
    scores = np.round(rng.standard_normal((n_users, n_items + 1)) * tie_levels / 3).astype(np.float32)  # many ties
    scores[:, 0] = -np.inf
    targets = rng.integers(1, n_items + 1, size=n_users)
    histories = [rng.integers(1, n_items + 1, size=rng.integers(0, 30)).tolist() for _ in range(n_users)]
    histories[0] = histories[0] + [int(targets[0])] * 2  # the target as a repeat, twice
    histories[1] = []  # no history at all
    return scores, histories, targets


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("exclude_history", [True, False])
def test_full_ranking_equals_the_plain_mask_path(seed, exclude_history):
    scores, histories, targets = _case(seed)
    fast_ranks, fast_top = protocols.full_ranking(scores, histories, targets, exclude_history, 20)
    plain_ranks, plain_top = protocols.full_ranking_plain(scores, histories, targets, exclude_history, 20)
    np.testing.assert_array_equal(fast_ranks, plain_ranks)
    np.testing.assert_array_equal(fast_top, plain_top)
    assert fast_ranks.dtype == np.int64


@pytest.mark.parametrize("k", [1, 5, 20])
def test_top_k_is_a_stable_full_sort_of_each_row(k):
    scores, _, _ = _case(3, n_users=50, n_items=500, tie_levels=3)
    scores[7] = 1.0  # a row of ties: the first columns win
    scores[8, 1:400] = -np.inf  # a row with few finite scores
    np.testing.assert_array_equal(protocols.top_k(scores, k), np.argsort(-scores, axis=1, kind="stable")[:, :k])


def test_full_ranking_hand_example():
    scores = np.array([[-np.inf, 0.5, 0.9, 0.5, 0.1, 0.7]], dtype=np.float32)  # items 1..5
    # target 1 (0.5): item 2 (0.9) and item 3 (0.5, a tie, pessimistic) beat it; item 5 (0.7) is history
    ranks, top = protocols.full_ranking(scores, [[5, 5]], np.array([1]), True, 3)
    assert ranks.tolist() == [3]
    assert top.tolist() == [[2, 1, 3]]
