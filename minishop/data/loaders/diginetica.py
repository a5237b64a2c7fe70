"""Load CIKM Cup 2016 / Diginetica train-item-views.csv (`;`-separated).

Columns: sessionId, userId, itemId, timeframe (ms since the session's day), eventdate (YYYY-MM-DD); the
public sample spells them session_id, user_id, item_id, ... (any spelling `base.column_key` equates is read).
Most sessions are anonymous (userId "NA" or empty): then the user is the session, written "s<sessionId>".
"""

import pandas as pd

from minishop.data.loaders.base import LoadResult, Lines, parse_fields, require_columns, to_int, to_time

NEEDED = ("sessionId", "userId", "itemId", "timeframe", "eventdate")


def load_diginetica(path, errors="raise", encoding="utf-8"):
    """train-item-views.csv at `path` as a LoadResult of "view" interactions (no item metadata)."""
    lines = Lines(path, "load diginetica", errors, encoding)
    header = lines.header(delimiter=";")
    col = require_columns(lines, header, NEEDED)
    rows, anonymous = [], 0
    for line_no, f in lines.rows(len(header), delimiter=";"):
        values = parse_fields(lines, line_no, [
            ("sessionId", to_int, f[col["sessionId"]], "an integer session id"),
            ("itemId", to_int, f[col["itemId"]], "an integer item id"),
            ("timeframe", to_int, f[col["timeframe"]], "an integer number of milliseconds"),
            ("eventdate", to_time, f[col["eventdate"]], "a date like 2016-05-09")])
        if values is None:
            continue
        session, item, millis, day = values
        user_text = f[col["userId"]].strip()
        if user_text in ("", "NA"):
            anonymous += 1
            user = f"s{session}"
        else:
            user = user_text
        rows.append((user, item, day + pd.Timedelta(milliseconds=millis), "view", session))
    frame = pd.DataFrame(rows, columns=["user", "item", "timestamp", "event", "session"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    report = lines.finish(len(frame))
    report.notes.append(f"{anonymous:,} rows have no userId: their user is the session")
    return LoadResult(interactions=frame, items=None, report=report)
