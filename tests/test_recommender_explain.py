"""Honest reasons: each cited item comes with the event the shopper really had with it, and removing the
cited items lowers the recommended item's score more than removing as many random ones (on the shop)."""

import pytest

from minishop.data import prepare
from minishop.recsys.explain import VERBS, cited_events, explain_by_occlusion, faithfulness, recommend_for_user, top_items
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


@pytest.mark.slow
def test_removing_the_cited_items_lowers_the_score_more_than_removing_random_ones(shop_run):
    histories = [items for items in shop_run.prepared.sequences.values()][:400]
    result = faithfulness(shop_run.model, histories, n_reasons=3, seed=0, method="occlusion")
    assert result["users"] > 200
    assert result["cited_drop"] > result["random_drop"]
    assert result["cited_larger"] > 0.5


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
