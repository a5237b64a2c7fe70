"""Honest reasons: each cited item comes with the event the shopper really had with it, and removing the
cited items lowers the scores of recommended items they were not chosen on more than removing as many random
ones (on the shop), which randomly cited items do not."""

import numpy as np
import pytest

from minishop.data import prepare
from minishop.recsys.explain import (VERBS, cited_events, explain_by_occlusion, faithfulness, recommend_for_user,
                                     top_items)
from minishop.recsys.runfiles import sequence_events
from minishop.recsys.training import RecommenderConfig, train_recommender


@pytest.fixture(scope="module")
def shop_run(tmp_path_factory):
    config = RecommenderConfig(epochs=3, d_model=16, n_blocks=1, n_heads=2, max_len=20, eval_every=1,
                               progress=False)
    return train_recommender(config, out_dir=str(tmp_path_factory.mktemp("explain") / "shop"), log=lambda _: None)


def test_a_cited_item_gets_the_strongest_event_the_shopper_had_with_it():
    history, events = [5, 7, 5, 9], ["view", "view", "add_to_cart", "purchase"]
    assert cited_events(history, events, [(5, 0.5), (9, 0.3), (7, 0.2)]) == ["add_to_cart", "purchase", "view"]
    assert [VERBS[event] for event in ("view", "add_to_cart", "purchase")] == ["viewed", "added to cart", "bought"]


def test_the_events_follow_each_users_history_item_by_item():
    shop = prepare()
    events = sequence_events(shop)
    frame = shop.interactions
    for user in list(shop.sequences)[:50]:
        rows = frame[frame["user_idx"] == user].sort_values("timestamp", kind="stable")
        assert rows["item_idx"].tolist() == shop.sequences[user]
        assert rows["event"].tolist() == events[user]


@pytest.mark.slow
def test_the_reasons_name_what_the_user_did_never_bought_for_a_view(shop_run):
    prepared, model = shop_run.prepared, shop_run.model
    events = sequence_events(prepared)
    for user in list(prepared.sequences)[:30]:
        raw = prepared.user_ids[user]
        recommendation = recommend_for_user(model, prepared, raw, k=5, n_reasons=3)
        history = prepared.sequences[user]
        for (item, _), event in zip(recommendation.because, recommendation.because_events):
            had = {e for i, e in zip(history, events[user]) if i == item}
            assert event in had
            if event == "purchase":
                assert "purchase" in had


def random_citer(seed):
    """A citer that ignores the model: n distinct history items drawn at random (the control)."""
    rng = np.random.default_rng(seed)

    def cite(model, window, targets, n):
        distinct = list(dict.fromkeys(window))
        return [(distinct[i], 0.0) for i in rng.choice(len(distinct), size=min(n, len(distinct)), replace=False)]
    return cite


def clearly_faithful(result):
    """Cited items beat random ones on the recommended items they were NOT chosen on, for most users."""
    return result["cited_drop"] > result["random_drop"] and result["cited_larger"] > 0.75


@pytest.mark.slow
def test_removing_the_cited_items_lowers_other_recommendations_more_than_removing_random_ones(shop_run):
    histories = [items for items in shop_run.prepared.sequences.values()][:400]
    result = faithfulness(shop_run.model, histories, n_reasons=3, seed=0, method="occlusion")
    assert result["users"] > 200
    assert clearly_faithful(result)
    for seed in (1, 2):  # the same measurement cannot tell random citations from random removals
        control = faithfulness(shop_run.model, histories, n_reasons=3, seed=0, method=random_citer(seed))
        assert control["users"] > 200 and not clearly_faithful(control)
        assert 0.3 < control["cited_larger"] < 0.7


def test_the_citations_are_measured_on_targets_they_were_not_chosen_on():
    class Model:  # item i's score = how many times i - 10 appears in the history: each target rests on one item
        max_len = 20

        def score(self, histories):
            scores = np.zeros((len(histories), 20))
            scores[:, 0] = -np.inf
            for row, history in enumerate(histories):
                for item in history:
                    scores[row, item + 10] += 1.0 + item / 100  # ranks: 19 (on 9), 18 (on 8), 17, ...
            return scores
    history = [1, 2, 3, 4, 5, 6, 7, 8, 9]
    seen = []

    def cite_what_the_first_target_rests_on(model, window, targets, n):
        seen.append(list(targets))
        return [(targets[0] - 10, 1.0)]
    result = faithfulness(Model(), [history], n_reasons=1, seed=0, method=cite_what_the_first_target_rests_on, k=4)
    assert seen == [[19, 17]]  # chosen on ranks 1 and 3; measured on ranks 2 and 4 (items 18 and 16)
    assert result["chosen_on_cited_drop"] == pytest.approx((1.09 + 0) / 2)
    assert result["cited_drop"] == pytest.approx(0.0)  # removing item 9 moves neither 18 nor 16


@pytest.mark.slow
def test_occlusion_cites_the_items_whose_removal_moves_the_score_most(shop_run):
    model = shop_run.model
    history = shop_run.prepared.sequences[1][-model.max_len:]
    target = top_items(model, history, k=1)[0][0]
    cited = explain_by_occlusion(model, history, [target], n_reasons=3)
    full = float(model.score([history])[0, target])
    for item in dict.fromkeys(history):
        without = float(model.score([[i for i in history if i != item]])[0, target])
        if item not in {c for c, _ in cited}:
            assert full - without <= cited[-1][1] + 1e-5  # no uncited item moves it more than the last cited
        else:
            assert dict(cited)[item] == pytest.approx(full - without, abs=1e-5)
