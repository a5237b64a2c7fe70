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
are not in the encoding (`encoding=`, UTF-8 by default). With errors="skip" such lines are skipped and
counted by reason in `skipped`. Blank lines are always skipped, and counted in `skipped_blank`.
"""

import csv
import io
from dataclasses import dataclass, field

from minishop.data.loaders.base import check_encoding, check_errors_argument, check_file


@dataclass
class LabelledTexts:
    """Texts with one label each (labels are strings exactly as written in the file)."""

    texts: list
    labels: list
    source: str = ""
    skipped_blank: int = 0
    classes: list = field(default_factory=list)  # the distinct labels, sorted (numerically if all are numbers)
    skipped: dict = field(default_factory=dict)  # reason -> lines skipped with errors="skip"

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


class Faults:
    """A bad line: raise a ValueError naming `path:line` (errors="raise"), or count it by reason ("skip")."""

    def __init__(self, errors):
        check_errors_argument(errors)
        self.errors, self.skipped = errors, {}

    def __call__(self, place, problem, reason):
        if self.errors == "raise":
            raise ValueError(f"{place}: {problem} (pass errors='skip' to skip and count such lines)")
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


def _decoded_lines(path, encoding, fault):
    """Yield (line number, text of the line without its newline), decoding line by line."""
    with open(check_file(path), "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode(encoding)
            except UnicodeDecodeError as error:
                problem = f"the line is not valid {encoding.upper()} ({error.reason})"
                fault(f"{path}:{number}", problem, f"not {encoding}")
                continue
            yield number, (line.lstrip("\ufeff") if number == 1 else line).rstrip("\r\n")


def _append_example(texts, labels, text, label, place, text_name, label_name, fault):
    """Append one (text, label) pair, stripped; an empty text or label is a fault at `place` (path:line)."""
    text, label = text.strip(), label.strip()
    if not text:
        return fault(place, f"{text_name} is empty", "empty text")
    if not label:
        return fault(place, f"{label_name} is empty", "empty label")
    texts.append(text)
    labels.append(label)


def load_tsv(path, errors="raise", encoding="utf-8"):
    """Read `text<TAB>label` lines from `path` into LabelledTexts.

    A line with no tab, an empty text or an empty label raises ValueError naming `path:line`, or with
    errors="skip" is skipped and counted in `skipped`.
    """
    texts, labels, blank, fault = [], [], 0, Faults(errors)
    for number, line in _decoded_lines(path, check_encoding(encoding), fault):
        if not line.strip():
            blank += 1
            continue
        if "\t" not in line:
            fault(f"{path}:{number}", f"expected 'text<TAB>label', found no tab in {line[:60]!r}", "no tab")
            continue
        text, label = line.rsplit("\t", 1)
        _append_example(texts, labels, text, label, f"{path}:{number}",
                        "the text before the tab", "the label after the last tab", fault)
    if not texts:
        raise ValueError(f"{path}: no labelled lines found (expected 'text<TAB>label' per line)")
    return LabelledTexts(texts, labels, str(path), blank, sorted_classes(labels), fault.skipped)


def load_csv(path, text_column="text", label_column="label", errors="raise", encoding="utf-8"):
    """Read a CSV file with a header row; take the texts from `text_column` and labels from `label_column`.

    Raises ValueError naming the file for missing columns or bytes not in `encoding`, and `path:line` for a
    row whose field count differs from the header's or whose text or label is empty (with errors="skip"
    such rows are skipped and counted in `skipped`).
    """
    fault = Faults(errors)
    with open(check_file(path), "rb") as handle:
        try:
            content = handle.read().decode(check_encoding(encoding)).lstrip("\ufeff")
        except UnicodeDecodeError as error:
            line = _line_of_byte(path, error.start)
            raise ValueError(f"{path}:{line}: the file is not valid {encoding.upper()} ({error.reason}; "
                             f"pass --encoding if it is written in another)") from None
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
            fault(f"{path}:{number}", f"expected {len(header)} fields as in the header, found {len(row)}",
                  "wrong number of fields")
            continue
        _append_example(texts, labels, row[text_at], row[label_at], f"{path}:{number}",
                        f"the text column {text_column!r}", f"the label column {label_column!r}", fault)
    if not texts:
        raise ValueError(f"{path}: no rows found after the header")
    return LabelledTexts(texts, labels, str(path), blank, sorted_classes(labels), fault.skipped)


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


def load(path, format="tsv", text_column="text", label_column="label", errors="raise", encoding="utf-8"):
    """Load labelled texts in `format` "tsv" (text<TAB>label) or "csv" (named columns)."""
    if format == "tsv":
        return load_tsv(path, errors, encoding)
    if format == "csv":
        return load_csv(path, text_column, label_column, errors, encoding)
    raise ValueError(f"load(format={format!r}): expected 'tsv' or 'csv'")
