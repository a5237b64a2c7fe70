"""Load CIKM Cup 2016 / Diginetica train-item-views.csv (`;`-separated).

Columns: sessionId, userId, itemId, timeframe (ms since the session's day), eventdate (YYYY-MM-DD); the
public sample spells them session_id, user_id, item_id, ... (any spelling `base.column_key` equates is read).
Most sessions are anonymous (userId "NA" or empty): then the user is the session, written "s<sessionId>".
The rows are read by pandas and checked a column at a time (loaders/table.py).
"""

import pandas as pd

from minishop.data.loaders.base import LoadResult, Lines, require_columns
from minishop.data.loaders.retailrocket import whole_numbers
from minishop.data.loaders.table import read_delimited, text_column

NEEDED = ("sessionId", "userId", "itemId", "timeframe", "eventdate")


def load_diginetica(path, errors="raise", encoding="utf-8"):
    """train-item-views.csv at `path` as a LoadResult of "view" interactions (no item metadata)."""
    lines = Lines(path, "load diginetica", errors, encoding)
    table = read_delimited(lines)  # ";" in the releases; sniffed from the header, so a comma export reads too
    name = {ours: table.header[i] for ours, i in require_columns(lines, table.header, NEEDED).items()}
    raw = table.frame
    session, item, millis = (whole_numbers(raw[name[c]]) for c in ("sessionId", "itemId", "timeframe"))
    day = pd.to_datetime(text_column(raw[name["eventdate"]]), format="ISO8601", errors="coerce")
    for column, bad, expected in (("sessionId", session.isna(), "an integer session id"),
                                  ("itemId", item.isna(), "an integer item id"),
                                  ("timeframe", millis.isna(), "an integer number of milliseconds"),
                                  ("eventdate", day.isna(), "a date like 2016-05-09")):
        table.fail_rows(bad.to_numpy(dtype=bool), name[column], expected)
    table.frame = pd.DataFrame({"user": text_column(raw[name["userId"]]), "item": item,
                                "timestamp": day + pd.to_timedelta(millis, unit="ms"), "event": "view",
                                "session": session})
    frame = table.flush().astype({"item": "int64", "session": "int64"})
    anonymous = frame["user"].isin(("", "NA"))
    frame["user"] = frame["user"].where(~anonymous, "s" + frame["session"].astype(str))
    report = lines.finish(len(frame))
    report.notes.append(f"{int(anonymous.sum()):,} rows have no userId: their user is the session")
    return LoadResult(interactions=frame, items=None, report=report)
