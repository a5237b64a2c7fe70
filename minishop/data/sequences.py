"""From a clean table to model input: contiguous integer ids (0 = padding) and per-user item sequences.

    raw ids  "U00017", "P0042"   --remap_ids-->   user 1..n_users, item 1..n_items   (0 is never a real id)
    rows sorted by (user, time)  --to_sequences-->  {user: [item, item, ...]}  oldest first
"""

from dataclasses import dataclass

import pandas as pd

from minishop import backend
from minishop.data.report import Report


@dataclass
class IdMap:
    """Both directions of an id mapping. `ids[index]` is the raw id; `index[raw]` its integer (from 1)."""

    ids: list  # index -> raw id; ids[0] is the padding placeholder
    index: dict  # raw id -> index

    @classmethod
    def build(cls, raw_ids, pad="<pad>"):
        """Sorted unique raw ids get 1, 2, 3, ... (sorting makes integer ids 1..n map to themselves)."""
        return cls.factorize(raw_ids, pad)[0]

    @classmethod
    def factorize(cls, raw_ids, pad="<pad>"):
        """The IdMap of `raw_ids` and their (N,) int64 indices, in one vectorised pass (pandas.factorize)."""
        codes, unique = pd.factorize(pd.Series(raw_ids), sort=True)
        unique = unique.tolist()
        id_map = cls(ids=[pad] + unique, index={raw: i for i, raw in enumerate(unique, start=1)})
        return id_map, codes.astype(backend.np.int64) + 1

    def __len__(self):
        return len(self.ids) - 1  # real ids, padding not counted

    def encode(self, raw_ids):
        """(N,) raw ids -> (N,) int64 indices; an unknown id is an error."""
        codes = pd.Series(raw_ids).map(self.index)
        if codes.isna().any():
            unknown = pd.Series(raw_ids)[codes.isna()].iloc[0]
            raise KeyError(f"id {unknown!r} is not in the mapping")
        return codes.to_numpy(dtype=backend.np.int64)

    def decode(self, indices):
        return [self.ids[int(i)] for i in indices]


def remap_ids(frame):
    """Add integer columns user_idx and item_idx (1-based, 0 reserved for padding); return the two IdMaps."""
    (users, user_idx), (items, item_idx) = IdMap.factorize(frame["user"], pad=None), IdMap.factorize(frame["item"])
    out = frame.assign(user_idx=user_idx, item_idx=item_idx)
    report = Report("remap ids", len(frame), len(out))
    report.notes.append(f"{len(users):,} users -> 1..{len(users)}, {len(items):,} items -> 1..{len(items)}")
    return out, users, items, report


def to_sequences(frame):
    """{user_idx: [item_idx, ...]} in chronological order (stable: equal timestamps keep file order)."""
    if len(frame) == 0:
        return {}
    users, items, times = (frame[c].to_numpy() for c in ("user_idx", "item_idx", "timestamp"))
    if not _is_sorted(users, times):  # prepare's tables come sorted already (collapse_repeats sorts them)
        order = backend.np.lexsort((times, users))  # by user, then time; stable
        users, items = users[order], items[order]
    starts = backend.np.flatnonzero(backend.np.r_[True, users[1:] != users[:-1]])  # first row of each user
    chunks = backend.np.split(items, starts[1:])
    return {int(users[s]): chunk.tolist() for s, chunk in zip(starts, chunks)}


def _is_sorted(users, times):
    """True if the rows are in (user, time) order already."""
    same_user = users[1:] == users[:-1]
    return bool((users[1:] >= users[:-1]).all() and (times[1:][same_user] >= times[:-1][same_user]).all())
