"""The full and sampled protocols on small hand-made leave-one-out splits."""

from types import SimpleNamespace

import numpy as np
import pytest

from minishop.eval import evaluate, evaluate_all, format_table
from minishop.eval.protocols import evaluation_cases, sample_negatives, top_k


def make_split(train, valid, test, n_items):
    return SimpleNamespace(train=train, valid=valid, test=test, n_users=len(train), n_items=n_items)


class TableRecommender:
    """Scores looked up by the history's tuple; records the histories it was asked about."""

    def __init__(self, table, n_items):
        self.table, self.n_items, self.seen = table, n_items, []

    def score(self, histories):
        self.seen.extend(tuple(h) for h in histories)
        return np.stack([np.asarray(self.table[tuple(h)], dtype=np.float32) for h in histories])


class OracleRecommender:
    """Knows the target of each history: scores it 1, everything else 0."""

    def __init__(self, answers, n_items):
        self.answers, self.n_items = answers, n_items

    def score(self, histories):
        scores = np.zeros((len(histories), self.n_items + 1))
        scores[np.arange(len(histories)), [self.answers[tuple(h)] for h in histories]] = 1.0
        return scores


class RandomRecommender:
    def __init__(self, n_items, seed):
        self.n_items, self.rng = n_items, np.random.default_rng(seed)

    def score(self, histories):
        return self.rng.random((len(histories), self.n_items + 1))


# Three users, six items. Test stage: history = train + [valid], target = test.
TOY = make_split(train={1: [1, 2], 2: [3], 3: [4, 5]}, valid={1: 3, 2: 4, 3: 6}, test={1: 4, 2: 6, 3: 1}, n_items=6)
TOY_SCORES = {
    (1, 2, 3): [0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4],  # target 4 (0.6): 1, 2, 3 above it, but all history
    (3, 4): [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.5],  # target 6 (0.5): item 5 ties (pessimistic)
    (4, 5, 6): [0, 0.3, 0.3, 0.3, 0.9, 0.2, 0.1],  # target 1 (0.3): 2 and 3 tie, 4 is history
}


def test_full_protocol_by_hand_with_history_excluded():
    result = evaluate(TableRecommender(TOY_SCORES, 6), TOY, protocol="full", ks=(1, 2, 3), progress=False)
    # ranks: user 1 -> 1 (items 1-3 excluded), user 2 -> 2 (item 5 ties), user 3 -> 3 (2 and 3 tie; 4 excluded)
    assert result["HR@1"] == pytest.approx(1 / 3)
    assert result["HR@2"] == pytest.approx(2 / 3)
    assert result["NDCG@3"] == pytest.approx((1 + 1 / np.log2(3) + 1 / np.log2(4)) / 3)
    assert result["MRR@3"] == pytest.approx((1 + 1 / 2 + 1 / 3) / 3)
    assert (result["protocol"], result["stage"], result["n_users"], result["exclude_history"]) == ("full", "test", 3, True)
    # top-1 lists: user 1 -> 4, user 2 -> 5 or 6 (tied), user 3 -> 1, 2 or 3 (4 is history)
    assert result["coverage@1"] == pytest.approx(3 / 6)


def test_full_protocol_with_history_kept():
    result = evaluate(TableRecommender(TOY_SCORES, 6), TOY, protocol="full", ks=(5,), exclude_history=False,
                      progress=False)
    # ranks: user 1 -> 4 (1, 2, 3 above), user 2 -> 2, user 3 -> 4 (2, 3 tie, 4 above)
    assert result["MRR@5"] == pytest.approx((1 / 4 + 1 / 2 + 1 / 4) / 3)
    assert result["exclude_history"] is False


def test_return_ranks_gives_each_users_rank_on_the_host():
    result, user_ids, ranks = evaluate(TableRecommender(TOY_SCORES, 6), TOY, ks=(1, 2, 3), batch_size=2,
                                       progress=False, return_ranks=True)
    assert user_ids == [1, 2, 3]
    assert isinstance(ranks, np.ndarray) and ranks.dtype == np.int64 and ranks.tolist() == [1, 2, 3]  # by hand above
    assert result == evaluate(TableRecommender(TOY_SCORES, 6), TOY, ks=(1, 2, 3), progress=False)
    _, user_ids, ranks = evaluate(TableRecommender(TOY_SCORES, 6), TOY, ks=(5,), exclude_history=False,
                                  users=[3, 1], progress=False, return_ranks=True)
    assert user_ids == [3, 1] and ranks.tolist() == [4, 4]  # history kept: ranks as in the test above


def test_repeated_target_stays_a_candidate_when_history_is_excluded():
    split = make_split(train={1: [2, 1]}, valid={}, test={1: 2}, n_items=4)
    recommender = TableRecommender({(2, 1): [0, 0.9, 0.8, 0.1, 0.2]}, 4)
    result = evaluate(recommender, split, ks=(1,), progress=False)
    assert result["HR@1"] == 1.0  # item 1 (history) is excluded, item 2 is the target despite being history


