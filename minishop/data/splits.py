"""Train / validation / test splits.

Leave-one-out (SASRec, Kang & McAuley 2018): for a user with n >= 3 interactions, the last item is the test
target, the one before it the validation target, and the first n - 2 are training input. Users with fewer than
3 interactions keep everything in training and are not evaluated.

Global temporal split: one cut in time for everybody (no future leaks into training through other users).
"""

from dataclasses import dataclass, field


@dataclass
class LeaveOneOutSplit:
    """The result of `leave_one_out`: training sequences and one validation and one test item per user."""

    train: dict  # user -> [item, ...] (all but the last two, or everything for short histories)
    valid: dict  # user -> item (second to last)
    test: dict  # user -> item (last)
    n_users: int = 0
    n_items: int = 0
    short_users: list = field(default_factory=list)  # users with < 3 interactions, kept whole in train

    def __repr__(self):
        return (f"LeaveOneOutSplit({self.n_users:,} users, {self.n_items:,} items, {len(self.test):,} with a "
                f"validation and a test item, {len(self.short_users):,} short histories kept in train)")


def leave_one_out(sequences, n_items=None):
    """Split {user: [items oldest first]} as SASRec does."""
    train, valid, test, short = {}, {}, {}, []
    for user, items in sequences.items():
        if len(items) < 3:
            train[user] = list(items)
            short.append(user)
            continue
        train[user], valid[user], test[user] = list(items[:-2]), items[-2], items[-1]
    if n_items is None:
        n_items = max((max(items) for items in sequences.values() if items), default=0)
    return LeaveOneOutSplit(train, valid, test, n_users=len(sequences), n_items=n_items, short_users=short)


def temporal_split(frame, valid_fraction=0.1, test_fraction=0.1):
    """Cut the table at two global times so that the last `test_fraction` of rows (by time) is test and the
    `valid_fraction` before it validation. Returns (train, valid, test, (valid_start, test_start))."""
    if not (valid_fraction >= 0 and test_fraction >= 0 and valid_fraction + test_fraction < 1):
        raise ValueError(f"temporal_split: fractions {valid_fraction}, {test_fraction} must be >= 0 and sum < 1")
    times = frame["timestamp"].sort_values(kind="stable")
    last = len(times) - 1
    valid_start = times.iloc[min(last, int(len(times) * (1 - valid_fraction - test_fraction)))]
    test_start = times.iloc[min(last, int(len(times) * (1 - test_fraction)))]
    train = frame[frame["timestamp"] < valid_start]
    valid = frame[(frame["timestamp"] >= valid_start) & (frame["timestamp"] < test_start)]
    test = frame[frame["timestamp"] >= test_start]
    return train, valid, test, (valid_start, test_start)
