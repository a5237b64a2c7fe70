"""Any interactions file in: CSV / TSV / Parquet with a column mapping, RecBole atomic files, the header
variants of every format, encodings, bad rows found vectorised and reported with their line numbers.

Fixtures are hand-written (tests/fixtures/data); for each we know which lines are broken and why.
interactions_visitors.csv: line 1 header, 2-4 good, 5 blank, 6 good, 7 bad timestamp ("yesterday"),
8 empty item, 9 one field too many, 10 good.
"""

import os
import re

import pandas as pd
import pytest

from minishop.data import DataFormatError, load, prepare
from minishop.data.loaders import parse_columns
from minishop.data.loaders.base import column_key

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "data")
VISITORS = {"user": "visitorid", "item": "itemid", "timestamp": "timestamp"}


def fixture(name):
    return os.path.join(FIXTURES, name)


def write(path, text, encoding="utf-8"):
    with open(path, "w", encoding=encoding, newline="") as handle:
        handle.write(text)
    return str(path)


# ---- csv with a column mapping: the bad rows, their lines, and the accounting ----
def test_csv_column_mapping_skip_counts_every_bad_row():
    result = load(fixture("interactions_visitors.csv"), format="csv", columns=VISITORS, errors="skip")
    frame, report = result.interactions, result.report
    assert report.rows_in == 8 and report.rows_out == 5  # the blank line is not a row
    assert report.dropped == {"malformed timestamp: expected unix time in milliseconds": 1,
                              "malformed itemid: expected a non-empty item id": 1,
                              "malformed <line>: expected 4 fields": 1}
    assert frame["user"].tolist() == ["257597", "992329", "111016", "483717", "972639"]  # ids as written
    assert frame["event"].tolist() == ["view"] * 4 + ["addtocart"]
    assert frame["timestamp"].iloc[0] == pd.Timestamp(1433221332117, unit="ms")


@pytest.mark.parametrize("drop, line, column", [(0, 7, "timestamp"), (7, 8, "itemid"), (8, 9, "<line>")])
def test_csv_raise_names_the_first_bad_line(tmp_path, drop, line, column):
    """Each bad line in turn is the first one (the ones before it removed): raise names its line and column."""
    lines = open(fixture("interactions_visitors.csv"), encoding="utf-8").read().split("\n")
    kept = [text for number, text in enumerate(lines, start=1) if not 7 <= number <= drop]
    path = write(tmp_path / "visitors.csv", "\n".join(kept))
    expected_line = line - max(0, drop - 6)
    with pytest.raises(DataFormatError, match=rf"visitors.csv, line {expected_line}, column '{column}'"):
        load(path, format="csv", columns=VISITORS)


def test_line_numbers_survive_a_quoted_field_that_spans_lines(tmp_path):
    path = write(tmp_path / "quoted.csv", 'user,item,timestamp,note\nu1,i1,2023-01-01,"two\nlines"\n'
                                          'u2,i2,2023-01-02,ok\nu3,i3,never,ok\n')
    with pytest.raises(DataFormatError, match=r"line 5, column 'timestamp'"):
        load(path, format="csv")


def test_columns_from_the_cli_string_and_clear_errors():
    assert parse_columns("user=visitorid, item=itemid,timestamp=timestamp") == VISITORS
    result = load(fixture("interactions_visitors.csv"), format="csv", errors="skip",
                  columns="user=visitorid,item=itemid,timestamp=timestamp")
    assert len(result.interactions) == 5
    with pytest.raises(ValueError, match="ours=theirs"):
        parse_columns("user:visitorid")
    with pytest.raises(ValueError, match="unknown key"):
        load(fixture("interactions_visitors.csv"), format="csv", columns={"customer": "visitorid"})
    with pytest.raises(DataFormatError, match=r"line 1: expected columns\['user'\] = 'buyer'"):
        load(fixture("interactions_visitors.csv"), format="csv", columns={"user": "buyer"})
    with pytest.raises(DataFormatError, match="expected a user column"):  # no user-like name, no mapping
        load(fixture("interactions_latin1.csv"), format="csv", encoding="latin-1")
    default = load(fixture("interactions_visitors.csv"), format="csv", errors="skip")  # visitorid, itemid: known
    pd.testing.assert_frame_equal(default.interactions, load(fixture("interactions_visitors.csv"), format="csv",
                                                             errors="skip", columns=VISITORS).interactions)
    with pytest.raises(ValueError, match="column mapping applies to the formats"):
        load(fixture("sasrec_small.txt"), format="sasrec", columns=VISITORS)


