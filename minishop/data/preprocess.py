"""Cleaning steps for an interactions table. Each step returns (new table, Report) and never drops a row
without counting it under a reason, so that rows_in == rows_out + sum(dropped) holds step by step.

Order used by `prepare` for the bundled shop:
    normalise_events -> drop_missing -> deduplicate -> drop_bots -> handle_cancellations -> keep_events
    -> collapse_repeats -> k_core
"""

import hashlib
import unicodedata

import pandas as pd

from minishop import backend
from minishop.data.report import Report

BUY_EVENTS = ("view", "add_to_cart", "purchase")


def normalise_text(text):
    """Unicode NFKC, lower case, runs of whitespace to one space, spaces around '>' made uniform."""
    if not isinstance(text, str):
        return text
    text = unicodedata.normalize("NFKC", text).lower()
    text = " > ".join(part.strip() for part in text.split(">"))
    return " ".join(text.split())


def count_per_row(column):
    """(N,) how many rows share each row's value of `column` (a user's or an item's number of rows)."""
    codes, _ = pd.factorize(column)
    return backend.np.bincount(codes)[codes]


def normalise_events(frame):
    """Event names like ' View ', 'PURCHASE', 'Add_To_Cart' -> 'view', 'purchase', 'add_to_cart'.

    The few distinct names are cleaned once each and the column becomes categorical (a code per row), which
    keeps later steps fast on millions of rows."""
    report = Report("normalise event names", len(frame), len(frame))
    codes, names = pd.factorize(frame["event"].astype(str))
    cleaned = pd.Series(names).str.strip().str.lower()
    changed = int((cleaned.to_numpy() != backend.np.asarray(names))[codes].sum())
    report.notes.append(f"rewrote {changed:,} event names")
    clean_codes, clean_names = pd.factorize(cleaned)  # " View " and "view" become one category
    events = pd.Categorical.from_codes(clean_codes[codes], categories=clean_names)
    return frame.assign(event=events), report


def normalise_categories(items):
    """Category paths like '  ELECTRONICS>phones ' -> 'electronics > phones' (items table; nothing dropped)."""
    report = Report("normalise categories", len(items), len(items))
    cleaned = items["category"].map(normalise_text)
    changed = (cleaned != items["category"]) & items["category"].notna()  # NaN != NaN is not a change
    report.notes.append(f"rewrote {int(changed.sum()):,} category values")
    return items.assign(category=cleaned), report


def drop_missing(frame, columns=("user", "item", "timestamp")):
    """Rows missing any of `columns` cannot be placed in a sequence."""
    report = Report("drop missing values", len(frame), 0)
    keep = pd.Series(True, index=frame.index)
    for column in columns:
        missing = frame[column].isna() & keep
        report.drop(f"missing {column}", int(missing.sum()))
        keep &= ~missing
    out = frame[keep]
    report.rows_out = len(out)
    return out, report.check()


def deduplicate(frame, columns=None):
    """Exact duplicate rows (same values in `columns`, default all) keep their first copy."""
    report = Report("deduplicate", len(frame), 0)
    duplicated = frame.duplicated(subset=list(columns) if columns else None, keep="first")
    report.drop("exact duplicate of an earlier row", int(duplicated.sum()))
    out = frame[~duplicated]
    report.rows_out = len(out)
    return out, report.check()


def drop_bots(frame, max_events=1000):
    """Rule: a user with more than `max_events` events is a bot or crawler; all their rows are dropped.

    In the bundled shop the busiest real shopper has a few hundred events, the planted bots 1,500 or more.
    """
    report = Report(f"drop bots (> {max_events} events)", len(frame), 0)
    is_bot = count_per_row(frame["user"]) > max_events
    report.drop(f"user with more than {max_events} events", int(is_bot.sum()))
    report.notes.append(f"{frame.loc[is_bot, 'user'].nunique():,} users flagged as bots")
    out = frame[~is_bot]
    report.rows_out = len(out)
    return out, report.check()


def handle_cancellations(frame):
    """A purchase that is cancelled or returned did not really satisfy the shopper: drop it and its
    cancel/return row. Pairs by order_id when present, else by the latest earlier purchase of the same
    (user, item). A `status` column (SQLite orders) of cancelled/returned drops that row directly."""
    report = Report("handle cancellations and returns", len(frame), 0)
    drop = pd.Series(False, index=frame.index)
    if "status" in frame.columns:
        for status in ("cancelled", "returned"):
            hit = frame["status"] == status
            report.drop(f"order {status}", int(hit.sum()))
            drop |= hit
    undo = frame[frame["event"].isin(("cancel", "return"))]
    purchases = frame[frame["event"] == "purchase"].sort_values("timestamp", kind="stable")
    has_order = "order_id" in frame.columns
    by_order = purchases[purchases["order_id"].astype(str) != ""].groupby("order_id").groups if has_order else {}
    by_pair = purchases.groupby(["user", "item"]).groups if len(undo) else {}  # (user, item) -> rows by time
    times = purchases["timestamp"]
    for index, row in zip(undo.index, undo.itertuples(index=False)):
        drop[index] = True
        report.drop(f"{row.event} event")
        key = row.order_id if has_order else ""
        if key in by_order:
            matches = [i for i in by_order[key] if not drop[i]]
        else:  # the latest earlier purchase of the same item by the same user, not already undone
            earlier = [i for i in by_pair.get((row.user, row.item), []) if times[i] <= row.timestamp]
            matches = [i for i in earlier[::-1] if not drop[i]][:1]
        for i in matches:
            drop[i] = True
            report.drop(f"purchase undone by a {row.event}")
        if not matches:
            report.notes.append(f"a {row.event} for user {row.user} item {row.item} had no purchase")
    out = frame[~drop]
    report.rows_out = len(out)
    return out, report.check()


