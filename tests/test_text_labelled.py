"""Loaders for labelled sentences: TSV (text<TAB>label) and CSV with named columns."""

from pathlib import Path

import pytest

from minishop.data import labelled

FIXTURES = Path(__file__).parent / "fixtures" / "text"


def test_tsv_reads_every_line_with_its_label():
    data = labelled.load_tsv(FIXTURES / "sentences.tsv")
    assert len(data) == 60
    assert data.texts[0] == "The keyboard is reliable. Would buy again."
    assert data.labels[:3] == ["1", "0", "1"]
    assert data.classes == ["0", "1"]
    assert data.label_ids()[:3] == [1, 0, 1]
    assert data.skipped_blank == 0


def test_tsv_label_is_after_the_last_tab(tmp_path):
    path = tmp_path / "tabs.tsv"
    path.write_text("left\tright part\t2\nplain\t10\n", encoding="utf-8")
    data = labelled.load_tsv(path)
    assert data.texts == ["left\tright part", "plain"]
    assert data.classes == ["2", "10"]  # numeric order, not "10" < "2"


@pytest.mark.parametrize(
    "name, line, reason",
    [
        ("malformed_no_tab.tsv", 3, "no tab"),
        ("malformed_empty_text.tsv", 2, "text before the tab is empty"),
        ("malformed_empty_label.tsv", 2, "label after the last tab is empty"),
        ("malformed_utf8.tsv", 2, "not valid UTF-8"),
    ],
)
def test_tsv_rejects_malformed_lines_naming_file_and_line(name, line, reason):
    with pytest.raises(ValueError) as error:
        labelled.load_tsv(FIXTURES / name)
    message = str(error.value)
    assert f"{name}:{line}:" in message
    assert reason in message


def test_csv_reads_chosen_columns_including_quoted_newlines():
    data = labelled.load_csv(FIXTURES / "reviews.csv", text_column="review", label_column="stars")
    assert len(data) == 40
    assert data.texts[3] == 'Says "great", means it, too.\nSecond line of the same review.'
    assert set(data.labels) <= {"1", "2", "4", "5"}
    assert data.classes == sorted(set(data.labels), key=int)


@pytest.mark.parametrize(
    "name, line, reason",
    [("malformed_fields.csv", 3, "expected 3 fields"), ("malformed_empty_review.csv", 3, "'review' is empty")],
)
def test_csv_rejects_malformed_rows_naming_file_and_line(name, line, reason):
    with pytest.raises(ValueError) as error:
        labelled.load_csv(FIXTURES / name, text_column="review", label_column="stars")
    assert f"{name}:{line}:" in str(error.value)
    assert reason in str(error.value)


def test_csv_missing_column_names_the_argument_and_the_header():
    expected = r"label_column='rating' is not a column; the header has \['id', 'review', 'stars'\]"
    with pytest.raises(ValueError, match=expected):
        labelled.load_csv(FIXTURES / "reviews.csv", text_column="review", label_column="rating")


def test_blank_lines_are_counted_not_hidden(tmp_path):
    path = tmp_path / "blank.tsv"
    path.write_text("good\t1\n\n   \nbad\t0\n", encoding="utf-8")
    data = labelled.load(path, format="tsv")
    assert len(data) == 2 and data.skipped_blank == 2


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="format='json'"):
        labelled.load(FIXTURES / "sentences.tsv", format="json")