# ---- header variants ----
@pytest.mark.parametrize("header", ["user_id,item_id,timestamp", "userId,itemId,Timestamp", "UserID,ItemID,TIMESTAMP",
                                    '"user_id","item_id","timestamp"', "\ufeffuser_id,item_id,timestamp",
                                    "User ID,Item ID,Time Stamp", "user_id:token,item_id:token,timestamp:float"])
def test_header_variants_are_read(tmp_path, header):
    path = write(tmp_path / "variant.csv", f"{header}\nu1,i1,1700000000\nu1,i2,1700000100\n")
    frame = load(path, format="csv").interactions
    assert frame["user"].tolist() == ["u1", "u1"] and frame["item"].tolist() == ["i1", "i2"]
    assert frame["timestamp"].tolist() == [pd.Timestamp(1700000000, unit="s"), pd.Timestamp(1700000100, unit="s")]


def test_column_key():
    assert {column_key(n) for n in ("sessionId", "session_id", "Session ID", '"session_id"', "session_id:token",
                                    "\ufeffSESSION_ID")} == {"sessionid"}


@pytest.mark.parametrize("delimiter, format", [(",", "csv"), (";", "csv"), ("\t", "csv"), ("|", "csv"), ("\t", "tsv")])
def test_delimiters_are_sniffed(tmp_path, delimiter, format):
    text = delimiter.join(["user", "item", "timestamp"]) + "\n" + delimiter.join(["a", "b", "2023-01-01 10:00"]) + "\n"
    frame = load(write(tmp_path / "d.txt", text), format=format).interactions
    assert frame[["user", "item"]].values.tolist() == [["a", "b"]]
    assert frame["timestamp"].iloc[0] == pd.Timestamp("2023-01-01 10:00")


def test_without_a_timestamp_the_row_order_is_the_time_order(tmp_path):
    result = load(write(tmp_path / "pairs.tsv", "user\titem\nb\tx\na\ty\nb\tz\n"), format="tsv")
    assert result.interactions["timestamp"].tolist() == [0, 1, 2]
    assert any("row order is the time order" in note for note in result.report.notes)


@pytest.mark.parametrize("format", ["csv", "tsv"])
def test_ids_keep_their_spelling(tmp_path, format):
    """007, 7 and 07 are three items (not the number 7 three times), and 007 reads as '007' whether or not
    another row holds an id that is not a number; a time stamp column is still read as numbers."""
    sep = "," if format == "csv" else "\t"
    rows = [("u1", "007", 1), ("u1", "7", 2), ("u2", "07", 3)]
    numeric = load(write(tmp_path / "a.txt", "user,item,timestamp\n".replace(",", sep)
                         + "".join(f"{u}{sep}{i}{sep}{t}\n" for u, i, t in rows)), format=format).interactions
    assert numeric["item"].tolist() == ["007", "7", "07"]
    mixed = load(write(tmp_path / "b.txt", "user,item,timestamp\n".replace(",", sep)
                       + "".join(f"{u}{sep}{i}{sep}{t}\n" for u, i, t in rows + [("u2", "P9", 4)])),
                 format=format).interactions
    assert mixed["item"].tolist() == ["007", "7", "07", "P9"]
    assert numeric["timestamp"].tolist() == [pd.Timestamp(t, unit="s") for t in (1, 2, 3)]