def test_stages_use_the_sasrec_histories():
    recommender = TableRecommender({(1, 2): [0] * 7, (3,): [0] * 7, (4, 5): [0] * 7, **TOY_SCORES}, 6)
    evaluate(recommender, TOY, stage="valid", ks=(1,), progress=False)
    assert recommender.seen == [(1, 2), (3,), (4, 5)]
    user_ids, histories, targets = evaluation_cases(TOY, "test")
    assert user_ids == [1, 2, 3]
    assert histories == [[1, 2, 3], [3, 4], [4, 5, 6]]
    assert targets.tolist() == [4, 6, 1]


def test_sampled_negatives_never_touch_the_users_items():
    rng = np.random.default_rng(3)
    n_items = 13
    histories = [list(rng.choice(np.arange(1, n_items + 1), size=size, replace=False)) for size in (0, 4, 9, 11)]
    targets = np.array([5, 1, 13, 7])
    negatives = sample_negatives(histories, targets, n_items, n_negatives=3000, seed=7)
    assert negatives.shape == (4, 3000)
    for history, target, drawn in zip(histories, targets, negatives):
        never_touched = set(range(1, n_items + 1)) - set(history) - {int(target)}
        assert set(drawn.tolist()) == never_touched  # only untouched items, and every one of them
        counts = np.bincount(drawn, minlength=n_items + 1)[sorted(never_touched)]
        expected = 3000 / len(never_touched)
        assert np.all(np.abs(counts - expected) < 5 * np.sqrt(expected))  # uniform


def test_sampling_fails_clearly_when_nothing_is_left():
    with pytest.raises(ValueError, match="touched all 3 items"):
        sample_negatives([[1, 2]], np.array([3]), n_items=3, n_negatives=5, seed=0)


def test_sampled_protocol_by_hand():
    split = make_split(train={1: [1, 2], 2: [7, 8]}, valid={1: 3, 2: 9}, test={1: 6, 2: 10}, n_items=12)

    class ItemIdScores:  # score = item id: rank = 1 + #negatives with an id >= the target's
        def score(self, histories):
            return np.tile(np.arange(13.0), (len(histories), 1))

    result = evaluate(ItemIdScores(), split, protocol="sampled", ks=(1, 4), n_negatives=10, seed=5, progress=False)
    negatives = sample_negatives([[1, 2, 3], [7, 8, 9]], np.array([6, 10]), 12, 10, seed=5)
    expected_ranks = 1 + (negatives > np.array([[6], [10]])).sum(axis=1)
    assert 1 < expected_ranks.max() and expected_ranks.min() <= 4  # the example is not degenerate
    assert result["MRR@4"] == pytest.approx(np.mean(np.where(expected_ranks <= 4, 1 / expected_ranks, 0)))
    assert result["HR@4"] == pytest.approx(np.mean(expected_ranks <= 4))
    assert result["HR@1"] == pytest.approx(np.mean(expected_ranks == 1))
    assert (result["protocol"], result["n_negatives"]) == ("sampled", 10)


def test_oracle_is_perfect_and_random_is_at_chance():
    rng = np.random.default_rng(11)
    n_items, n_users = 300, 2000
    train, valid, test, answers = {}, {}, {}, {}
    for user in range(1, n_users + 1):
        items = rng.choice(np.arange(1, n_items + 1), size=7, replace=False).tolist()
        train[user], valid[user], test[user] = items[:5], items[5], items[6]
        answers[tuple(items[:6])] = items[6]
    split = make_split(train, valid, test, n_items)
    oracle = evaluate_all(OracleRecommender(answers, n_items), split, ks=(1, 10), progress=False)
    for protocol in ("full", "sampled"):
        assert oracle[protocol]["HR@1"] == 1.0 and oracle[protocol]["NDCG@10"] == 1.0
    randomly = evaluate_all(RandomRecommender(n_items, seed=2), split, ks=(10,), batch_size=333, progress=False)
    assert randomly["full"]["HR@10"] == pytest.approx(10 / (n_items - 6), abs=0.015)  # 6 history items excluded
    assert randomly["sampled"]["HR@10"] == pytest.approx(10 / 101, abs=0.025)


def test_constant_scores_get_the_worst_rank():
    split = make_split(train={1: [1]}, valid={1: 2}, test={1: 3}, n_items=20)

    class Constant:
        def score(self, histories):
            return np.ones((len(histories), 21))

    results = evaluate_all(Constant(), split, ks=(10,), progress=False)
    assert results["full"]["HR@10"] == 0.0 and results["sampled"]["HR@10"] == 0.0


