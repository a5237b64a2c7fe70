"""Every loader on a hand-made fixture in its real format, including planted malformed lines.

For each fixture we know, line by line, which rows are good and which are broken and why (see the comments);
errors="raise" must stop at the first broken line naming file, line and column; errors="skip" must keep exactly
the good rows and count the others, so that rows_in == rows_out + dropped.
"""

import gzip
import os
import shutil
import sqlite3

import pandas as pd
import pytest

from minishop import data
from minishop.data import DataFormatError, load

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "data")


def fixture(name):
    return os.path.join(FIXTURES, name)


def assert_interaction_columns(frame):
    for column in ("user", "item", "timestamp", "event"):
        assert column in frame.columns, column


# ---- sasrec ----
def test_sasrec_keeps_order_and_ids():
    result = load(fixture("sasrec_small.txt"), format="sasrec")
    frame = result.interactions
    assert_interaction_columns(frame)
    assert len(frame) == 17 and frame["user"].nunique() == 5 and frame["item"].max() == 7
    assert frame[frame["user"] == 2]["item"].tolist() == [2, 5, 1]  # file order is chronological order
    assert result.items is None
    assert result.report.rows_in == 17 and result.report.rows_out == 17 and result.report.dropped == {}


def test_sasrec_malformed_raise_names_file_line_column():
    with pytest.raises(DataFormatError, match=r"sasrec_bad.txt, line 3, column 'item'.*positive integer.*'x'"):
        load(fixture("sasrec_bad.txt"), format="sasrec")


def test_sasrec_malformed_skip_counts_each_reason():
    result = load(fixture("sasrec_bad.txt"), format="sasrec", errors="skip")
    # line 3 "1 x": item; line 5 "2 2 9": three fields; line 7 "0 4": user not positive
    assert result.interactions["item"].tolist() == [1, 2, 3, 5, 1]
    report = result.report
    assert report.rows_in == 8 and report.rows_out == 5
    assert sum(report.dropped.values()) == 3 and len(report.dropped) == 3
    assert report.rows_in == report.rows_out + sum(report.dropped.values())


# ---- amazon ----
def test_amazon_2018_reviews_and_meta_skip():
    result = load(fixture("amazon2018_reviews.jsonl"), format="amazon", errors="skip",
                  meta=fixture("amazon2018_meta.jsonl"))
    frame = result.interactions
    assert_interaction_columns(frame)
    assert len(frame) == 6  # lines 6 (rating 7), 7 (no asin), 8 (not JSON), 9 (bad time) are dropped
    assert result.report.rows_in == 10 and sum(result.report.dropped.values()) == 4
    assert set(frame["event"]) == {"review"}
    first = frame.iloc[0]
    assert first["user"] == "A1HP7NVNPFMA4N" and first["item"] == "0700026657" and first["rating"] == 5.0
    assert first["timestamp"] == pd.Timestamp("2015-10-17")
    assert frame.iloc[4]["text"] == ""  # a review with no text keeps an empty text
    items = result.items.set_index("item")
    assert items.loc["0700026657", "title"] == "Anno 2070"
    assert items.loc["0700026657", "category"] == "Video Games > PC > Games"
    assert len(items) == 3  # the metadata line without an id is dropped and noted
    assert any("metadata" in note for note in result.report.notes)


def test_amazon_2018_raise_on_rating_out_of_range():
    with pytest.raises(DataFormatError, match=r"amazon2018_reviews.jsonl, line 6, column 'rating'"):
        load(fixture("amazon2018_reviews.jsonl"), format="amazon")


def test_amazon_2023_gzip_uses_parent_asin(tmp_path):
    packed = tmp_path / "reviews.jsonl.gz"
    with open(fixture("amazon2023_reviews.jsonl"), "rb") as src, gzip.open(packed, "wb") as dst:
        shutil.copyfileobj(src, dst)
    result = load(str(packed), format="amazon", errors="skip", meta=fixture("amazon2023_meta.jsonl"))
    frame = result.interactions
    assert len(frame) == 4 and result.report.rows_in == 6  # line 4 has no user_id, line 6 is a list
    assert frame.iloc[2]["item"] == "B09JS339BZ"  # parent_asin, not the variant's asin
    assert frame.iloc[0]["timestamp"] == pd.Timestamp(1588687728923, unit="ms").floor("us")
    assert result.items.set_index("item").loc["B09JS339BZ", "category"] == "Premium Beauty"
    with pytest.raises(DataFormatError, match=r"line 4, column 'user_id'"):
        load(str(packed), format="amazon")


