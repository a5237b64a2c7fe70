"""Cleaning steps on small hand-made tables: what each removes, why, and that every row is accounted for."""

import pandas as pd
import pytest

from minishop.data import PipelineReport, Report, preprocess, pseudonymise, remap_ids, to_sequences


def table(rows, columns=("user", "item", "timestamp", "event")):
    frame = pd.DataFrame(rows, columns=list(columns))
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], format="mixed")
    return frame


def test_normalise_text_and_events():
    assert preprocess.normalise_text("  ELECTRONICS>Phones ") == "electronics > phones"
    assert preprocess.normalise_text("home  >  bedding") == "home > bedding"
    assert preprocess.normalise_text("ｃａｆé") == "café"  # NFKC folds full-width letters
    frame = table([("a", "x", "2023-01-01", " View "), ("a", "y", "2023-01-02", "PURCHASE"),
                   ("b", "x", "2023-01-03", "add_to_cart")])
    out, report = preprocess.normalise_events(frame)
    assert out["event"].tolist() == ["view", "purchase", "add_to_cart"]
    assert report.rows_in == report.rows_out == 3 and report.notes == ["rewrote 2 event names"]


def test_normalise_categories_on_items():
    items = pd.DataFrame({"item": ["p", "q", "r"], "category": ["A > b", " a>B ", None]})
    out, report = preprocess.normalise_categories(items)
    assert out["category"].tolist()[:2] == ["a > b", "a > b"] and pd.isna(out["category"].iloc[2])
    assert report.notes == ["rewrote 2 category values"]


def test_drop_missing_deduplicate_and_accounting():
    frame = table([("a", "x", "2023-01-01", "view"), ("a", "x", "2023-01-01", "view"),
                   (None, "x", "2023-01-02", "view"), ("b", None, "2023-01-02", "view"),
                   ("b", "y", None, "view"), ("b", "y", "2023-01-05", "view")])
    out, first = preprocess.drop_missing(frame)
    assert first.dropped == {"missing user": 1, "missing item": 1, "missing timestamp": 1}
    out, second = preprocess.deduplicate(out)
    assert second.dropped == {"exact duplicate of an earlier row": 1} and len(out) == 2
    pipeline = PipelineReport()
    pipeline.add(first)
    pipeline.add(second)
    pipeline.check()
    assert pipeline.rows_in == 6 and pipeline.rows_out == 2 and sum(pipeline.dropped.values()) == 4
    assert "total: 6 in = 2 out + 4 dropped" in str(pipeline)


def test_report_check_catches_lost_rows():
    with pytest.raises(AssertionError, match="rows_in 5 != rows_out 3"):
        Report("leaky step", rows_in=5, rows_out=3, dropped={"a reason": 1}).check()
    pipeline = PipelineReport()
    pipeline.add(Report("one", 5, 4, {"x": 1}))
    with pytest.raises(AssertionError, match="got 3 rows but the previous step"):
        pipeline.add(Report("two", 3, 3))


def test_drop_bots_rule_and_users_removed():
    rows = [("bot", f"i{k % 7}", f"2023-01-01 00:{k // 60:02d}:{k % 60:02d}", "view") for k in range(12)]
    rows += [("human", "i1", "2023-02-01", "view"), ("human", "i2", "2023-02-02", "purchase")]
    frame = table(rows)
    out, report = preprocess.drop_bots(frame, max_events=10)
    assert set(out["user"]) == {"human"} and report.dropped == {"user with more than 10 events": 12}
    pipeline = PipelineReport()
    pipeline.add(report, users_before=frame["user"].unique(), users_after=out["user"].unique())
    assert pipeline.users_removed == ["bot"] and "whole history was removed" in str(pipeline)


def test_handle_cancellations_by_order_id():
    columns = ("user", "item", "timestamp", "event", "order_id")
    frame = table([("a", "x", "2023-01-01", "purchase", "O1"), ("a", "x", "2023-01-02", "cancel", "O1"),
                   ("a", "y", "2023-01-03", "purchase", "O2"), ("b", "x", "2023-01-04", "purchase", "O3"),
                   ("b", "x", "2023-01-20", "return", "O3"), ("b", "z", "2023-01-21", "view", "")], columns)
    out, report = preprocess.handle_cancellations(frame)
    assert out["order_id"].tolist() == ["O2", ""]
    assert report.dropped == {"cancel event": 1, "purchase undone by a cancel": 1, "return event": 1,
                              "purchase undone by a return": 1}


