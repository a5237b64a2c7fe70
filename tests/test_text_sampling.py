"""Next-token choice: temperature, top-k and top-p never leave their allowed sets."""

import numpy as np
import pytest

from minishop.text.sampling import choose_next_token, next_token_probs, top_k_mask, top_p_mask

LOGITS = np.array([0.3, 2.0, -1.0, 1.5, 0.0, 2.5, -3.0, 1.0, 0.7, -0.2, 0.9])  # 11 tokens, distinct values


def _draws(n=4000, seed=5, **options):
    rng = np.random.default_rng(seed)
    return np.array([choose_next_token(LOGITS, rng, **options) for _ in range(n)])


def test_top_k_draws_stay_in_the_k_best_over_many_draws():
    draws = _draws(top_k=3)
    assert set(draws.tolist()) == {5, 1, 3}  # the three largest logits, and each of them does occur


def test_top_p_draws_stay_in_the_nucleus_over_many_draws():
    probs = np.exp(LOGITS) / np.exp(LOGITS).sum()
    order = np.argsort(-probs)
    cumulative = np.cumsum(probs[order])
    nucleus = set(order[: np.argmax(cumulative >= 0.8) + 1].tolist())  # smallest prefix reaching 0.8
    draws = _draws(top_p=0.8)
    assert set(draws.tolist()) == nucleus
    assert len(nucleus) < len(LOGITS)


def test_top_k_and_top_p_together_take_the_intersection():
    draws = _draws(top_k=4, top_p=0.6, temperature=0.7)
    allowed = np.flatnonzero(next_token_probs(LOGITS, 0.7, 4, 0.6) > 0)
    assert set(draws.tolist()) <= set(allowed.tolist()) and len(allowed) <= 4


def test_kept_probabilities_are_renormalised_softmax():
    probs = next_token_probs(LOGITS, temperature=2.0, top_k=2)
    expected = np.exp(np.array([2.5, 2.0]) / 2.0)
    expected /= expected.sum()
    np.testing.assert_allclose(probs[[5, 1]], expected)
    assert probs.sum() == pytest.approx(1.0) and np.count_nonzero(probs) == 2


def test_top_p_keeps_the_top_token_even_for_tiny_p():
    probs = np.array([0.1, 0.6, 0.3])
    assert top_p_mask(probs, 0.01).tolist() == [False, True, False]
    assert top_p_mask(probs, 0.6).tolist() == [False, True, False]
    assert top_p_mask(probs, 0.61).tolist() == [False, True, True]


def test_top_k_mask_by_hand_and_greedy_is_argmax():
    assert np.flatnonzero(top_k_mask(LOGITS, 2)).tolist() == [1, 5]
    assert choose_next_token(LOGITS, np.random.default_rng(0), greedy=True) == 5


def test_same_seed_same_draws_and_bad_arguments_refused():
    assert (_draws(200, seed=9, top_k=5) == _draws(200, seed=9, top_k=5)).all()
    with pytest.raises(ValueError, match="temperature=0"):
        next_token_probs(LOGITS, temperature=0)
    with pytest.raises(ValueError, match="top_k=0"):
        next_token_probs(LOGITS, top_k=0)