# ---- online retail ----
def test_online_retail_skip_counts_and_cancellations():
    result = load(fixture("online_retail.csv"), format="online-retail", errors="skip")
    frame, report = result.interactions, result.report
    assert_interaction_columns(frame)
    assert report.rows_in == 17 and report.rows_out == 11
    assert report.dropped["no CustomerID (guest checkout)"] == 2
    assert sum(report.dropped.values()) == 6  # + bad date, negative price, quantity "many", 7 columns
    assert frame[frame["event"] == "cancel"]["order_id"].tolist() == ["C536379"]
    assert frame["user"].iloc[0] == "17850"
    assert result.items.set_index("item").loc["85123A", "title"] == "WHITE HANGING HEART T-LIGHT HOLDER"
    cleaned, step = data.preprocess.handle_cancellations(frame)
    assert len(cleaned) == 9 and step.dropped == {"cancel event": 1, "purchase undone by a cancel": 1}
    assert "22633" not in set(cleaned[cleaned["user"] == "17850"]["item"])


def test_online_retail_raise_bad_date():
    with pytest.raises(DataFormatError, match=r"online_retail.csv, line 14, column 'InvoiceDate'.*31/31/2010"):
        load(fixture("online_retail.csv"), format="online-retail")


def test_online_retail_ii_column_names():
    result = load(fixture("online_retail_ii.csv"), format="online-retail")
    frame = result.interactions
    assert len(frame) == 5 and frame["user"].iloc[0] == "13085"  # "13085.0" is customer 13085
    assert frame["timestamp"].iloc[2] == pd.Timestamp("2009-12-01 07:46:00")
    cleaned, step = data.preprocess.handle_cancellations(frame)  # a cancel with no matching purchase
    assert step.dropped == {"cancel event": 1} and any("had no purchase" in n for n in step.notes)


# ---- retailrocket ----
def test_retailrocket_skip_and_event_names():
    result = load(fixture("retailrocket_events.csv"), format="retailrocket", errors="skip")
    frame, report = result.interactions, result.report
    assert report.rows_in == 17 and report.rows_out == 13 and sum(report.dropped.values()) == 4
    assert frame["event"].value_counts().to_dict() == {"view": 9, "add_to_cart": 2, "purchase": 2}
    assert frame[frame["event"] == "purchase"]["order_id"].tolist() == ["4000", "4001"]
    assert frame["timestamp"].iloc[0] == pd.Timestamp(1433221332117, unit="ms")


def test_retailrocket_raise_unknown_event():
    with pytest.raises(DataFormatError, match=r"line 13, column 'event'.*view, addtocart, transaction.*refund"):
        load(fixture("retailrocket_events.csv"), format="retailrocket")


def test_non_utf8_line_is_reported():
    with pytest.raises(DataFormatError, match=r"retailrocket_non_utf8.csv, line 3.*UTF-8"):
        load(fixture("retailrocket_non_utf8.csv"), format="retailrocket")
    result = load(fixture("retailrocket_non_utf8.csv"), format="retailrocket", errors="skip")
    assert result.report.rows_in == 3 and result.report.rows_out == 2
    assert result.report.dropped == {"malformed <line>: expected UTF-8 text": 1}


def test_empty_and_header_only_files():
    with pytest.raises(DataFormatError, match="empty.csv: the file is empty"):
        load(fixture("empty.csv"), format="retailrocket", errors="skip")
    with pytest.raises(DataFormatError, match="header_only.csv: no data rows"):
        load(fixture("header_only.csv"), format="retailrocket")
    result = load(fixture("header_only.csv"), format="retailrocket", errors="skip")
    assert len(result.interactions) == 0 and result.report.rows_in == 0 and result.report.notes


