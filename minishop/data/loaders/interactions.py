"""Load any interactions file: CSV, TSV or Parquet, with a mapping from our columns to the file's.

    load("events.csv", format="csv", columns={"user": "visitorid", "item": "itemid", "timestamp": "timestamp"})
    minishop train --data events.csv --format csv --columns user=visitorid,item=itemid,timestamp=timestamp

Without `columns` the usual names are recognised (NAMES), in any spelling `column_key` equates (user_id,
userId, "User ID", user_id:token). The user and item columns are needed; timestamp is optional (without it
the row order is the time order, and the report says so); event, rating and session are kept when present.
Timestamps are unix seconds or milliseconds (told apart by size) or date-times (ISO 8601, else any format
pandas recognises). Every row is parsed column by column, vectorised; a bad row is reported with its line.
"""

import pandas as pd

from minishop.data.loaders.base import DataFormatError, LoadResult, Lines, column_key
from minishop.data.loaders.table import read_delimited, read_parquet, text_column

NAMES = {  # our column -> the names it goes by in public datasets
    "user": ("user", "user_id", "visitor_id", "customer_id", "client_id", "reviewer_id", "member_id", "buyer_id"),
    "item": ("item", "item_id", "product_id", "product", "sku", "asin", "parent_asin", "article_id", "stock_code",
             "movie_id", "track_id"),
    "timestamp": ("timestamp", "time", "ts", "datetime", "date_time", "event_time", "created_at", "unix_time",
                  "time_stamp", "date"),
    "event": ("event", "event_type", "action", "behavior", "behaviour"),
    "rating": ("rating", "score", "stars", "overall"),
    "session": ("session", "session_id"),
}
REQUIRED = ("user", "item")
DELIMITERS = {"csv": None, "tsv": "\t"}  # None: sniffed from the header line


def parse_columns(text):
    """'user=visitorid,item=itemid' (the CLI's --columns) -> {"user": "visitorid", "item": "itemid"}."""
    mapping = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        ours, _, theirs = part.partition("=")
        if not ours.strip() or not theirs.strip():
            raise ValueError(f"--columns {text!r}: expected ours=theirs pairs separated by commas, like "
                             f"user=visitorid,item=itemid,timestamp=timestamp; got {part!r}")
        mapping[ours.strip()] = theirs.strip()
    return mapping


def find_columns(path, header, columns=None):
    """{our column: the header name it is read from}; an unknown key or a name not in the header is an error."""
    columns = parse_columns(columns) if isinstance(columns, str) else dict(columns or {})
    unknown = sorted(set(columns) - set(NAMES))
    if unknown:
        raise ValueError(f"columns={columns}: unknown key(s) {unknown}; expected some of {sorted(NAMES)}")
    keys = {column_key(name): name for name in header}
    found = {}
    for ours, aliases in NAMES.items():
        wanted = (columns[ours],) if ours in columns else aliases
        match = next((keys[column_key(name)] for name in wanted if column_key(name) in keys), None)
        if match is not None:
            found[ours] = match
        elif ours in columns or ours in REQUIRED:
            hint = f"columns[{ours!r}] = {columns[ours]!r}" if ours in columns else f"a {ours} column {aliases}"
            raise DataFormatError(f"{path}, line 1: expected {hint} in the header, found {header} "
                                  f"(map it with columns={{'{ours}': ...}} / --columns {ours}=NAME)")
    return found


def parse_times(column):
    """(N,) numbers or strings -> (N,) naive UTC datetimes (NaT where malformed) and what was expected."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        numbers, filled = column, len(column)
    else:
        column = text_column(column)
        numbers, filled = pd.to_numeric(column, errors="coerce"), int((column != "").sum())
    if numbers.notna().sum() * 2 >= max(1, filled):  # mostly numbers: unix time
        unit = "ms" if numbers.abs().median() > 1e11 else "s"  # 1e11 seconds is the year 5138
        times = pd.to_datetime(numbers, unit=unit, errors="coerce")
        return times, f"unix time in {'milliseconds' if unit == 'ms' else 'seconds'}"
    times = pd.to_datetime(column, format="ISO8601", errors="coerce", utc=True)
    if times.isna().sum() * 2 > len(times):
        times = pd.to_datetime(column, format="mixed", errors="coerce", utc=True)
    return times.dt.tz_localize(None), "a date-time like 2023-05-01 12:30:00 or unix seconds"


def to_interactions(table, found):
    """Parse the found columns of a Table (vectorised), report the bad rows, return the interactions frame."""
    raw = table.frame
    out = {}
    for ours in ("user", "item", "session", "event"):
        if ours in found:  # text, as read; a Parquet column of integer ids stays integers
            column = raw[found[ours]]
            out[ours] = column if pd.api.types.is_integer_dtype(column) else text_column(column)
    for ours in REQUIRED:
        if not pd.api.types.is_integer_dtype(out[ours]):
            table.fail_rows((out[ours] == "").to_numpy(dtype=bool), found[ours], f"a non-empty {ours} id")
    if "timestamp" in found:
        out["timestamp"], expected = parse_times(raw[found["timestamp"]])
        table.fail_rows(out["timestamp"].isna().to_numpy(dtype=bool), found["timestamp"], expected)
    if "rating" in found:
        out["rating"] = pd.to_numeric(text_column(raw[found["rating"]]), errors="coerce")
        table.fail_rows(out["rating"].isna().to_numpy(dtype=bool), found["rating"], "a number")
    frame = pd.DataFrame(out)
    table.frame = frame
    frame = table.flush()
    if "timestamp" not in frame.columns:
        frame["timestamp"] = pd.RangeIndex(len(frame))  # the file's order is the time order
        table.lines.report.notes.append("no timestamp column: the row order is the time order")
    if "event" not in frame.columns:
        frame["event"] = "interaction"
    first = ["user", "item", "timestamp", "event"]
    return frame[first + [c for c in frame.columns if c not in first]]


def load_interactions(path, format="csv", errors="raise", encoding="utf-8", columns=None, delimiter=None):
    """A CSV, TSV or Parquet file of interactions at `path` as a LoadResult (no item metadata)."""
    if format not in ("csv", "tsv", "parquet"):
        raise ValueError(f"load_interactions(format={format!r}): expected 'csv', 'tsv' or 'parquet'")
    lines = Lines(path, f"load {format}", errors, encoding)
    if format == "parquet":
        table = read_parquet(lines)
    else:
        def time_and_rating(header):  # the columns read as numbers; ids stay text
            return [name for ours, name in find_columns(lines.path, header, columns).items()
                    if ours in ("timestamp", "rating")]
        table = read_delimited(lines, delimiter=delimiter or DELIMITERS[format], numbers=time_and_rating)
    found = find_columns(lines.path, table.header, columns)
    table.frame = table.frame[list(dict.fromkeys(found.values()))]
    frame = to_interactions(table, found)
    report = lines.finish(len(frame))
    report.notes.append("columns: " + ", ".join(f"{ours} <- {theirs!r}" for ours, theirs in found.items()))
    return LoadResult(interactions=frame, items=None, report=report)
