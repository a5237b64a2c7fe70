"""The contract with the recommender: prepare() on the bundled shop and on a SASRec file."""

import os

import pandas as pd
import pytest

from minishop import data
from minishop.data import DataFormatError

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "data")


@pytest.fixture(scope="module")
def shop():
    return data.prepare()


def test_prepare_shop_contract(shop):
    assert isinstance(shop, data.Prepared)
    assert shop.n_users == len(shop.sequences) == len(shop.user_ids) - 1
    assert shop.n_items == len(shop.item_ids) - 1 and shop.item_ids[0] == "<pad>"
    assert sorted(shop.sequences) == list(range(1, shop.n_users + 1))
    used = {i for seq in shop.sequences.values() for i in seq}
    assert used == set(range(1, shop.n_items + 1))  # contiguous, 0 never used
    assert shop.split.n_users == shop.n_users and shop.split.n_items == shop.n_items
    assert set(shop.split.train) == set(shop.sequences)
    assert len(shop.item_titles) == shop.n_items and len(shop.item_categories) == shop.n_items
    products = pd.read_csv(os.path.join(data.default_shop_path(), "products.csv"), dtype=str).set_index("item_id")
    assert shop.item_titles[5] == products.loc[shop.item_ids[5], "title"]
    assert {"title", "description"} <= set(shop.items.columns) and {"rating", "text"} <= set(shop.reviews.columns)
    categories = set(shop.item_categories.values())
    assert "electronics > phones" in categories and all(c == c.strip().lower() for c in categories)


def test_prepare_shop_accounting(shop):
    report = shop.report
    report.check()
    assert report.rows_in == report.rows_out + sum(report.dropped.values())
    assert report.rows_out == sum(len(s) for s in shop.sequences.values())
    steps = {r.step for r in report.steps}
    assert {"deduplicate", "drop bots (> 1000 events)", "handle cancellations and returns"} <= steps
    bot_step = next(r for r in report.steps if r.step.startswith("drop bots"))
    assert "6 users flagged as bots" in bot_step.notes
    assert report.users_removed_by["drop bots (> 1000 events)"] == 6
    assert len(report.users_removed) == sum(report.users_removed_by.values())
    assert "total:" in str(report)


def test_prepare_shop_sequences_are_chronological_and_collapsed(shop):
    frame = shop.interactions
    for user in (1, 7, shop.n_users):
        rows = frame[frame["user_idx"] == user]
        assert rows["timestamp"].is_monotonic_increasing
        assert rows["item_idx"].tolist() == shop.sequences[user]
        items = shop.sequences[user]
        assert all(a != b for a, b in zip(items, items[1:]))  # consecutive repeats collapsed
        assert shop.user_ids[user] == rows["user"].iloc[0]
    assert set(frame["event"]) <= {"view", "add_to_cart", "purchase"}


def test_prepare_shop_complements_are_learnable(shop):
    """Ground truth check: after an anchor (a phone), the accessory made for THAT anchor follows within 5 steps
    several times more often than the accessory made for another anchor of the same kind."""
    complements = pd.read_csv(os.path.join(data.default_shop_path(), "complements.csv"))
    index = {raw: i for i, raw in enumerate(shop.item_ids)}
    truth = {}
    for anchor, complement in zip(complements["anchor_item"], complements["complement_item"]):
        if anchor in index and complement in index:
            truth.setdefault(index[anchor], set()).add(index[complement])
    anchors = sorted(truth)
    decoy = {a: truth[anchors[(k + 1) % len(anchors)]] for k, a in enumerate(anchors)}  # another anchor's
    hits, decoy_hits, total = 0, 0, 0
    for items in shop.sequences.values():
        for position, item in enumerate(items[:-1]):
            if item in truth:
                window = set(items[position + 1:position + 6])
                total += 1
                hits += bool(window & truth[item])
                decoy_hits += bool(window & (decoy[item] - truth[item]))
    assert total > 1000 and hits > 3 * decoy_hits