def keep_events(frame, events=BUY_EVENTS):
    """Keep only the event types a next-item model learns from."""
    report = Report(f"keep events {list(events)}", len(frame), 0)
    keep = frame["event"].isin(events)
    for event, n in frame.loc[~keep, "event"].value_counts().sort_index().items():
        report.drop(f"event type {event!r}", int(n))
    out = frame[keep]
    report.rows_out = len(out)
    return out, report.check()


def sort_chronologically(frame):
    """Stable sort by (user, timestamp): rows with equal times keep their file order. (Users are sorted by
    their sorted factor codes, the same order as sorting the ids, and much faster on millions of strings.)"""
    np = backend.np
    users, _ = pd.factorize(frame["user"], sort=True)
    times = frame["timestamp"].to_numpy()
    times = times.view(np.int64) if times.dtype.kind == "M" else times.astype(np.int64)
    if len(times) == 0:
        return frame
    ticks = times - times.min()
    ticks //= max(1, int(np.gcd.reduce(ticks)))  # whole seconds stored in microseconds: count seconds
    width = int(ticks.max()) + 1
    if width * (int(users.max()) + 1) < 2 ** 62:  # one integer key (user, time): one sort
        return frame.iloc[np.argsort(users * width + ticks, kind="stable")]
    by_time = np.argsort(ticks, kind="stable")  # else two stable sorts: by time, then by user
    return frame.iloc[by_time[np.argsort(users[by_time], kind="stable")]]


def collapse_repeats(frame):
    """Consecutive events of one user on the same item (view, view, add_to_cart, purchase) -> the first one."""
    report = Report("collapse consecutive repeats", len(frame), 0)
    ordered = sort_chronologically(frame)
    same = (ordered["user"].values[1:] == ordered["user"].values[:-1]) & \
           (ordered["item"].values[1:] == ordered["item"].values[:-1])
    repeat = backend.np.concatenate([[False], same])[:len(ordered)]  # the first row is never a repeat
    report.drop("same item as the user's previous event", int(repeat.sum()))
    out = ordered[~repeat]
    report.rows_out = len(out)
    return out, report.check()


def k_core(frame, min_user_count=5, min_item_count=5):
    """Drop users with fewer than `min_user_count` rows and items with fewer than `min_item_count`, repeatedly,
    until neither rule removes anything (a fixed point: every kept user and item meets its minimum)."""
    report = Report(f"k-core (users >= {min_user_count}, items >= {min_item_count})", len(frame), 0)
    rounds = 0
    while True:
        rounds += 1
        rare_item = count_per_row(frame["item"]) < min_item_count
        report.drop(f"item with fewer than {min_item_count} rows", int(rare_item.sum()))
        frame = frame[~rare_item]
        rare_user = count_per_row(frame["user"]) < min_user_count
        report.drop(f"user with fewer than {min_user_count} rows", int(rare_user.sum()))
        frame = frame[~rare_user]
        if not rare_item.any() and not rare_user.any():
            break
    report.notes.append(f"fixed point after {rounds} rounds")
    report.rows_out = len(frame)
    return frame, report.check()


def adaptive_k_core(frame, ks=(5, 3, 2), keep=0.5):
    """The k-core for the largest k in `ks` that keeps at least `keep` of the rows (else the smallest k).

    A 5-core is the usual cleaning of review and rating data, where it drops a few percent of the rows. On
    a small or sparse file (a sample of click sessions over thousands of products) it can drop nearly all
    of them. Each k tried is noted in the report; report.chosen holds the k kept and why.
    """
    tried = []
    for k in ks:
        kept, report = k_core(frame, min_user_count=k, min_item_count=k)
        tried.append(f"{k}-core keeps {len(kept):,} of {len(frame):,} rows ({len(kept) / max(len(frame), 1):.0%})")
        if len(kept) >= keep * len(frame) or k == ks[-1]:
            break
    why = f"the largest of {list(ks)} keeping {keep:.0%} of the rows (else {ks[-1]}): " + "; ".join(tried)
    report.notes.append(f"k chosen from the data: {why}")
    report.chosen.update(k=k, why=why)
    return kept, report


def pseudonymise(frame, salt, column="user"):
    """Replace raw ids with the first 16 hex digits of sha256(salt + id): stable for one salt, not reversible
    without it. Share the processed data, keep the salt secret."""
    if not salt:
        raise ValueError("pseudonymise(salt=...): a non-empty secret salt is needed (without it ids can be "
                         "recovered by hashing guesses)")
    report = Report("pseudonymise", len(frame), len(frame))
    unique = frame[column].astype(str).unique()
    mapping = {raw: hashlib.sha256((salt + raw).encode("utf-8")).hexdigest()[:16] for raw in unique}
    report.notes.append(f"hashed {len(mapping):,} distinct {column} ids")
    return frame.assign(**{column: frame[column].astype(str).map(mapping)}), report
