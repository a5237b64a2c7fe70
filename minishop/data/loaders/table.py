"""Read a delimited text file (CSV, TSV, ...) or a Parquet file into a table, vectorised.

pandas' C reader parses the whole file in one pass, which is what makes millions of rows load in seconds.
Every column is read as text, so an id keeps its spelling: 007, 07 and 7 are three ids, whatever the other
rows hold. Only the columns a loader names in `numbers` (a time stamp, a rating: never an id) may be read
as numbers, which is faster (no text object per field).

What a line-by-line reader would notice is found afterwards, a column at a time. The newline and delimiter
positions of the raw bytes give each row its line number and its number of fields (`_line_facts`), so a row
with too many or too few fields is a fault; text that is not in the encoding is read again with U+FFFD for
the bad bytes and found; and each loader checks its fields with vectorised parsers (`Table.fail_rows`).
The errors read exactly like a line-by-line reader's ("file, line 7, column 'timestamp': expected ...").
"""

import csv
import io

import pandas as pd

from minishop import backend
from minishop.data.loaders.base import open_binary
from minishop.data.report import DataFormatError

DELIMITERS = (",", ";", "\t", "|")


def sniff_delimiter(header_text, default=","):
    """The candidate delimiter that splits the header line into the most fields (`default` if none does)."""
    counts = {d: header_text.count(d) for d in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else default


class Table:
    """The rows of a file (`frame`, one column per needed header name) and the bookkeeping of
    its malformed rows: `fail_rows` collects them column by column, `flush` reports them in line order."""

    def __init__(self, lines, frame, header, unit="line", delimiter=",", header_line=True):
        self.lines, self.frame, self.header, self.unit, self.delimiter = lines, frame, header, unit, delimiter
        self.header_line = header_line  # False: the file has no header line; its first line is data
        self.pending = []  # (line, column, expected, got)
        self._line_of = self._fields = None
        self.bad = backend.np.zeros(len(frame), dtype=bool)
        lines.report.rows_in = len(frame)

    def fail_rows(self, bad, column, expected, got=None):
        """Mark the rows where `bad` (a boolean array) holds; each row is reported once, for its first fault."""
        new = backend.np.asarray(bad, dtype=bool) & ~self.bad
        if new.any():
            rows = backend.np.flatnonzero(new)
            got = self.frame[column] if got is None else got
            values = [got] * len(rows) if isinstance(got, str) else pd.Series(got).to_numpy()[rows]
            for line, value in zip(self.line_numbers(rows), values):
                self.pending.append((int(line), column, expected, value))
            self.bad |= new
        return new

    def drop_rows(self, drop, reason):
        """Drop the rows where `drop` holds for a stated reason (not malformed: e.g. a guest order), counted."""
        new = backend.np.asarray(drop, dtype=bool) & ~self.bad
        self.lines.report.drop(reason, int(new.sum()))
        self.bad |= new

    def flush(self):
        """Report every malformed row in line order (errors='raise' stops at the first); return the good rows."""
        n_columns = len(self.header)
        for line, column, expected, got in sorted(self.pending, key=lambda fault: fault[0]):
            self.lines.fail(line, column, expected, got)
        self.pending = []
        good = self.frame[~self.bad] if self.bad.any() else self.frame
        return good.reset_index(drop=True)

    def line_numbers(self, rows):
        """The line (or Parquet row) numbers, from 1, of the table rows `rows` (a sorted int array)."""
        if self.unit == "row":
            return backend.np.asarray(rows) + 1
        if self._line_of is None:
            self._line_of, self._fields = _line_facts(self.lines.path, len(self.frame), self.lines.encoding,
                                                      self.delimiter, self.header_line)
        return self._line_of[rows]

    def fail_wrong_widths(self):
        """Rows whose line has more or fewer fields than the header (pandas cuts or pads them to its width)."""
        self.line_numbers([])
        wrong = self._fields != len(self.header)
        if wrong.any():
            self.fail_rows(wrong, "<line>", f"{len(self.header)} fields",
                           got=pd.Series(self._fields).astype(str) + " fields")


def read_delimited(lines, delimiter=None, needed=None, names=None, numbers=()):
    """Read the file of `lines` (a base.Lines) into a Table with pandas' C reader.

    delimiter=None sniffs it from the header line. needed: header names to keep (default all). Every column
    is split (a row with more fields than the header is a fault, not a row whose extra fields are ignored),
    and the others are let go before the caller parses anything. names: the column names of a file that
    has no header line. numbers: the header names that are read as numbers when all their fields are
    (or a function of the header returning them); every other column is text, ids included.
    """
    delimiter = delimiter or sniff_delimiter(first_line(lines))
    header = list(names) if names else lines.header(delimiter=delimiter)
    numbers = set(numbers(header) if callable(numbers) else numbers)
    as_text = [position for position, name in enumerate(header) if name not in numbers]
    try:
        frame = _read(lines, delimiter, "strict", len(header), as_text, header_line=not names)
        undecodable = None
    except UnicodeDecodeError:  # read it again with U+FFFD for the bad bytes, and find the rows that have one
        frame = _read(lines, delimiter, "replace", len(header), as_text, header_line=not names)
        undecodable = backend.np.zeros(len(frame), dtype=bool)
        for column in frame.columns:
            if not pd.api.types.is_numeric_dtype(frame[column]):
                undecodable |= text_column(frame[column]).str.contains("\ufffd", regex=False).to_numpy(dtype=bool)
    frame.columns = header
    keep = [name for name in header if needed is None or name in needed]
    table = Table(lines, frame[keep] if len(keep) < len(header) else frame, header, delimiter=delimiter,
                  header_line=not names)
    table.fail_wrong_widths()
    if undecodable is not None:
        table.fail_rows(undecodable, "<line>", f"{lines.encoding.upper()} text", got="(bytes that do not decode)")
    return table


def text_column(column):
    """A column as stripped text: a number as it prints (a column read in chunks can mix numbers and text)."""
    if pd.api.types.is_string_dtype(column.dtype) and not pd.api.types.is_object_dtype(column.dtype):
        return column.str.strip()
    return column.astype(str).str.strip()


def read_parquet(lines, needed=None):
    """Read a Parquet file into a Table (faults are reported by row number; missing values become "")."""
    try:
        frame = pd.read_parquet(lines.path, columns=needed)
    except ImportError as error:
        raise ImportError(f"{lines.path}: reading Parquet needs pyarrow (pip install pyarrow, or "
                          f"pip install -e '.[parquet]'): {error}") from None
    except Exception as error:  # pyarrow's own errors: not a Parquet file, a missing column, ...
        raise DataFormatError(f"{lines.path}: could not read it as Parquet ({error})") from None
    header = [str(name) for name in frame.columns]
    frame.columns = header
    for column in header:  # a missing value is an empty field, as in a text file
        if frame[column].isna().any():
            frame[column] = frame[column].astype(object).where(frame[column].notna(), "")
    return Table(lines, frame.reset_index(drop=True), header, unit="row")


def first_line(lines):
    with open_binary(lines.path) as handle:
        return handle.readline().decode(lines.encoding, errors="replace")


def _read(lines, delimiter, encoding_errors, width, as_text, header_line=True):
    """pandas' C reader: the columns at positions `as_text` as text, the others as numbers where they all
    are, nothing turned into NaN; every row cut or padded to `width` fields (`Table.fail_wrong_widths` then
    finds the rows that were)."""
    try:
        return pd.read_csv(lines.path, sep=delimiter, header=0 if header_line else None, names=list(range(width)),
                           usecols=list(range(width)), dtype=dict.fromkeys(as_text, str), index_col=False,
                           keep_default_na=False, engine="c",
                           encoding=lines.encoding, encoding_errors=encoding_errors, compression="infer",
                           skip_blank_lines=True)
    except pd.errors.ParserError as error:
        raise DataFormatError(f"{lines.path}: could not be split into fields with delimiter {delimiter!r} "
                              f"({error})") from None


def _line_facts(path, n_rows, encoding, delimiter, header_line=True):
    """(n_rows,) the line number of each table row and (n_rows,) how many fields its line has.

    Found from the bytes: a row's line is a non-blank line after the header, and its fields are its delimiters + 1 (counted by binary search in the sorted delimiter positions). A quote in
    the file (a quoted field may hold a delimiter or span lines) sends the count to the csv module instead,
    which is exact and slower.
    """
    np = backend.np
    with open_binary(path) as handle:
        raw = handle.read()
    buffer = np.frombuffer(raw, dtype=np.uint8)
    if not (buffer == ord('"')).any():
        ends = np.flatnonzero(buffer == 10)
        starts = np.concatenate([[0], ends + 1])
        ends = np.concatenate([ends, [len(buffer)]])
        delimiters = np.flatnonzero(buffer == ord(delimiter))
        fields = np.searchsorted(delimiters, ends) - np.searchsorted(delimiters, starts) + 1
        blank = starts >= ends
        for line in np.flatnonzero((fields == 1) & ~blank):  # no delimiter: maybe only spaces, tabs or \r
            blank[line] = not raw[starts[line]:ends[line]].strip()
        lines = np.flatnonzero(~blank)
        lines = lines[1:] if header_line else lines  # the first non-blank line is the header
        line_of, fields = lines + 1, fields[lines]
        if len(line_of) == n_rows:
            return line_of, fields
    reader = csv.reader(io.StringIO(raw.decode(encoding, errors="replace").lstrip("\ufeff"), newline=""),
                        delimiter=delimiter)
    facts = [(reader.line_num, len(row)) for row in reader if any(field.strip() for field in row)]
    facts = np.asarray(facts[1:] if header_line else facts, dtype=np.int64).reshape(-1, 2)
    return facts[:, 0], facts[:, 1]
