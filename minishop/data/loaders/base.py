"""What every loader shares: the result object, reading lines safely, and reporting malformed input.

A loader reads its file line by line. Each field is checked by a small parser (`to_int`, `to_time`, ...). When a
check fails, `Lines.fail` either raises a `DataFormatError` that names the file, the line number, the column and
what was expected (errors="raise"), or counts the line as dropped for that reason (errors="skip").
"""

import codecs
import csv
import gzip
import io
import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone

from minishop.data.report import DataFormatError, Report

INTERACTION_COLUMNS = ("user", "item", "timestamp", "event")


@dataclass
class LoadResult:
    """A loaded dataset: interactions (user, item, timestamp, event, ...), item metadata (or None), a report."""

    interactions: object  # pandas DataFrame
    items: object  # pandas DataFrame with at least item, title, category; or None
    report: Report
    reviews: object = None  # pandas DataFrame of reviews (user, item, timestamp, rating, text) when separate
    users: object = None  # pandas DataFrame of user attributes when the source has them

    def __repr__(self):
        n_items = "none" if self.items is None else f"{len(self.items):,}"
        return (f"LoadResult({len(self.interactions):,} interactions, item metadata: {n_items})\n"
                + str(self.report))


def check_errors_argument(errors):
    if errors not in ("raise", "skip"):
        raise ValueError(f"errors={errors!r}: expected 'raise' or 'skip'")


