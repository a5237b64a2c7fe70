"""Load the bundled shop (`data/shop/`, written by `python -m minishop.data.synthetic`).

Files: events.csv.gz (the interactions), products.csv (the catalog), reviews.jsonl, users.csv.
The bundled data is messy on purpose (see data/README.md): a few timestamps are malformed, so loading it with
errors="raise" stops at the first one; errors="skip" drops and counts them.
"""

import os
import shutil
import tempfile

import pandas as pd

from minishop.data.loaders.base import (DataFormatError, LoadResult, Lines, parse_fields, require_columns,
                                        side_note, to_id, to_nonnegative, to_time)
from minishop.data.loaders.table import read_delimited, text_column

EVENT_COLUMNS = ("timestamp", "user_id", "session_id", "event", "item_id", "order_id")
PRODUCT_COLUMNS = ("item_id", "title", "category", "brand", "price", "colour", "size", "material", "made_for",
                   "description")


def default_shop_path():
    """The bundled shop: $MINISHOP_SHOP_DATA, else data/shop next to the minishop package (a source checkout),
    else a copy generated on first use into the user's cache (an installed wheel carries no data folder;
    the generator's seed 0 writes byte-identical files)."""
    if os.environ.get("MINISHOP_SHOP_DATA"):
        return os.environ["MINISHOP_SHOP_DATA"]
    candidate = checkout_shop()
    return candidate if os.path.isdir(candidate) else cached_shop()


def checkout_shop():
    """data/shop next to the minishop package, where a source checkout has it."""
    package_dir = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return os.path.join(os.path.dirname(package_dir), "data", "shop")


def cached_shop():
    """$XDG_CACHE_HOME/minishop/shop (default ~/.cache), generated there once; a half-written copy is never used."""
    from minishop.data.synthetic import generate  # only when there is no data folder

    cache = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "minishop")
    folder = os.path.join(cache, "shop")
    if not os.path.isdir(folder):
        os.makedirs(cache, exist_ok=True)
        temporary = tempfile.mkdtemp(dir=cache, prefix="shop.")
        generate(temporary, seed=0)
        try:
            os.rename(temporary, folder)  # atomic: another process may have finished first
        except OSError:
            shutil.rmtree(temporary, ignore_errors=True)
    return folder


def _events_file(folder):
    for name in ("events.csv.gz", "events.csv"):
        if os.path.exists(os.path.join(folder, name)):
            return os.path.join(folder, name)
    raise FileNotFoundError(f"{folder}: expected events.csv.gz or events.csv (the shop's interactions)")


def load_events(path, errors, encoding="utf-8"):
    """events.csv(.gz): read as strings by pandas, then validated column by column (vectorised)."""
    lines = Lines(path, "load shop events", errors, encoding)
    table = read_delimited(lines, delimiter=",")
    col = require_columns(lines, table.header, EVENT_COLUMNS)
    raw = {name: text_column(table.frame[table.header[col[name]]]) for name in EVENT_COLUMNS}
    stamps = pd.to_datetime(raw["timestamp"], format="%Y-%m-%d %H:%M:%S", errors="coerce")
    for name, bad, expected in (("timestamp", stamps.isna(), "a date-time like 2023-05-01 12:30:00"),
                                ("user_id", raw["user_id"] == "", "a non-empty user id"),
                                ("event", raw["event"] == "", "a non-empty event name"),
                                ("item_id", raw["item_id"] == "", "a non-empty item id")):
        table.fail_rows(bad.to_numpy(dtype=bool), name, expected, got=raw[name])
    table.frame = pd.DataFrame({"user": raw["user_id"], "item": raw["item_id"], "timestamp": stamps,
                                "event": raw["event"], "session": raw["session_id"], "order_id": raw["order_id"]})
    frame = table.flush()
    return frame, lines.finish(len(frame))


def load_products(path, errors, encoding="utf-8"):
    """The catalog; an empty price is missing (NaN), a negative or non-numeric one is malformed."""
    lines = Lines(path, "load shop products", errors, encoding)
    col = require_columns(lines, lines.header(), PRODUCT_COLUMNS)
    rows = []
    for line_no, f in lines.rows(len(PRODUCT_COLUMNS)):
        price_text = f[col["price"]]
        values = parse_fields(lines, line_no, [("item_id", to_id, f[col["item_id"]], "a non-empty item id")])
        if values is None:
            continue
        if price_text.strip():
            price = parse_fields(lines, line_no, [("price", to_nonnegative, price_text, "a price >= 0")])
            if price is None:
                continue
            values.append(price[0])
        else:
            values.append(float("nan"))  # missing, not malformed: kept and reported by the lessons
        rows.append(values + [f[col[name]] for name in PRODUCT_COLUMNS if name not in ("item_id", "price")])
    names = ["item", "price"] + [name for name in PRODUCT_COLUMNS if name not in ("item_id", "price")]
    return pd.DataFrame(rows, columns=names), lines.finish(len(rows))


def load_reviews(path, errors, encoding="utf-8"):
    """reviews.jsonl: one JSON object per line with user_id, item_id, rating (1-5), text, timestamp."""
    lines = Lines(path, "load shop reviews", errors, encoding)
    rows = []
    for line_no, _, record in lines.json_objects():
        rating = record.get("rating")
        if not isinstance(rating, int) or not 1 <= rating <= 5:
            lines.fail(line_no, "rating", "an integer 1-5", rating)
            continue
        values = parse_fields(lines, line_no, [
            ("user_id", to_id, str(record.get("user_id", "")), "a non-empty user id"),
            ("item_id", to_id, str(record.get("item_id", "")), "a non-empty item id"),
            ("timestamp", to_time, str(record.get("timestamp", "")), "a date-time")])
        if values is not None:
            rows.append(values[:2] + [values[2], rating, str(record.get("text") or "")])
    frame = pd.DataFrame(rows, columns=["user", "item", "timestamp", "rating", "text"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    return frame, lines.finish(len(frame), allow_empty=True)


def load_shop(path=None, errors="raise", encoding="utf-8"):
    """Load the shop folder `path` (default: the bundled data/shop). Interactions are its events."""
    folder = path or default_shop_path()
    if not os.path.isdir(folder):
        raise DataFormatError(f"{folder}: expected the shop's folder (events.csv.gz, products.csv, reviews.jsonl)")
    interactions, report = load_events(_events_file(folder), errors, encoding)
    items, items_report = load_products(os.path.join(folder, "products.csv"), errors, encoding)
    reviews, reviews_report = load_reviews(os.path.join(folder, "reviews.jsonl"), errors, encoding)
    users_path = os.path.join(folder, "users.csv")
    users = pd.read_csv(users_path, dtype=str, keep_default_na=False) if os.path.exists(users_path) else None
    for side in (items_report, reviews_report):
        report.notes.append(side_note(side))
    return LoadResult(interactions=interactions, items=items, report=report, reviews=reviews, users=users)