def test_diginetica_public_sample_snake_case_header():
    camel = load(fixture("diginetica_views.csv"), format="diginetica", errors="skip")
    snake = load(fixture("diginetica_sample.csv"), format="diginetica", errors="skip")
    pd.testing.assert_frame_equal(camel.interactions, snake.interactions)
    renamed = {reason.replace("itemId", "item_id"): n for reason, n in camel.report.dropped.items()}
    assert snake.report.dropped == renamed
    with pytest.raises(DataFormatError, match=r"line 11, column 'item_id'"):  # the file's own spelling
        load(fixture("diginetica_sample.csv"), format="diginetica")


# ---- encodings ----
LATIN1 = {"user": "who", "item": "what"}


def test_encoding_latin1(tmp_path):
    frame = load(fixture("interactions_latin1.csv"), format="csv", encoding="latin-1", columns=LATIN1).interactions
    assert frame["user"].tolist() == ["José", "Renée", "José"]
    with pytest.raises(DataFormatError, match=r"interactions_latin1.csv, line 2, column '<line>': expected UTF-8"):
        load(fixture("interactions_latin1.csv"), format="csv", columns=LATIN1)
    skipped = load(fixture("interactions_latin1.csv"), format="csv", errors="skip", columns=LATIN1)
    assert skipped.report.rows_in == 3 and skipped.report.dropped == {"malformed <line>: expected UTF-8 text": 3}
    with pytest.raises(ValueError, match="encoding='klingon'"):
        load(fixture("interactions_latin1.csv"), format="csv", encoding="klingon", columns=LATIN1)


def test_encoding_in_the_line_by_line_readers(tmp_path):
    text = "sessionId;userId;itemId;timeframe;eventdate\n1;Jos\u00e9;5;100;2016-05-09\n"
    path = write(tmp_path / "views.csv", text, encoding="cp1252")
    assert load(path, format="diginetica", encoding="cp1252").interactions["user"].tolist() == ["Jos\u00e9"]
    with pytest.raises(DataFormatError, match="line 2"):
        load(path, format="diginetica")
    with pytest.raises(ValueError, match="newline is one byte"):
        load(path, format="diginetica", encoding="utf-16")


# ---- parquet ----
def test_parquet_with_a_column_mapping(tmp_path):
    pytest.importorskip("pyarrow")
    path = tmp_path / "events.parquet"
    pd.DataFrame({"visitorid": ["a", "b", None, "a"], "itemid": [1, 2, 3, 4],
                  "timestamp": ["2023-01-01", "2023-01-02", "2023-01-03", "bad"]}).to_parquet(path)
    result = load(str(path), format="parquet", columns=VISITORS, errors="skip")
    assert result.interactions["user"].tolist() == ["a", "b"] and result.report.rows_in == 4
    with pytest.raises(DataFormatError, match=r"events.parquet, line 3, column 'visitorid'"):
        load(str(path), format="parquet", columns=VISITORS)


def test_parquet_without_pyarrow_says_what_it_needs(tmp_path, monkeypatch):
    def no_engine(*args, **kwargs):
        raise ImportError("Unable to find a usable engine")
    monkeypatch.setattr(pd, "read_parquet", no_engine)
    path = write(tmp_path / "x.parquet", "not really parquet")
    with pytest.raises(ImportError, match="reading Parquet needs pyarrow"):
        load(path, format="parquet")


# ---- RecBole atomic files ----
def test_recbole_inter_and_item():
    for path in (fixture("recbole/tiny.inter"), fixture("recbole")):  # the file or its folder
        result = load(path, format="recbole")
        frame = result.interactions
        assert frame["user"].tolist() == ["196", "186", "196", "22", "196"] and frame["rating"].tolist() == [3, 3, 1, 1, 2]
        assert frame["timestamp"].iloc[0] == pd.Timestamp(881250949, unit="s")
        items = result.items
        assert dict(zip(items["item"], items["title"]))["302"] == "L.A. Confidential"
        assert dict(zip(items["item"], items["category"]))["51"] == "Drama Romance"
    prepared = prepare(fixture("recbole"), format="recbole", min_user_count=0, min_item_count=0)
    assert prepared.n_users == 3 and set(prepared.item_titles.values()) >= {"Kolya", "Heavyweights"}