def check_file(path):
    """A missing path or a folder where a file is expected is a clear error, not a traceback."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file")
    if os.path.isdir(path):
        raise DataFormatError(f"{path}: is a folder, expected a file (pass the data file inside it)")
    return str(path)


def check_encoding(encoding):
    """An unknown encoding, or one whose newline is not the byte 0x0A (the readers split lines on it), is a
    clear error naming the argument."""
    try:
        codecs.lookup(encoding)
    except (LookupError, TypeError):
        raise ValueError(f"encoding={encoding!r}: not a text encoding Python knows (e.g. utf-8, latin-1, cp1252)")
    if "\n".encode(encoding) != b"\n":
        raise ValueError(f"encoding={encoding!r}: expected an encoding whose newline is one byte, like utf-8, "
                         f"latin-1 or cp1252 (convert the file first, e.g. iconv -f {encoding} -t utf-8)")
    return encoding


def open_binary(path):
    """Open a plain or gzip-compressed file for reading bytes; a missing file or a folder is a clear error."""
    check_file(path)
    return gzip.open(path, "rb") if str(path).endswith(".gz") else open(path, "rb")


def column_key(name):
    """The spelling-free key of a column name, so that header variants match: case, snake_case or camelCase,
    spaces, quotes, a byte-order mark and RecBole's type suffix do not matter.

        "sessionId", "session_id", "Session ID", '"session_id"', "session_id:token"  ->  "sessionid"
    """
    name = str(name).replace("\ufeff", "").strip().strip("\"'").strip()
    name = re.sub(r":(token|token_seq|float|float_seq)$", "", name)
    return re.sub(r"[^0-9a-z]", "", name.lower())


class Lines:
    """Iterate the decoded lines of a file, with the bookkeeping for malformed ones."""

    def __init__(self, path, step, errors, encoding="utf-8"):
        check_errors_argument(errors)
        self.path, self.errors, self.encoding = check_file(path), errors, check_encoding(encoding)
        self.report = Report(step=step, rows_in=0, rows_out=0)

    def fail(self, line_no, column, expected, got):
        """A malformed line: raise with its position, or count it under a reason."""
        if self.errors == "raise":
            raise DataFormatError(f"{self.path}, line {line_no}, column {column!r}: expected {expected}, "
                                  f"got {got!r} (pass errors='skip' to skip and count such lines)")
        self.report.drop(f"malformed {column}: expected {expected}")
        return None

    def decoded(self, skip_header=False):
        """Yield (line number, text) for each non-blank line; lines not in the encoding are failed."""
        with open_binary(self.path) as handle:
            for line_no, raw in enumerate(handle, start=1):
                if skip_header and line_no == 1:
                    continue
                if not raw.strip():
                    continue
                self.report.rows_in += 1
                try:
                    yield line_no, raw.decode(self.encoding).lstrip("\ufeff").rstrip("\r\n")
                except UnicodeDecodeError as error:
                    got = raw[max(0, error.start - 5):error.end + 5]
                    self.fail(line_no, "<line>", f"{self.encoding.upper()} text", got)

    def json_objects(self):
        """Yield (line number, text, record) for each line holding a JSON object; other lines are failed."""
        for line_no, text in self.decoded():
            try:
                record = json.loads(text)
            except json.JSONDecodeError:
                record = None
            if not isinstance(record, dict):
                self.fail(line_no, "<line>", "a JSON object", text[:60])
                continue
            yield line_no, text, record

    def header(self, delimiter=","):
        """The first line split into column names; an empty file is an error."""
        with open_binary(self.path) as handle:
            first = handle.readline()
        if not first.strip():
            raise DataFormatError(f"{self.path}: the file is empty, expected a header line")
        text = first.decode(self.encoding, errors="replace").lstrip("\ufeff").rstrip("\r\n")
        return [name.strip() for name in next(csv.reader([text], delimiter=delimiter))]

    def rows(self, n_columns, delimiter=","):
        """Yield (line number, fields) for each data line of a CSV file with `n_columns` columns."""
        with open_binary(self.path) as handle:
            raw = handle.read()
        try:
            text = raw.decode(self.encoding).lstrip("\ufeff")
        except UnicodeDecodeError:  # slow path: find and report the lines that are not UTF-8
            yield from self._rows_line_by_line(n_columns, delimiter)
            return
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        for fields in reader:
            if reader.line_num == 1 or not fields:  # the header; blank lines are not rows
                continue
            self.report.rows_in += 1
            if len(fields) != n_columns:
                self.fail(reader.line_num, "<line>", f"{n_columns} columns",
                          f"{len(fields)} columns: {delimiter.join(fields)[:60]}")
                continue
            yield reader.line_num, fields

    def _rows_line_by_line(self, n_columns, delimiter):
        for line_no, text in self.decoded(skip_header=True):
            fields = next(csv.reader([text], delimiter=delimiter))
            if len(fields) != n_columns:
                self.fail(line_no, "<line>", f"{n_columns} columns", f"{len(fields)} columns: {text[:60]}")
                continue
            yield line_no, fields

    def finish(self, n_kept, allow_empty=False):
        """Close the report; no data rows at all is an error in errors='raise' mode."""
        self.report.rows_out = n_kept
        if self.report.rows_in == 0 and not allow_empty:
            if self.errors == "raise":
                raise DataFormatError(f"{self.path}: no data rows (the file has at most a header line)")
            self.report.notes.append("the file has no data rows")
        return self.report.check()


def side_note(side_report):
    """One line summing up a side file's report (item metadata, reviews), for the main report's notes."""
    return (f"{side_report.step}: {side_report.rows_in:,} rows read, {side_report.rows_out:,} kept, "
            f"dropped {side_report.dropped}")


def require_columns(lines, header, needed, aliases=None):
    """Map each needed column to its index in `header` (accepting aliases and any spelling of the names that
    `column_key` equates); a missing one is an error."""
    aliases = aliases or {}
    keys = [column_key(name) for name in header]
    index = {}
    for name in needed:
        for candidate in (name,) + tuple(aliases.get(name, ())):
            if column_key(candidate) in keys:
                index[name] = keys.index(column_key(candidate))
                break
        else:
            raise DataFormatError(f"{lines.path}, line 1: expected a column {name!r} "
                                  f"(or {aliases.get(name, ())}) in the header, found {header}")
    return index


# ---- field parsers: each returns the value, or raises ValueError with what was expected ----
def to_int(text):
    return int(text.strip())


def to_float(text):
    value = float(text.strip())
    if value != value:
        raise ValueError("nan")
    return value


def to_nonnegative(text):
    value = to_float(text)
    if value < 0:
        raise ValueError("negative")
    return value


def to_time(text, formats=()):
    """Parse an ISO date-time (or one of `formats`) into a naive datetime."""
    text = text.strip()
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        for fmt in formats:
            try:
                return datetime.strptime(text, fmt)
            except ValueError:
                pass
        raise


def from_unix(seconds):
    """Unix seconds (UTC) -> naive UTC datetime."""
    return datetime.fromtimestamp(seconds, tz=timezone.utc).replace(tzinfo=None)


def to_id(text):
    text = text.strip()
    if not text:
        raise ValueError("empty")
    return text


def parse(lines, line_no, column, parser, text, expected):
    """Apply `parser` to one field; on failure report it via `lines.fail` and return None."""
    try:
        return parser(text)
    except (ValueError, TypeError, OverflowError):
        lines.fail(line_no, column, expected, text)
        return None


def parse_fields(lines, line_no, specs):
    """Parse (column, parser, text, expected) fields in order; None (one failure counted) if any is malformed."""
    values = []
    for column, parser, text, expected in specs:
        value = parse(lines, line_no, column, parser, text, expected)
        if value is None:
            return None
        values.append(value)
    return values

