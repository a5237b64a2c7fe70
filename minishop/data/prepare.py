"""`prepare`: from a file (or the bundled shop) to what a sequential recommender trains on, in one call.

    load -> clean (format-dependent steps) -> k-core -> remap ids -> chronological sequences -> leave-one-out

Every step's report is kept in `Prepared.report`, whose accounting (rows in = rows out + dropped by reason)
is checked before returning, and which lists the users whose whole history was filtered away.
"""

from dataclasses import dataclass, field

from minishop.data import preprocess
from minishop.data.loaders import load
from minishop.data.report import PipelineReport
from minishop.data.sequences import remap_ids, to_sequences
from minishop.data.splits import LeaveOneOutSplit, leave_one_out


FIXED_CORE = {"sasrec": 0, "shop": 3}  # k-cores of known sources: sasrec files are SASRec's 5-core already


@dataclass
class Prepared:
    """Everything a next-item model needs. Indices start at 1; 0 is padding."""

    sequences: dict  # user index 1..n_users -> [item index 1..n_items, ...] oldest first
    split: LeaveOneOutSplit
    n_users: int
    n_items: int
    user_ids: list  # index -> raw user id (index 0 unused: None)
    item_ids: list  # index -> raw item id (index 0: "<pad>")
    item_titles: dict = field(default_factory=dict)  # item index -> title ({} without metadata)
    item_categories: dict = field(default_factory=dict)  # item index -> normalised category path
    report: PipelineReport = None
    interactions: object = None  # the final cleaned table (with user_idx, item_idx columns)
    items: object = None  # the source's item metadata table (shop: title, category, description, ...) or None
    reviews: object = None  # the source's reviews table (shop: user, item, timestamp, rating, text) or None
    k_core: int = None  # the k of the k-core when it was chosen from the data (preprocess.adaptive_k_core)

    def __repr__(self):
        return (f"Prepared({self.n_users:,} users, {self.n_items:,} items, "
                f"{sum(len(s) for s in self.sequences.values()):,} interactions; {self.split!r})")


def _run(report, frame, step, *args, **kwargs):
    """Apply one step and add its report, tracking users whose whole history disappears."""
    out, step_report = step(frame, *args, **kwargs)
    if len(out) == len(frame):  # no row dropped, so no user lost
        report.add(step_report)
    else:
        report.add(step_report, users_before=frame["user"].unique(), users_after=out["user"].unique())
    return out


def _defaults(format, min_user_count, min_item_count):
    """(min_user_count, min_item_count), or None for both when the k-core is to be chosen from the data (a
    format not in FIXED_CORE, neither count given: see preprocess.adaptive_k_core). With one count given,
    the other is FIXED_CORE's for the shop and sasrec files, else the same."""
    if min_user_count is None and min_item_count is None:
        return (FIXED_CORE[format],) * 2 if format in FIXED_CORE else None
    given = min_user_count if min_user_count is not None else min_item_count
    default = FIXED_CORE.get(format, given)
    return (default if min_user_count is None else min_user_count,
            default if min_item_count is None else min_item_count)


def prepare(path=None, format="shop", errors=None, min_user_count=None, min_item_count=None, dedupe=True,
            drop_bots=True, max_events=1000, handle_cancellations=True, events=preprocess.BUY_EVENTS,
            collapse_repeats=True, pseudonymise_salt=None, **load_options):
    """Load and clean a dataset and split it leave-one-out for next-item recommendation.

    For the shop, the interactions kept are views, add-to-carts and purchases (event names normalised), after
    dropping exact duplicates, bots (> `max_events` events), cancelled and returned purchases with their
    cancel/return rows, and rows with malformed timestamps; then consecutive repeats of the same item by the
    same user (view, add_to_cart, purchase of one product) collapse to one; then a 3-core.
    For sasrec files nothing is filtered by default (the file is already SASRec's 5-core).

    errors=None means "skip" for the bundled shop (its malformed lines are planted on purpose and counted)
    and "raise" for every other source. min_user_count/min_item_count=None: 3 for shop, 0 for sasrec, else
    the largest k-core of 5, 3, 2 that keeps half of the rows (preprocess.adaptive_k_core; noted in the report,
    and the k kept in Prepared.k_core). With one count given, the other is the same (shop, sasrec: theirs).
    pseudonymise_salt: if given, raw user ids are replaced by salted hashes (user_ids then holds the hashes).
    load_options go to `minishop.data.load`: encoding, columns (csv/tsv/parquet), meta (amazon), ...
    """
    if errors is None:
        errors = "skip" if format == "shop" else "raise"
    counts, k_core = _defaults(format, min_user_count, min_item_count), None
    loaded = load(path, format=format, errors=errors, **load_options)
    report = PipelineReport()
    report.add(loaded.report)
    frame = loaded.interactions
    if format != "sasrec":
        frame = _run(report, frame, preprocess.normalise_events)
        frame = _run(report, frame, preprocess.drop_missing)
        if dedupe:
            frame = _run(report, frame, preprocess.deduplicate)
        if drop_bots:
            frame = _run(report, frame, preprocess.drop_bots, max_events=max_events)
        if handle_cancellations:
            frame = _run(report, frame, preprocess.handle_cancellations)
        if events is not None and frame["event"].isin(events).any():
            frame = _run(report, frame, preprocess.keep_events, events=events)
        if collapse_repeats:
            frame = _run(report, frame, preprocess.collapse_repeats)
    if counts is None:
        frame = _run(report, frame, preprocess.adaptive_k_core)
        k_core = report.steps[-1].chosen["k"]
    elif any(counts):
        frame = _run(report, frame, preprocess.k_core, min_user_count=counts[0], min_item_count=counts[1])
    if pseudonymise_salt is not None:
        frame, step_report = preprocess.pseudonymise(frame, salt=pseudonymise_salt)
        report.add(step_report)
    if len(frame) == 0:
        raise ValueError(f"prepare: no interactions are left after cleaning; relax the filters.\n{report}")
    frame, users, items, remap_report = remap_ids(frame)
    report.add(remap_report)
    report.check()
    sequences = to_sequences(frame)
    split = leave_one_out(sequences, n_items=len(items))
    titles, categories = _metadata(loaded.items, items)
    return Prepared(sequences=sequences, split=split, n_users=len(users), n_items=len(items),
                    user_ids=[None] + users.ids[1:], item_ids=items.ids, item_titles=titles,
                    item_categories=categories, report=report, interactions=frame, items=loaded.items,
                    reviews=loaded.reviews, k_core=k_core)


def _metadata(items_table, item_map):
    """{item index: title} and {item index: normalised category} for the items that survived cleaning."""
    if items_table is None or "item" not in items_table.columns:
        return {}, {}
    table = items_table.drop_duplicates("item")
    table = table[table["item"].isin(item_map.index.keys())]
    indices = [item_map.index[i] for i in table["item"]]
    titles, categories = {}, {}
    if "title" in table.columns:
        titles = {i: str(t) for i, t in zip(indices, table["title"]) if isinstance(t, str)}
    if "category" in table.columns:
        categories = {i: preprocess.normalise_text(c) for i, c in zip(indices, table["category"])
                      if isinstance(c, str)}
    return titles, categories