def test_results_are_deterministic_for_a_seed_and_any_batch_size():
    rng = np.random.default_rng(4)
    train = {u: rng.integers(1, 41, size=int(rng.integers(1, 6))).tolist() for u in range(1, 61)}
    split = make_split(train, {u: int(rng.integers(1, 41)) for u in train}, {u: int(rng.integers(1, 41)) for u in train}, 40)

    class HashScores:  # deterministic, different per history
        def score(self, histories):
            return np.stack([np.random.default_rng(sum(h) * 31 + len(h)).random(41) for h in histories])

    first = evaluate(HashScores(), split, protocol="sampled", n_negatives=20, seed=9, batch_size=7, progress=False)
    again = evaluate(HashScores(), split, protocol="sampled", n_negatives=20, seed=9, batch_size=64, progress=False)
    other = evaluate(HashScores(), split, protocol="sampled", n_negatives=20, seed=10, batch_size=7, progress=False)
    assert first == again
    assert first != other


def test_users_can_be_chosen():
    chosen = evaluate(TableRecommender(TOY_SCORES, 6), TOY, ks=(1,), users=[2], progress=False)
    assert chosen["n_users"] == 1 and chosen["HR@1"] == 0.0  # user 2's target ties with item 5
    assert evaluate(TableRecommender(TOY_SCORES, 6), TOY, ks=(1,), users=2, progress=False)["n_users"] == 2
    with pytest.raises(ValueError, match="no target"):
        evaluate(TableRecommender(TOY_SCORES, 6), TOY, ks=(1,), users=[9], progress=False)


def test_bad_recommender_output_and_arguments_are_named():
    class WrongShape:
        def score(self, histories):
            return np.zeros((len(histories), 6))

    class WithNaN:
        def score(self, histories):
            return np.full((len(histories), 7), np.nan)

    with pytest.raises(ValueError, match=r"WrongShape.score.*\(3, 7\)"):
        evaluate(WrongShape(), TOY, ks=(1,), progress=False)
    with pytest.raises(ValueError, match="WithNaN.*NaN"):
        evaluate(WithNaN(), TOY, ks=(1,), progress=False)
    with pytest.raises(ValueError, match="stage='train'"):
        evaluate(WithNaN(), TOY, stage="train", progress=False)
    with pytest.raises(ValueError, match="protocol='fast'"):
        evaluate(WithNaN(), TOY, protocol="fast", progress=False)
    with pytest.raises(ValueError, match="n_negatives=0"):
        evaluate(WithNaN(), TOY, protocol="sampled", ks=(1,), n_negatives=0, progress=False)
    with pytest.raises(ValueError, match="ks="):
        evaluate(WithNaN(), TOY, ks=(0,), progress=False)


def test_top_k_returns_the_best_columns_in_order():
    rng = np.random.default_rng(8)
    scores = rng.standard_normal((9, 233))
    scores[:, :40] = -np.inf  # masked columns never beat real ones
    assert np.array_equal(top_k(scores, 17), np.argsort(-scores, axis=1)[:, :17])
    tied = np.tile(np.array([0.0, 5.0, 5.0, 1.0, 5.0, 2.0]), (3, 1))
    assert all(set(row) == {1, 2, 4} for row in top_k(tied, 3).tolist())


def test_format_table_lines_up_recommenders_and_protocols():
    results = {
        "model": evaluate_all(TableRecommender(TOY_SCORES, 6), TOY, ks=(1, 2), progress=False),
        "popular": {"full": {"NDCG@2": 0.25, "HR@2": 0.5, "n_users": 3, "exclude_history": True}},
    }
    table = format_table(results, metrics=("NDCG@2", "HR@2"))
    lines = table.splitlines()
    assert "full = target vs all items" in lines[0] and "sampled = target vs 100" in lines[0]
    assert lines[1].split() == ["recommender", "full", "NDCG@2", "full", "HR@2", "sampled", "NDCG@2", "sampled", "HR@2"]
    assert lines[2].split()[:3] == ["model", f"{results['model']['full']['NDCG@2']:.4f}", "0.6667"]
    assert lines[3].split() == ["popular", "0.2500", "0.5000", "-", "-"]
    model_ndcg = results["model"]["full"]["NDCG@2"]
    assert model_ndcg > 0.25 and lines[4] == f"model beats every baseline on full NDCG@2 ({model_ndcg:.4f} vs popular 0.2500)"
    results["popular"]["full"]["NDCG@2"] = 0.9
    assert "model does NOT beat the baselines on full NDCG@2" in format_table(results, metrics=("NDCG@2",))


def test_format_table_reads_a_results_json_and_judges_only_the_protocols_the_model_has():
    model = {"full": {"NDCG@2": 0.5, "HR@2": 0.6, "n_users": 3}}  # no sampled figures
    results = {"model": model, "popular": {"full": {"NDCG@2": 0.7, "HR@2": 0.8},
                                           "sampled": {"NDCG@2": 0.1, "HR@2": 0.2}},
               "verdict": {"full": "..."}, "from_data": {"max_len": {"value": 20, "why": "..."}}}  # notes
    lines = format_table(results, metrics=("NDCG@2", "HR@2")).splitlines()
    assert [line.split()[0] for line in lines[2:4]] == ["model", "popular"] and len(lines) == 5
    assert lines[4] == "model does NOT beat the baselines on full NDCG@2: 0.5000 vs popular 0.7000"
