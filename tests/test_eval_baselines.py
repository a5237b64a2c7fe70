"""The three baselines on tiny hand-made data, and through the evaluator."""

from types import SimpleNamespace

import numpy as np
import pytest

from minishop.eval import ItemKNNRecommender, MarkovRecommender, PopularRecommender, evaluate_all


def test_popular_ranks_by_training_count():
    train = {1: [1, 2, 2], 2: [2, 3], 3: [5, 3, 2]}
    scores = PopularRecommender().fit(train, n_items=6).score([[1], [], [4, 4]])
    assert scores.shape == (3, 7)
    for row in scores:
        assert row.tolist() == [0, 1, 4, 2, 0, 1, 0]


def test_markov_predicts_the_observed_successor():
    train = {1: [1, 2, 3], 2: [1, 2, 4], 3: [1, 3], 4: [5]}  # 1->2 twice, 1->3, 2->3, 2->4
    markov = MarkovRecommender().fit(train, n_items=6)
    popularity = np.array([0, 3, 2, 2, 1, 1, 0]) / 4  # counts / (max count + 1)
    scores = markov.score([[5, 1], [2], [4], []])
    assert scores.shape == (4, 7)
    assert np.allclose(scores[0], popularity + [0, 0, 2, 1, 0, 0, 0])  # after item 1: 2 first, then 3
    assert np.allclose(scores[1], popularity + [0, 0, 0, 1, 1, 0, 0])  # after 2: 3 and 4, 3 more popular
    assert np.argmax(scores[0]) == 2
    assert np.allclose(scores[2], popularity)  # item 4 was never followed: back off to popularity
    assert np.allclose(scores[3], popularity)  # empty history: popularity


def test_itemknn_similarities_by_hand():
    # users with each item: c(1) = 2, c(2) = 3, c(3) = 1, c(4) = 1; together: c(1,2) = 2, c(1,3) = c(2,3) = c(2,4) = 1
    train = {1: [1, 2, 3], 2: [1, 2, 1], 3: [2, 4]}
    knn = ItemKNNRecommender(n_neighbors=100, n_last=5, decay=1.0).fit(train, n_items=5)
    scores = knn.score([[3], [1, 4], [3, 3]])
    tolerance = 2e-6  # the popularity tie-break adds less than 1e-6
    assert scores[0] == pytest.approx([0, 1 / np.sqrt(2), 1 / np.sqrt(3), 0, 0, 0], abs=tolerance)
    # history [1, 4]: item 2 is similar to both (2/sqrt(6) + 1/sqrt(3)), item 3 to item 1 only
    assert scores[1] == pytest.approx([0, 0, 2 / np.sqrt(6) + 1 / np.sqrt(3), 1 / np.sqrt(2), 0, 0], abs=tolerance)
    assert np.array_equal(scores[2], scores[0])  # a repeated item counts once
    # with no similarity at all (empty history), items come out in popularity order: 1 and 2 (3 each), 3, 4, 5
    empty = knn.score([[]])[0]
    assert empty[1] == empty[2] > empty[3] == empty[4] > empty[5] == 0


def test_itemknn_weighs_recent_items_more():
    train = {1: [1, 2, 3], 2: [1, 2, 1], 3: [2, 4]}
    scores = ItemKNNRecommender(decay=0.5).fit(train, n_items=5).score([[1, 4]])[0]
    # item 4 is the most recent (weight 1), item 1 one step older (weight 0.5)
    assert scores[2] == pytest.approx(1 / np.sqrt(3) + 0.5 * 2 / np.sqrt(6), abs=2e-6)
    assert scores[3] == pytest.approx(0.5 / np.sqrt(2), abs=2e-6)


def test_itemknn_keeps_only_the_nearest_neighbours_and_the_last_items():
    train = {1: [1, 2, 3], 2: [1, 2, 1], 3: [2, 4]}
    nearest_only = ItemKNNRecommender(n_neighbors=1).fit(train, n_items=5).score([[2]])[0]
    assert nearest_only[1] == pytest.approx(2 / np.sqrt(6), abs=2e-6)  # 1 is 2's nearest neighbour
    assert nearest_only[3] < 1e-6 and nearest_only[4] < 1e-6  # 3 and 4 (1/sqrt(3) each) were dropped
    last_only = ItemKNNRecommender(n_last=1).fit(train, n_items=5).score([[4, 3]])[0]
    assert last_only[2] == pytest.approx(1 / np.sqrt(3), abs=2e-6)  # only item 3 counts, not 4


def test_baselines_through_the_evaluator_on_a_deterministic_chain():
    # every user walks the cycle 1 -> 2 -> ... -> 30 -> 1 from a different start: Markov is perfect
    n_items, train, valid, test = 30, {}, {}, {}
    for user in range(1, 41):
        walk = [(user + step) % n_items + 1 for step in range(6)]
        train[user], valid[user], test[user] = walk[:4], walk[4], walk[5]
    split = SimpleNamespace(train=train, valid=valid, test=test, n_users=40, n_items=n_items)
    markov = evaluate_all(MarkovRecommender().fit(train, n_items), split, ks=(1, 10), progress=False)
    assert markov["full"]["HR@1"] == 1.0 and markov["sampled"]["HR@1"] == 1.0
    knn = evaluate_all(ItemKNNRecommender(n_last=1).fit(train, n_items), split, ks=(1, 10), progress=False)
    assert knn["full"]["HR@10"] == 1.0  # the successor co-occurs with the last item
    popular = PopularRecommender().fit(train, n_items)
    assert evaluate_all(popular, split, ks=(10,), progress=False)["full"]["NDCG@10"] < 0.5
    same_list = evaluate_all(popular, split, ks=(10,), exclude_history=False, progress=False)
    assert same_list["full"]["coverage@10"] == pytest.approx(10 / 30)  # everyone gets the same 10 items
    assert same_list["full"]["popularity@10"] == pytest.approx(1 / 10)  # 1% of 30 -> 1 item, in every list
