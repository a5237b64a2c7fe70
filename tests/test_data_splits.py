"""Splits, negative sampling and padded batches, on hand-made sequences and on the real Amazon Games file."""

import os

import numpy as np
import pandas as pd
import pytest

from minishop import data
from minishop.data import leave_one_out, pad_left, sample_negatives, temporal_split, training_batches

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AMAZON_GAMES = os.environ.get("MINISHOP_AMAZON_GAMES",
                              os.path.join(REPO, "..", "shared", "data", "amazon-games.txt"))


def test_leave_one_out_like_sasrec():
    sequences = {1: [5, 6, 7, 8], 2: [3, 4], 3: [9, 1, 2], 4: [7]}
    split = leave_one_out(sequences, n_items=9)
    assert split.train == {1: [5, 6], 2: [3, 4], 3: [9], 4: [7]}
    assert split.valid == {1: 7, 3: 1} and split.test == {1: 8, 3: 2}
    assert split.short_users == [2, 4] and split.n_users == 4 and split.n_items == 9
    for user in split.test:  # no leakage: targets never appear as the user's training input at their position
        assert sequences[user] == split.train[user] + [split.valid[user], split.test[user]]


def test_temporal_split_is_one_global_cut():
    times = pd.date_range("2023-01-01", periods=20, freq="D")
    frame = pd.DataFrame({"user": [k % 3 for k in range(20)], "item": range(20), "timestamp": times[::-1],
                          "event": "view"})
    train, valid, test, (valid_start, test_start) = temporal_split(frame, valid_fraction=0.2, test_fraction=0.1)
    assert (len(train), len(valid), len(test)) == (14, 4, 2)
    assert train["timestamp"].max() < valid["timestamp"].min() and valid["timestamp"].max() < test["timestamp"].min()
    assert test_start == pd.Timestamp("2023-01-19")
    with pytest.raises(ValueError, match="fractions"):
        temporal_split(frame, 0.6, 0.5)


def test_pad_left_keeps_the_last_items():
    batch = pad_left([[5, 6, 7], [8], [1, 2, 3, 4, 5, 6], []], max_len=4)
    assert batch.dtype == np.int64 and batch.shape == (4, 4)
    assert batch.tolist() == [[0, 5, 6, 7], [0, 0, 0, 8], [3, 4, 5, 6], [0, 0, 0, 0]]
    with pytest.raises(ValueError, match="max_len"):
        pad_left([[1]], max_len=0)


def test_training_batches_shift_by_one():
    train = {1: [4, 5, 6, 7], 2: [8, 9], 3: [2]}
    batches = list(training_batches(train, max_len=5, batch_size=8, rng=np.random.default_rng(3)))
    assert len(batches) == 1
    users, inputs, targets = batches[0]
    assert sorted(users.tolist()) == [1, 2]  # user 3 has nothing to predict
    row = users.tolist().index(1)
    assert inputs[row].tolist() == [0, 0, 4, 5, 6] and targets[row].tolist() == [0, 0, 5, 6, 7]


@pytest.mark.parametrize("weighted", [False, True])
def test_negatives_exclude_own_items(weighted):
    n_items = 23
    positives = [[1, 2, 3], list(range(1, 21)), [], [7]]
    weights = data.popularity([[1, 2, 2, 5], [5, 5, 9]], n_items) + 0.5 if weighted else None
    negatives = sample_negatives(positives, n_items, n_negatives=11, rng=np.random.default_rng(0), weights=weights)
    assert negatives.shape == (4, 11) and negatives.dtype == np.int64
    assert negatives.min() >= 1 and negatives.max() <= n_items
    for row, own in enumerate(positives):
        assert not set(negatives[row].tolist()) & set(own)
    assert set(negatives[1].tolist()) <= {21, 22, 23}


def test_popularity_sampling_follows_weights():
    weights = np.zeros(6)
    weights[[2, 5]] = [1.0, 3.0]  # only items 2 and 5 can be drawn, 5 three times as often
    negatives = sample_negatives([[1]] * 400, 5, n_negatives=10, rng=np.random.default_rng(1), weights=weights)
    counts = np.bincount(negatives.ravel(), minlength=6)
    assert counts[[0, 1, 3, 4]].sum() == 0 and 2.6 < counts[5] / counts[2] < 3.4


def test_negatives_impossible_request_is_an_error():
    with pytest.raises(ValueError, match="too few items"):
        sample_negatives([[1], [1, 2, 3, 4]], 4, n_negatives=2, rng=np.random.default_rng(0))
    only_one_left = sample_negatives([[1, 2, 3]], 4, n_negatives=5, rng=np.random.default_rng(0))
    assert only_one_left.tolist() == [[4, 4, 4, 4, 4]]  # with replacement


@pytest.mark.skipif(not os.path.exists(AMAZON_GAMES), reason=f"{AMAZON_GAMES} is absent")
def test_amazon_games_leave_one_out_counts():
    prepared = data.prepare(AMAZON_GAMES, format="sasrec")
    split = prepared.split
    assert prepared.n_users == 31013 and prepared.n_items == 23715
    assert len(split.valid) == len(split.test) == 30901 and len(split.short_users) == 112
    assert all(len(split.train[u]) == len(prepared.sequences[u]) for u in split.short_users)
    assert sum(len(s) for s in prepared.sequences.values()) == 287107
    assert prepared.item_ids[23715] == 23715 and prepared.user_ids[1] == 1  # ids 1..n map to themselves
    assert prepared.report.rows_in == 287107 and prepared.report.rows_out == 287107


def test_popularity_counts_the_items_of_a_user_dict_not_its_keys():
    from minishop.data.sampling import popularity

    as_dict = popularity({1: [2, 3], 2: [3]}, 3)
    as_list = popularity([[2, 3], [3]], 3)
    assert as_dict.tolist() == as_list.tolist() == [0.0, 0.0, 1.0, 2.0]
