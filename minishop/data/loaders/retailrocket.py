"""Load RetailRocket's events.csv: timestamp (ms), visitorid, event, itemid, transactionid.

Events "view", "addtocart" and "transaction" become "view", "add_to_cart" and "purchase". The 2.7 million
rows are read by pandas and checked a column at a time (loaders/table.py).
"""

import pandas as pd

from minishop.data.loaders.base import LoadResult, Lines, require_columns
from minishop.data.loaders.table import read_delimited, text_column

NEEDED = ("timestamp", "visitorid", "event", "itemid", "transactionid")
EVENTS = {"view": "view", "addtocart": "add_to_cart", "transaction": "purchase"}


def whole_numbers(column):
    """(N,) a column as whole numbers (float, NaN where a field is not one)."""
    numbers = pd.to_numeric(column if pd.api.types.is_numeric_dtype(column) else text_column(column),
                            errors="coerce")
    return numbers.where(numbers % 1 == 0)


def load_retailrocket(path, errors="raise", encoding="utf-8"):
    """RetailRocket events.csv at `path` as a LoadResult of view/add_to_cart/purchase interactions."""
    lines = Lines(path, "load retailrocket", errors, encoding)
    table = read_delimited(lines, delimiter=",", numbers=("timestamp", "visitorid", "itemid"))  # integers here
    name = {ours: table.header[i] for ours, i in require_columns(lines, table.header, NEEDED).items()}
    raw = table.frame
    millis, user, item = (whole_numbers(raw[name[c]]) for c in ("timestamp", "visitorid", "itemid"))
    event = text_column(raw[name["event"]]).map(EVENTS)
    for column, bad, expected in (("timestamp", millis.isna(), "unix time in milliseconds"),
                                  ("visitorid", user.isna(), "an integer visitor id"),
                                  ("event", event.isna(), "one of view, addtocart, transaction"),
                                  ("itemid", item.isna(), "an integer item id")):
        table.fail_rows(bad.to_numpy(dtype=bool), name[column], expected)
    table.frame = pd.DataFrame({"user": user, "item": item, "timestamp": millis, "event": event,
                                "order_id": text_column(raw[name["transactionid"]])})
    frame = table.flush()
    frame = frame.astype({"user": "int64", "item": "int64"})
    frame["timestamp"] = pd.to_datetime(frame["timestamp"].astype("int64"), unit="ms")
    return LoadResult(interactions=frame, items=None, report=lines.finish(len(frame)))
