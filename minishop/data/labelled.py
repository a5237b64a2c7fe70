"""Labelled sentences: read `text<TAB>label` files and CSV files into (texts, labels).

Two formats cover most review collections a shop owner has at hand:

- **TSV**, one example per line, the text then a TAB then the label, as in the UCI
  "Sentiment Labelled Sentences" collection (Amazon, Yelp and IMDb reviews labelled 0/1):

      So there is no way for me to plug it in here in the US.<TAB>0
      Good case, Excellent value.<TAB>1

  The label is everything after the LAST tab, so a text that itself contains a tab still loads.

- **CSV** with a header row, where you name the text column and the label column
  (for example `review_text` and `stars`).

Every problem is an error that names the file and the line, never a silently dropped example:
a line without a tab, an empty text or label, a CSV row with the wrong number of fields, bytes that
are not UTF-8. Blank lines are the one thing skipped, and they are counted in `skipped_blank`.
"""

import csv
import io
from dataclasses import dataclass, field


@dataclass
class LabelledTexts:
    """Texts with one label each (labels are strings exactly as written in the file)."""

    texts: list
    labels: list
    source: str = ""
    skipped_blank: int = 0
    classes: list = field(default_factory=list)  # the distinct labels, sorted (numerically if all are numbers)

    def __len__(self):
        return len(self.texts)

    def label_ids(self, classes=None):
        """The labels as integer class ids (a host list), using `classes` (default: self.classes)."""
        classes = self.classes if classes is None else list(classes)
        index = {label: i for i, label in enumerate(classes)}
        unknown = sorted({label for label in self.labels if label not in index})
        if unknown:
            raise ValueError(f"{self.source}: labels {unknown} are not among the classes {classes}")
        return [index[label] for label in self.labels]


def sorted_classes(labels):
    """Distinct labels in a natural order: numerically when every label is a number, else alphabetically."""
    distinct = set(labels)
    try:
        return sorted(distinct, key=float)
    except ValueError:
        return sorted(distinct)


def _decoded_lines(path):
    """Yield (line number, text of the line without its newline), decoding UTF-8 line by line."""
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as error:
                raise ValueError(f"{path}:{number}: the line is not valid UTF-8 ({error.reason})") from None
            yield number, line.rstrip("\r\n")


def _append_example(texts, labels, text, label, place, text_name, label_name):
    """Append one (text, label) pair, stripped; an empty text or label is an error naming `place` (path:line)."""
    text, label = text.strip(), label.strip()
    if not text:
        raise ValueError(f"{place}: {text_name} is empty")
    if not label:
        raise ValueError(f"{place}: {label_name} is empty")
    texts.append(text)
    labels.append(label)


def load_tsv(path):
    """Read `text<TAB>label` lines from `path` into LabelledTexts.

    Raises ValueError naming `path:line` for a line with no tab, an empty text or an empty label.
    """
    texts, labels, blank = [], [], 0
    for number, line in _decoded_lines(path):
        if not line.strip():
            blank += 1
            continue
        if "\t" not in line:
            raise ValueError(f"{path}:{number}: expected 'text<TAB>label', found no tab in {line[:60]!r}")
        text, label = line.rsplit("\t", 1)
        _append_example(texts, labels, text, label, f"{path}:{number}",
                        "the text before the tab", "the label after the last tab")
    if not texts:
        raise ValueError(f"{path}: no labelled lines found (expected 'text<TAB>label' per line)")
    return LabelledTexts(texts, labels, str(path), blank, sorted_classes(labels))


def load_csv(path, text_column="text", label_column="label"):
    """Read a CSV file with a header row; take the texts from `text_column` and labels from `label_column`.

    Raises ValueError naming the file for missing columns, and `path:line` for a row whose field count
    differs from the header's or whose text or label is empty.
    """
    with open(path, "rb") as handle:
        try:
            content = handle.read().decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = _line_of_byte(path, error.start)
            raise ValueError(f"{path}:{line}: the file is not valid UTF-8 ({error.reason})") from None
    reader = csv.reader(io.StringIO(content, newline=""))
    header = next(reader, None)
    if header is None:
        raise ValueError(f"{path}: the CSV file is empty (expected a header row)")
    header = [name.strip() for name in header]
    for argument, column in (("text_column", text_column), ("label_column", label_column)):
        if column not in header:
            raise ValueError(f"{path}: {argument}={column!r} is not a column; the header has {header}")
    text_at, label_at = header.index(text_column), header.index(label_column)
    texts, labels, blank = [], [], 0
    for row in _rows(reader, path):
        number = reader.line_num  # the line where this row ends (a quoted field may span lines)
        if not any(value.strip() for value in row):
            blank += 1
            continue
        if len(row) != len(header):
            raise ValueError(f"{path}:{number}: expected {len(header)} fields as in the header, found {len(row)}")
        _append_example(texts, labels, row[text_at], row[label_at], f"{path}:{number}",
                        f"the text column {text_column!r}", f"the label column {label_column!r}")
    if not texts:
        raise ValueError(f"{path}: no rows found after the header")
    return LabelledTexts(texts, labels, str(path), blank, sorted_classes(labels))


def _rows(reader, path):
    """Yield the rows of a csv.reader, turning a csv.Error into an error naming file:line."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise ValueError(f"{path}:{reader.line_num}: malformed CSV ({error})") from None
        yield row


def _line_of_byte(path, byte_offset):
    """The 1-based line number holding byte `byte_offset` of the file (for error messages)."""
    with open(path, "rb") as handle:
        return handle.read(byte_offset).count(b"\n") + 1


def load(path, format="tsv", text_column="text", label_column="label"):
    """Load labelled texts in `format` "tsv" (text<TAB>label) or "csv" (named columns)."""
    if format == "tsv":
        return load_tsv(path)
    if format == "csv":
        return load_csv(path, text_column, label_column)
    raise ValueError(f"load(format={format!r}): expected 'tsv' or 'csv'")
