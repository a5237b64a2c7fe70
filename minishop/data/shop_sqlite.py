"""Put the bundled shop's orders into a SQLite database, so a lesson can collect data with SQL as from a real
shop's backend, then read it back with `load(path, format="sqlite")`.

Tables (the layout `loaders/sqlite.py` reads):
    products(item_id, title, category)
    orders(order_id, user_id, created_at, status)     -- status: completed, cancelled or returned
    order_items(order_id, item_id, quantity, price)
One order per purchase event (duplicated purchase rows are written once); the timestamps are copied as they are,
so the shop's few malformed ones are in the database too.
"""

import os
import sqlite3

import pandas as pd

from minishop.data.loaders.shop import _events_file, default_shop_path


def write_shop_sqlite(db_path, shop_path=None):
    """Write the orders of the shop folder `shop_path` (default: the bundled one) to a new database file."""
    folder = shop_path or default_shop_path()
    if os.path.exists(db_path):
        raise FileExistsError(f"{db_path} already exists; choose a new file name")
    events = pd.read_csv(_events_file(folder), dtype=str, keep_default_na=False)
    kind = events["event"].str.strip().str.lower()
    purchases = events[kind == "purchase"].drop_duplicates("order_id")
    status = pd.Series("completed", index=purchases.index)
    for event, label in (("cancel", "cancelled"), ("return", "returned")):
        status[purchases["order_id"].isin(events.loc[kind == event, "order_id"])] = label
    products = pd.read_csv(os.path.join(folder, "products.csv"), dtype=str, keep_default_na=False)
    prices = pd.to_numeric(products.set_index("item_id")["price"], errors="coerce").fillna(0.0)
    connection = sqlite3.connect(db_path)
    try:
        connection.execute("CREATE TABLE products (item_id TEXT PRIMARY KEY, title TEXT, category TEXT)")
        connection.execute("CREATE TABLE orders (order_id TEXT PRIMARY KEY, user_id TEXT, created_at TEXT, "
                           "status TEXT)")
        connection.execute("CREATE TABLE order_items (order_id TEXT, item_id TEXT, quantity INTEGER, price REAL)")
        connection.executemany("INSERT INTO products VALUES (?, ?, ?)",
                               products[["item_id", "title", "category"]].itertuples(index=False))
        connection.executemany("INSERT INTO orders VALUES (?, ?, ?, ?)", zip(
            purchases["order_id"], purchases["user_id"], purchases["timestamp"], status))
        connection.executemany("INSERT INTO order_items VALUES (?, ?, 1, ?)", zip(
            purchases["order_id"], purchases["item_id"], purchases["item_id"].map(prices).astype(float)))
        connection.commit()
    finally:
        connection.close()
    return db_path
