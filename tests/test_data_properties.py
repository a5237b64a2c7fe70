"""Property tests (hypothesis): on random tables, the cleaning steps keep the accounting equation, k-core
reaches a true fixed point, and leave-one-out plus padding never leak or lose an item."""

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from minishop.data import PipelineReport, leave_one_out, pad_left, preprocess, remap_ids, to_sequences

rows = st.lists(st.tuples(st.integers(0, 6), st.integers(0, 9), st.integers(0, 40),
                          st.sampled_from(["view", "VIEW ", "purchase", "add_to_cart", "wishlist"])),
                min_size=0, max_size=80)


def as_table(data):
    frame = pd.DataFrame(data, columns=["user", "item", "timestamp", "event"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], unit="D")
    return frame


@settings(max_examples=50, deadline=None)
@given(rows, st.integers(1, 4), st.integers(1, 4))
def test_pipeline_accounts_for_every_row(data, min_user, min_item):
    frame = as_table(data)
    report = PipelineReport()
    for step, options in ((preprocess.normalise_events, {}), (preprocess.deduplicate, {}),
                          (preprocess.drop_bots, {"max_events": 12}), (preprocess.keep_events, {}),
                          (preprocess.collapse_repeats, {}),
                          (preprocess.k_core, {"min_user_count": min_user, "min_item_count": min_item})):
        out, step_report = step(frame, **options)
        report.add(step_report, users_before=frame["user"].unique(), users_after=out["user"].unique())
        frame = out
    report.check()
    assert report.rows_in == len(data) and report.rows_out == len(frame)
    assert set(report.users_removed) == set(as_table(data)["user"]) - set(frame["user"])
    if len(frame):  # the fixed point: every survivor meets both minimums
        assert frame["user"].value_counts().min() >= min_user and frame["item"].value_counts().min() >= min_item


@settings(max_examples=50, deadline=None)
@given(rows, st.integers(1, 7))
def test_sequences_split_and_padding_lose_nothing(data, max_len):
    frame = as_table(data)
    if len(frame) == 0:
        return
    frame, users, items, _ = remap_ids(frame)
    sequences = to_sequences(frame)
    assert sum(map(len, sequences.values())) == len(frame)
    split = leave_one_out(sequences, n_items=len(items))
    for user, history in sequences.items():
        rebuilt = split.train[user] + ([split.valid[user], split.test[user]] if user in split.test else [])
        assert rebuilt == history
    padded = pad_left(list(split.train.values()), max_len)
    for row, history in zip(padded.tolist(), split.train.values()):
        kept = history[-max_len:]
        assert row[max_len - len(kept):] == kept and all(v == 0 for v in row[:max_len - len(kept)])
