"""Classification metrics and n-gram baselines, against hand-computed values."""

import math

import numpy as np
import pytest

from minishop.eval import text_metrics as M


def test_confusion_accuracy_and_macro_f1_by_hand():
    true = [0, 0, 0, 1, 1, 2, 2, 2, 2]
    pred = [0, 1, 0, 1, 2, 2, 2, 0, 2]
    assert M.confusion_matrix(true, pred, 3).tolist() == [[2, 1, 0], [0, 1, 1], [1, 0, 3]]
    assert M.accuracy(true, pred) == pytest.approx(6 / 9)
    # per class: F1 = 2TP / (predicted + true): class0 4/(3+3), class1 2/(2+2), class2 6/(4+4)
    assert M.macro_f1(true, pred, 3) == pytest.approx((4 / 6 + 2 / 4 + 6 / 8) / 3)


def test_macro_f1_punishes_always_predicting_the_majority():
    true = [2] * 8 + [0, 1]
    pred = [2] * 10
    assert M.accuracy(true, pred) == pytest.approx(0.8)
    assert M.macro_f1(true, pred, 3) == pytest.approx((0 + 0 + 2 * 8 / 18) / 3)


def test_class_absent_everywhere_is_left_out_of_the_mean():
    assert M.macro_f1([0, 1], [0, 1], 5) == pytest.approx(1.0)


def test_unigram_perplexity_by_hand():
    model = M.UnigramLM(vocab_size=4).fit([[0, 1, 1, 2]])  # counts of predicted tokens: 1:2, 2:1
    probs = np.array([1, 3, 2, 1]) / 7  # add-one smoothing over 3 tokens + 4
    expected = math.exp(-(math.log(probs[1]) + math.log(probs[3])) / 2)
    assert model.perplexity([[0, 1, 3]]) == pytest.approx(expected)


def test_uniform_model_has_perplexity_vocab_size():
    assert M.perplexity(5 * math.log(7), 5) == pytest.approx(7)


def test_bigram_interpolates_with_unigram_and_sums_to_one():
    sequences = [[0, 1, 2, 1, 2, 3], [0, 2, 1, 3]]
    model = M.BigramLM(vocab_size=5, lam=0.6).fit(sequences)
    for previous in range(5):
        total = sum(math.exp(model.log_prob(previous, token)) for token in range(5))
        assert total == pytest.approx(1.0)
    unigram = math.exp(model.unigram.log_probs[2])
    assert math.exp(model.log_prob(1, 2)) == pytest.approx(0.6 * 2 / 3 + 0.4 * unigram)


def test_bigram_beats_unigram_on_predictable_text():
    rng = np.random.default_rng(3)
    train = [[0] + [int(t) for t in np.tile([1, 2, 3, 4], 5)] for _ in range(4)]
    valid = [[0] + [int(t) for t in np.roll(np.tile([1, 2, 3, 4], 3), rng.integers(4))]]
    unigram = M.UnigramLM(6).fit(train).perplexity(valid)
    bigram = M.best_bigram(train, valid, 6).perplexity(valid)
    assert bigram < unigram / 2