# ---- folders ----
@pytest.mark.parametrize("format", ["sasrec", "csv", "retailrocket", "amazon", "diginetica"])
def test_a_folder_is_refused_clearly(tmp_path, format):
    with pytest.raises(DataFormatError, match="is a folder, expected a file"):
        load(str(tmp_path), format=format)


def test_a_recbole_folder_without_one_inter_file(tmp_path):
    with pytest.raises(DataFormatError, match="exactly one"):
        load(str(tmp_path), format="recbole")


# ---- the command line: --format csv --columns, --errors, --encoding, --min-user-count ----
def test_train_reads_any_file_from_the_command_line(tmp_path, capsys):
    from minishop.cli import main
    rows = [f"v{u},p{(u * 7 + k * 3) % 25},{1700000000 + 60 * k}" for u in range(60) for k in range(6)]
    path = write(tmp_path / "events.csv", "visitor,sku,when\n" + "\n".join(rows) + "\nv1,p1,soon\n")
    tiny = ["--epochs", "1", "--d-model", "8", "--n-blocks", "1", "--n-heads", "1", "--max-len", "8", "--quiet"]
    base = ["train", "--data", path, "--format", "csv", "--columns", "user=visitor,item=sku,timestamp=when"] + tiny
    assert main(base) == 2
    assert re.search(r"events.csv, line 362, column 'when'", capsys.readouterr().err)
    run = str(tmp_path / "run")
    assert main(base + ["--errors", "skip", "--min-user-count", "4", "--encoding", "latin-1", "--out", run]) == 0
    assert "malformed when" not in capsys.readouterr().err
    assert main(["evaluate", run, "--no-baselines"]) == 0  # the run's own data, read with its settings
    again = ["evaluate", run, "--data", path, "--format", "csv", "--columns", "user=visitor,item=sku,timestamp=when"]
    assert main(again + ["--errors", "raise"]) == 2  # another file, read with other settings
    assert re.search(r"events.csv, line 362, column 'when'", capsys.readouterr().err)
    assert main(["train", "--data", str(tmp_path), "--format", "csv"] + tiny) == 2
    assert "is a folder, expected a file" in capsys.readouterr().err


def test_labelled_texts_skip_and_encoding(tmp_path):
    from minishop.data import labelled
    text = "très bien\t1\nno tab here\nmauvais\t0\n\t1\nsuper\t1\n"
    path = write(tmp_path / "reviews.tsv", text, encoding="latin-1")
    with pytest.raises(ValueError, match=r"reviews.tsv:1: the line is not valid UTF-8"):
        labelled.load(path)
    with pytest.raises(ValueError, match=r"reviews.tsv:2: expected 'text<TAB>label'"):
        labelled.load(path, encoding="latin-1")
    data = labelled.load(path, errors="skip", encoding="latin-1")
    assert data.texts == ["très bien", "mauvais", "super"] and data.skipped == {"no tab": 1, "empty text": 1}
    with pytest.raises(DataFormatError, match="is a folder"):
        labelled.load(str(tmp_path))


@pytest.mark.parametrize("quote", ["", '"'])  # without quotes the fields are counted from the bytes, with them by csv
def test_a_short_row_is_a_fault_not_empty_fields(tmp_path, quote):
    text = f"user,item,timestamp,{quote}note{quote}\nu1,i1,1700000000,a\nu2,i2,1700000000\n\nu3,i3,1700000000,\n"
    path = write(tmp_path / "short.csv", text)
    with pytest.raises(DataFormatError, match=r"short.csv, line 3, column '<line>': expected 4 fields, got '3 fields'"):
        load(path, format="csv")
    result = load(path, format="csv", errors="skip")
    assert result.interactions["user"].tolist() == ["u1", "u3"] and result.report.rows_in == 3


def test_sasrec_read_by_pandas_keeps_line_order_and_takes_tabs(tmp_path):
    path = write(tmp_path / "pairs.txt", "1\t5\n\n1\t6\n2\t5\n")
    frame = load(path, format="sasrec").interactions
    assert frame.values.tolist() == [[1, 5, 1, "interaction"], [1, 6, 3, "interaction"], [2, 5, 4, "interaction"]]