def test_prepare_sasrec_fixture_no_filtering():
    prepared = data.prepare(os.path.join(FIXTURES, "sasrec_small.txt"), format="sasrec")
    assert prepared.n_users == 5 and prepared.n_items == 7
    assert prepared.sequences[2] == [2, 5, 1] and prepared.split.test[2] == 1 and prepared.split.valid[2] == 5
    assert prepared.item_titles == {} and prepared.item_categories == {}
    assert prepared.report.rows_in == prepared.report.rows_out == 17


def test_prepare_errors_raise_on_the_shop_is_honest():
    with pytest.raises(DataFormatError, match="timestamp"):
        data.prepare(errors="raise")


@pytest.mark.parametrize("name, format, kept", [
    ("online_retail.csv", "online-retail", 9),  # 17 lines: 6 malformed or guest, then 1 cancel + its purchase
    ("retailrocket_events.csv", "retailrocket", 9),  # 13 loaded; 4 repeats of one item in a row collapse
    ("diginetica_views.csv", "diginetica", 10),  # 11 loaded; session 2 views item 33043 twice in a row
    ("amazon2018_reviews.jsonl", "amazon", 6),  # event "review" is kept as it is (no view/purchase there)
])
def test_prepare_accounting_on_faulty_fixtures(name, format, kept):
    prepared = data.prepare(os.path.join(FIXTURES, name), format=format, errors="skip", min_user_count=1,
                            min_item_count=1)
    report = prepared.report.check()
    assert report.rows_out == kept == sum(len(s) for s in prepared.sequences.values())
    assert report.rows_in == report.rows_out + sum(report.dropped.values())


def test_k_core_users_removed_are_reported():
    prepared = data.prepare(os.path.join(FIXTURES, "retailrocket_events.csv"), format="retailrocket",
                            errors="skip", min_user_count=2, min_item_count=1, collapse_repeats=False)
    assert prepared.n_users == 2  # visitors 794181 and 257597; the 7 one-view visitors are filtered away
    removed = prepared.report.users_removed_by["k-core (users >= 2, items >= 1)"]
    assert removed == 7 and 111016 in prepared.report.users_removed


def test_cli_prints_the_report(capsys):
    from minishop.data.__main__ import main
    main([os.path.join(FIXTURES, "sasrec_small.txt"), "--format", "sasrec"])
    out = capsys.readouterr().out
    assert "total: 17 in = 17 out + 0 dropped" in out and "Prepared(5 users, 7 items" in out


def test_prepare_says_when_nothing_is_left():
    with pytest.raises(ValueError, match=r"(?s)no interactions are left after cleaning.*k-core"):
        data.prepare(os.path.join(FIXTURES, "retailrocket_events.csv"), format="retailrocket", errors="skip",
                     min_user_count=2, min_item_count=1)


def test_prepare_can_pseudonymise_users():
    path = os.path.join(FIXTURES, "diginetica_views.csv")
    plain = data.prepare(path, format="diginetica", errors="skip", min_user_count=1, min_item_count=1)
    hashed = data.prepare(path, format="diginetica", errors="skip", min_user_count=1, min_item_count=1,
                          pseudonymise_salt="teacher-secret")
    assert "278" in plain.user_ids and "278" not in hashed.user_ids
    assert all(len(u) == 16 for u in hashed.user_ids[1:])
    assert sorted(map(len, plain.sequences.values())) == sorted(map(len, hashed.sequences.values()))


def test_the_k_core_of_an_unknown_source_is_chosen_from_the_data_and_one_count_sets_both(tmp_path):
    # 40 sessions of 3 clicks over 40 products, each product clicked 3 times: a 5-core would empty it
    path = tmp_path / "clicks.csv"
    path.write_text("user,item,timestamp\n" + "".join(
        f"s{s},p{(s + j) % 40},2024-01-01T00:{s:02d}:0{j}\n" for s in range(40) for j in range(3)))
    chosen = data.prepare(str(path), format="csv")
    assert chosen.k_core == 3 and chosen.n_users == 40 and chosen.n_items == 40
    assert "5-core keeps 0 of 120 rows" in str(chosen.report)
    given = data.prepare(str(path), format="csv", min_user_count=2)  # the items' count follows the users'
    assert given.k_core is None and "items >= 2" in str(given.report)
    assert data.prepare(format="shop").k_core is None  # known sources keep their own k-core