def test_keep_events_and_collapse_repeats():
    frame = table([("a", "x", "2023-01-01 10:00", "view"), ("a", "x", "2023-01-01 10:01", "add_to_cart"),
                   ("a", "x", "2023-01-01 10:02", "purchase"), ("a", "y", "2023-01-01 10:03", "view"),
                   ("a", "x", "2023-01-01 10:04", "view"), ("b", "x", "2023-01-01 09:00", "wishlist")])
    kept, report = preprocess.keep_events(frame)
    assert report.dropped == {"event type 'wishlist'": 1}
    out, report = preprocess.collapse_repeats(kept)
    assert out["item"].tolist() == ["x", "y", "x"]  # x again after y is a new step, not a repeat
    assert report.dropped == {"same item as the user's previous event": 2}


def test_k_core_reaches_a_fixed_point():
    # item "rare" has 1 row; removing it leaves user "c" with 1 row, which then must go too, which leaves
    # item "z" with 1 row ... a one-pass filter would stop too early.
    rows = [("a", "x"), ("a", "y"), ("a", "z"), ("b", "x"), ("b", "y"), ("b", "z"),
            ("c", "rare"), ("c", "w"), ("d", "w"), ("d", "x"), ("d", "y")]
    frame = table([(u, i, f"2023-01-{k + 1:02d}", "view") for k, (u, i) in enumerate(rows)])
    out, report = preprocess.k_core(frame, min_user_count=2, min_item_count=2)
    assert sorted(set(out["user"])) == ["a", "b", "d"] and "rare" not in set(out["item"])
    assert out["user"].value_counts().min() >= 2 and out["item"].value_counts().min() >= 2
    assert set(out["item"]) == {"x", "y", "z"} and len(out) == 8  # "w" fell in the second round
    assert report.dropped == {"item with fewer than 2 rows": 2, "user with fewer than 2 rows": 1}
    assert report.notes == ["fixed point after 3 rounds"]


def test_remap_ids_and_sequences_are_chronological():
    frame = table([("u2", "b", "2023-01-03", "view"), ("u1", "c", "2023-01-02", "view"),
                   ("u1", "a", "2023-01-01", "view"), ("u2", "a", "2023-01-01", "view"),
                   ("u1", "b", "2023-01-02", "view")])
    out, users, items, report = remap_ids(frame)
    assert items.ids == ["<pad>", "a", "b", "c"] and items.index == {"a": 1, "b": 2, "c": 3}
    assert users.ids[1:] == ["u1", "u2"] and out["item_idx"].min() == 1
    assert items.decode(items.encode(["c", "a"])) == ["c", "a"]
    sequences = to_sequences(out)
    assert sequences == {1: [1, 3, 2], 2: [1, 2]}  # u1: a, then c and b at the same time in file order
    with pytest.raises(KeyError, match="'zzz'"):
        items.encode(["zzz"])


def test_pseudonymise_is_salted_and_stable():  # exported as minishop.data.pseudonymise
    frame = table([("alice", "x", "2023-01-01", "view"), ("bob", "x", "2023-01-02", "view"),
                   ("alice", "y", "2023-01-03", "view")])
    out, report = pseudonymise(frame, salt="s3cret")
    again, _ = pseudonymise(frame, salt="s3cret")
    other, _ = pseudonymise(frame, salt="another")
    assert out["user"].iloc[0] == out["user"].iloc[2] != out["user"].iloc[1]
    assert "alice" not in set(out["user"]) and len(out["user"].iloc[0]) == 16
    assert out["user"].tolist() == again["user"].tolist() and out["user"].iloc[0] != other["user"].iloc[0]
    with pytest.raises(ValueError, match="salt"):
        pseudonymise(frame, salt="")


def test_adaptive_k_core_keeps_the_5_core_unless_it_empties_the_data():
    dense = [(f"u{u}", f"i{i}") for u in range(8) for i in range(6)]  # every user and item has >= 6 rows
    frame = table([(u, i, f"2023-01-{k % 28 + 1:02d}", "view") for k, (u, i) in enumerate(dense)])
    out, report = preprocess.adaptive_k_core(frame)
    assert len(out) == len(frame) and report.step.startswith("k-core (users >= 5")
    # sessions over a big catalogue: each item seen 2-3 times, so a 5-core would drop everything
    sparse = [(f"s{s}", f"i{(s + j) % 40}") for s in range(40) for j in range(3)]
    frame = table([(u, i, f"2023-01-{k % 28 + 1:02d}", "view") for k, (u, i) in enumerate(sparse)])
    assert len(preprocess.k_core(frame, 5, 5)[0]) == 0
    out, report = preprocess.adaptive_k_core(frame)
    assert len(out) == len(frame) and report.step.startswith("k-core (users >= 3")
    assert "5-core keeps 0 of 120 rows (0%)" in report.notes[-1] and "3-core keeps 120" in report.notes[-1]
