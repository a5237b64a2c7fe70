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


@settings(max_examples=50, deadline=None)
@given(rows)
def test_fast_steps_equal_their_plain_pandas_definitions(data):
    """The vectorised steps give what the plain pandas they replace gives (ties keep their file order)."""
    frame = as_table(data).assign(user=lambda f: "u" + f["user"].astype(str))  # string ids, as in files
    expected = frame.sort_values(["user", "timestamp"], kind="stable")
    assert preprocess.sort_chronologically(frame).index.tolist() == expected.index.tolist()
    assert preprocess.count_per_row(frame["item"]).tolist() == frame["item"].map(frame["item"].value_counts()).tolist()
    normalised, _ = preprocess.normalise_events(frame)
    assert normalised["event"].astype(str).tolist() == frame["event"].str.strip().str.lower().tolist()
    if len(frame):
        remapped, users, items, _ = remap_ids(frame)
        order = remapped.sort_values(["user_idx", "timestamp"], kind="stable")
        plain = {u: group["item_idx"].tolist() for u, group in order.groupby("user_idx", sort=True)}
        assert to_sequences(remapped) == plain and to_sequences(remapped.iloc[::-1]) == {
            u: group["item_idx"].tolist() for u, group in remapped.iloc[::-1].sort_values(
                ["user_idx", "timestamp"], kind="stable").groupby("user_idx", sort=True)}
        assert users.ids[1:] == sorted(set(frame["user"])) and items.ids[1:] == sorted(set(frame["item"]))


lines = st.lists(st.one_of(st.tuples(st.sampled_from(["a", "bb", " c"]), st.integers(0, 99), st.integers(1, 3)),
                           st.sampled_from(["", "   ", "\r"])), min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(lines)
def test_bad_rows_are_named_by_their_line(tmp_path_factory, content):
    """Blank lines anywhere and rows of too few or too many fields: each bad row is reported at its line."""
    from minishop.data import load
    text, expected, number = ["user,item,timestamp"], [], 1
    for entry in content:
        number += 1
        if isinstance(entry, str):
            text.append(entry)
            continue
        user, item, n_fields = entry
        text.append(",".join([user, str(item), "1700000000"][:n_fields] + ["x"] * (n_fields == 3 and item > 90)))
        if n_fields < 3 or item > 90:
            expected.append(number)
    path = tmp_path_factory.mktemp("lines") / "rows.csv"
    path.write_text("\n".join(text) + "\n")
    if not expected:
        return
    try:
        load(str(path), format="csv")
    except ValueError as error:
        assert f"line {expected[0]}," in str(error), (str(error), expected)
    else:
        raise AssertionError(f"no error; expected one at line {expected[0]}")
    result = load(str(path), format="csv", errors="skip")
    assert result.report.n_dropped == len(expected)
