"""Load orders from a SQLite database (stdlib sqlite3): the way a shop's own database is read.

Expected tables:
    orders(order_id, user_id, created_at TEXT, status TEXT)      -- status: completed, cancelled, returned
    order_items(order_id, item_id, quantity INTEGER, price REAL)
    products(item_id, title, category)                            -- optional
Each order line becomes one interaction: event "purchase", with `status`, `quantity` and `price` columns.
Rows are checked like a file's lines; "line" in an error is the order_items rowid.
"""

import os
import sqlite3

import pandas as pd

from minishop.data.loaders.base import LoadResult, Lines, parse_fields, to_id, to_int, to_nonnegative, to_time

QUERY = """SELECT oi.rowid, o.user_id, oi.item_id, o.created_at, o.status, oi.order_id, oi.quantity, oi.price
           FROM order_items AS oi LEFT JOIN orders AS o ON o.order_id = oi.order_id ORDER BY oi.rowid"""
STATUSES = ("completed", "cancelled", "returned")


def _status(text):
    if text.strip().lower() not in STATUSES:
        raise ValueError(text)
    return text.strip().lower()


def load_sqlite(path, errors="raise"):
    """The orders of the SQLite database at `path` as a LoadResult of purchases (products as item metadata)."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such database file")
    lines = Lines(path, "load sqlite orders", errors)
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        for needed in ("orders", "order_items"):
            if needed not in tables:
                raise ValueError(f"{path}: expected a table {needed!r}, found tables {sorted(tables)}")
        records = connection.execute(QUERY).fetchall()
        items = (pd.read_sql_query("SELECT item_id AS item, title, category FROM products", connection)
                 if "products" in tables else None)
    finally:
        connection.close()
    rows = []
    for rowid, user, item, created, status, order, quantity, price in records:
        lines.report.rows_in += 1
        if user is None:
            lines.fail(rowid, "order_id", "an order present in the orders table", order)
            continue
        values = parse_fields(lines, rowid, [
            ("user_id", to_id, str(user), "a user id"), ("item_id", to_id, str(item or ""), "an item id"),
            ("created_at", to_time, str(created), "a date-time like 2023-05-01 12:30:00"),
            ("status", _status, str(status), f"one of {STATUSES}"),
            ("quantity", to_int, str(quantity), "an integer"), ("price", to_nonnegative, str(price), "a price >= 0")])
        if values is not None:
            user, item, when, status, quantity, price = values
            rows.append((user, item, when, "purchase", str(order), status, quantity, price))
    frame = pd.DataFrame(rows, columns=["user", "item", "timestamp", "event", "order_id", "status", "quantity",
                                        "price"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    if items is not None:
        items["item"] = items["item"].astype(str)
    return LoadResult(interactions=frame, items=items, report=lines.finish(len(frame)))
