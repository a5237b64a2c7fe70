"""Load Amazon Reviews JSON Lines (McAuley lab), 2018 or 2023 release, plain or gzip-compressed.

Reviews (one JSON object per line):
- 2018: reviewerID, asin, overall (1-5), unixReviewTime (seconds), reviewText, summary
- 2023: user_id, parent_asin (or asin), rating (1-5), timestamp (milliseconds), text, title
Metadata (optional, `meta=`): 2018 asin, title, category (a list), brand, price; 2023 parent_asin, title,
main_category, categories, price. Each review becomes one interaction with event "review".
"""

import pandas as pd

from minishop.data.loaders.base import LoadResult, Lines, from_unix, side_note


def _review_fields(record):
    """(user, item, seconds, rating, text) from either release; KeyError/ValueError when malformed."""
    if "reviewerID" in record:  # 2018
        return (record["reviewerID"], record["asin"], float(record["unixReviewTime"]), record["overall"],
                record.get("reviewText") or "")
    return (record["user_id"], record.get("parent_asin") or record["asin"], float(record["timestamp"]) / 1000.0,
            record["rating"], record.get("text") or "")


def load_amazon_reviews(path, errors="raise", encoding="utf-8"):
    """Reviews (2018 or 2023 release) at `path` -> (interactions table with rating and text, Report)."""
    lines = Lines(path, "load amazon reviews", errors, encoding)
    rows = []
    for line_no, _, record in lines.json_objects():
        try:
            user, item, seconds, rating, body = _review_fields(record)
        except KeyError as missing:
            lines.fail(line_no, str(missing.args[0]), "this field to be present", None)
            continue
        except (TypeError, ValueError):
            lines.fail(line_no, "timestamp", "a number (unix time)", record.get("unixReviewTime", record.get("timestamp")))
            continue
        if not isinstance(rating, (int, float)) or not 1 <= rating <= 5:
            lines.fail(line_no, "rating", "a number from 1 to 5", rating)
            continue
        if not str(user).strip() or not str(item).strip():
            lines.fail(line_no, "user/item", "non-empty ids", f"{user!r} {item!r}")
            continue
        rows.append((str(user), str(item), from_unix(seconds), "review", float(rating), str(body)))
    frame = pd.DataFrame(rows, columns=["user", "item", "timestamp", "event", "rating", "text"])
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    return frame, lines.finish(len(frame))


def _category(record):
    if "main_category" in record:
        return record.get("main_category") or ""
    categories = record.get("category") or record.get("categories") or []
    if categories and isinstance(categories[0], list):  # 2018 "categories": [[...]]
        categories = categories[0]
    return " > ".join(str(c) for c in categories)


def load_amazon_meta(path, errors="raise", encoding="utf-8"):
    """Item metadata at `path` -> (items table: item, title, category, brand; Report). Empty is allowed."""
    lines = Lines(path, "load amazon metadata", errors, encoding)
    rows = []
    for line_no, text, record in lines.json_objects():
        item = record.get("parent_asin") or record.get("asin")
        if not item:
            lines.fail(line_no, "asin", "an item id (asin or parent_asin)", text[:60])
            continue
        rows.append((str(item), str(record.get("title") or ""), _category(record), str(record.get("brand") or "")))
    frame = pd.DataFrame(rows, columns=["item", "title", "category", "brand"])
    return frame, lines.finish(len(frame), allow_empty=True)


def load_amazon(path, errors="raise", meta=None, encoding="utf-8"):
    """Reviews from `path` as interactions; item metadata from `meta` when given."""
    interactions, report = load_amazon_reviews(path, errors, encoding)
    items = None
    if meta is not None:
        items, meta_report = load_amazon_meta(meta, errors, encoding)
        report.notes.append(side_note(meta_report))
    return LoadResult(interactions=interactions, items=items, report=report)
