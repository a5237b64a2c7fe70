"""Load RetailRocket's events.csv: timestamp (ms), visitorid, event, itemid, transactionid.

Events "view", "addtocart" and "transaction" become "view", "add_to_cart" and "purchase".
"""

import pandas as pd

from minishop.data.loaders.base import LoadResult, Lines, from_unix, parse_fields, require_columns, to_int

NEEDED = ("timestamp", "visitorid", "event", "itemid", "transactionid")
EVENTS = {"view": "view", "addtocart": "add_to_cart", "transaction": "purchase"}


def _event(text):
    return EVENTS[text.strip()] if text.strip() in EVENTS else _bad(text)


def _bad(text):
    raise ValueError(text)


def load_retailrocket(path, errors="raise", encoding="utf-8"):
    """RetailRocket events.csv at `path` as a LoadResult of view/add_to_cart/purchase interactions."""
    lines = Lines(path, "load retailrocket", errors, encoding)
    header = lines.header()
    col = require_columns(lines, header, NEEDED)
    rows = []
    for line_no, f in lines.rows(len(header)):
        values = parse_fields(lines, line_no, [
            ("timestamp", lambda t: from_unix(to_int(t) / 1000.0), f[col["timestamp"]], "unix time in milliseconds"),
            ("visitorid", to_int, f[col["visitorid"]], "an integer visitor id"),
            ("event", _event, f[col["event"]], "one of view, addtocart, transaction"),
            ("itemid", to_int, f[col["itemid"]], "an integer item id")])
        if values is not None:
            when, user, event, item = values
            rows.append((user, item, when, event, f[col["transactionid"]].strip()))
    frame = pd.DataFrame(rows, columns=["user", "item", "timestamp", "event", "order_id"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    return LoadResult(interactions=frame, items=None, report=lines.finish(len(frame)))