# ---- diginetica ----
def test_diginetica_anonymous_sessions():
    result = load(fixture("diginetica_views.csv"), format="diginetica", errors="skip")
    frame, report = result.interactions, result.report
    assert report.rows_in == 14 and report.rows_out == 11 and sum(report.dropped.values()) == 3
    assert frame["user"].tolist()[:3] == ["s1", "s1", "s1"] and (frame["user"] == "278").sum() == 3
    assert "session" in frame.columns and frame["session"].nunique() == 4
    assert frame["timestamp"].iloc[0] == pd.Timestamp("2016-05-09") + pd.Timedelta(milliseconds=526309)
    assert any("8 rows have no userId" in note for note in report.notes)
    with pytest.raises(DataFormatError, match=r"line 11, column 'itemId'"):
        load(fixture("diginetica_views.csv"), format="diginetica")


# ---- sqlite ----
@pytest.fixture
def orders_db(tmp_path):
    path = tmp_path / "shop.db"
    connection = sqlite3.connect(path)
    with open(fixture("orders.sql"), encoding="utf-8") as handle:
        connection.executescript(handle.read())
    connection.close()
    return str(path)


def test_sqlite_orders(orders_db):
    result = load(orders_db, format="sqlite", errors="skip")
    frame, report = result.interactions, result.report
    assert report.rows_in == 11 and report.rows_out == 7 and sum(report.dropped.values()) == 4
    assert frame[frame["user"] == "alice"]["item"].tolist() == ["P1", "P2", "P3"]
    assert result.items.set_index("item").loc["P1", "title"] == "Nova X2 Phone"
    cleaned, step = data.preprocess.handle_cancellations(frame)
    assert step.dropped == {"order cancelled": 1, "order returned": 1} and len(cleaned) == 5
    with pytest.raises(DataFormatError, match=r"shop.db, line 6, column 'created_at'.*last tuesday"):
        load(orders_db, format="sqlite")


# ---- the bundled shop ----
def test_shop_raise_names_the_first_bad_timestamp():
    with pytest.raises(DataFormatError, match=r"events.csv.gz, line \d+, column 'timestamp'"):
        load(format="shop")


def test_shop_skip_accounts_for_every_line():
    result = load(format="shop", errors="skip")
    report = result.report
    assert report.rows_in == report.rows_out + sum(report.dropped.values())
    assert 50 < sum(report.dropped.values()) < 250  # ~0.1% of ~110k lines have a malformed timestamp
    assert list(result.interactions.columns[:4]) == ["user", "item", "timestamp", "event"]
    assert {"item", "title", "category", "description"} <= set(result.items.columns)
    assert {"user", "item", "rating", "text"} <= set(result.reviews.columns)


def test_unknown_format_and_errors_argument():
    with pytest.raises(ValueError, match="expected one of"):
        load(fixture("sasrec_small.txt"), format="xml")
    with pytest.raises(ValueError, match="'raise' or 'skip'"):
        load(fixture("sasrec_small.txt"), format="sasrec", errors="ignore")
    with pytest.raises(FileNotFoundError, match="no such file"):
        load(fixture("missing.txt"), format="sasrec")


def test_shop_orders_round_trip_through_sqlite(tmp_path):
    from minishop.data.shop_sqlite import write_shop_sqlite
    path = write_shop_sqlite(str(tmp_path / "shop.db"))
    result = load(path, format="sqlite", errors="skip")
    raw = pd.read_csv(os.path.join(data.default_shop_path(), "events.csv.gz"), dtype=str, keep_default_na=False)
    n_orders = raw.loc[raw["event"].str.strip().str.lower() == "purchase", "order_id"].nunique()
    report = result.report
    assert report.rows_in == n_orders  # one order line per purchase, duplicates written once
    assert set(report.dropped) == {"malformed created_at: expected a date-time like 2023-05-01 12:30:00"}
    assert report.rows_in == report.rows_out + sum(report.dropped.values())
    statuses = result.interactions["status"].value_counts()
    assert set(statuses.index) == {"completed", "cancelled", "returned"}
    assert 0.02 < statuses["cancelled"] / report.rows_out < 0.04
    with pytest.raises(FileExistsError):
        write_shop_sqlite(path)
