"""Checks for lesson 9 (evaluating recommendations), against `minishop.eval` on seeded inputs.

The metrics are checked against `hit_rate`, `ndcg` and `mrr` on ranks that include 1, K, K + 1 and far
misses; the ranks against `ranks_from_scores` on scores full of ties; the Markov counts against
`MarkovRecommender`; the expected sampled rank against a simulation with the evaluator's own sampler.
`library_metrics_at_k` and `ranks_from_scores` are the fallbacks lesson 13 uses for these pieces.
"""

import numpy as np

from minishop.eval import MarkovRecommender, hit_rate, mrr, ndcg, protocols, ranks_from_scores

from . import check_function, quiz


def library_metrics_at_k(ranks, k):
    """np.array([HR@k, NDCG@k, MRR@k]) from minishop.eval."""
    return np.array([hit_rate(ranks, k), ndcg(ranks, k), mrr(ranks, k)])


def check_metrics_at_k(metrics_at_k):
    """[HR@k, NDCG@k, MRR@k] against minishop.eval on ranks at and around the cut-off."""
    rng = np.random.default_rng(90)
    cases = [(np.array([1, 3, 12, 2, 50]), 10), (np.array([1, 3, 12, 2, 50]), 1), (np.array([5, 6, 4, 5]), 5),
             (rng.integers(1, 400, size=50), 20), (rng.integers(1, 30, size=7), 5)]
    return check_function(
        "metrics_at_k", metrics_at_k,
        [((r, k), library_metrics_at_k(r, k)) for r, k in cases],
        points=3,
        hints=("A user counts only if the target's rank is at most k; every other user adds 0 to all three.",
               "Ranks count from 1, and a hit at rank 1 is worth exactly 1 in NDCG: check log2 of what.",
               "All three are means over ALL users (hits and misses), not over the hits."),
    )


def check_pessimistic_ranks(pessimistic_ranks):
    """Ranks from scores full of ties against minishop.eval.ranks_from_scores."""
    rng = np.random.default_rng(91)
    scores = rng.integers(0, 4, size=(6, 9)).astype(float)  # small integers: many ties
    targets = rng.integers(0, 9, size=6)
    candidates = rng.random((6, 9)) < 0.8
    candidates[np.arange(6), targets] = False  # the target never competes with itself
    constant_candidates = np.arange(5) != np.array([[0], [3]])
    return check_function(
        "pessimistic_ranks", pessimistic_ranks,
        [((scores, targets, candidates), ranks_from_scores(scores, targets, candidates)),
         ((np.zeros((2, 5)), np.array([0, 3]), constant_candidates), np.array([5, 5]))],
        points=2, atol=0, rtol=0,
        hints=("A constant scorer must get the WORST rank: a candidate tied with the target counts as above it.",
               "Only columns where `candidates` is True compete; the rank starts at 1."),
    )


def check_transitions_from(transitions_from, train, n_items):
    """Counts of a -> i in the training sequences against MarkovRecommender's integer part."""
    markov = MarkovRecommender().fit(train, n_items)
    users = sorted(train)
    items = [train[users[1]][-1], train[users[len(users) // 2]][0]]  # two items, one seen at a history's start

    def expected(item):
        return np.floor(markov.score([[item]])[0]).astype(np.int64)  # (n_items + 1,)

    return check_function(
        "transitions_from", transitions_from,
        [((item, train), expected(item)) for item in items],
        points=2, atol=0, rtol=0,
        hints=("Count only DIRECT successions: item i right after item a in the same user's sequence.",
               "Walk each sequence's neighbouring pairs (previous, next) and add one at `next` when "
               "`previous` is a; the result has one entry per item id 0..n_items."),
    )


def simulated_sampled_rank(full_rank, n_others, n_negatives=100, n_users=20_000):
    """Mean sampled rank over n_users copies of one target at `full_rank`, by minishop's own sampler."""
    target = n_others + 1  # items 1..n_others are the others; item k has score -k, so items < full_rank beat it
    scores = -np.arange(n_others + 2, dtype=float)  # (n_others + 2,) column 0 is padding
    scores[target] = -(full_rank - 0.5)
    negatives = protocols.sample_negatives([[]] * n_users, [target] * n_users, n_others + 1, n_negatives, seed=0)
    candidate_scores = scores[np.concatenate([np.full((n_users, 1), target), negatives], axis=1)]  # (U, 1 + m)
    competes = np.ones(candidate_scores.shape, dtype=bool)
    competes[:, 0] = False
    return ranks_from_scores(candidate_scores, np.zeros(n_users, dtype=np.int64), competes).mean()


def check_expected_sampled_rank(expected_sampled_rank):
    """The formula against a simulation with minishop's sampler and rank function."""
    cases = [(31, 300), (1, 100), (201, 1000), (41, 80, 10)]
    return check_function(
        "expected_sampled_rank", expected_sampled_rank,
        [(case, simulated_sampled_rank(*case)) for case in cases],
        points=2, atol=0.15, rtol=0,
        hints=("Each negative independently beats the target with one fixed probability: how many of the "
               "n_others beat it, out of n_others?",
               "full_rank - 1 items beat the target (rank 1 = nobody beats it); the rank is 1 plus the expected "
               "number of winners among the draws."),
    )


def check_quiz(answers):
    """Lesson 9's quiz: one letter per question."""
    return quiz("quiz09", answers, {1: "c", 2: "b", 3: "a", 4: "b"}, points=2,
                hints=("Each question matches a section: ties (2), sampled metrics (4), baselines (3), coverage (5).",))

