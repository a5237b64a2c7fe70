"""Negative sampling: items a user never interacted with, drawn uniformly or by popularity.

Vectorised: draw a block of candidates for all users at once, reject those in the user's own history with one
sorted-key lookup (key = user_row * (n_items + 1) + item), keep the first n valid per row, redraw only the
rows that are still short.
"""

from minishop import backend


def popularity(sequences, n_items, power=1.0):
    """(n_items + 1,) sampling weights proportional to count**power; index 0 (padding) gets 0.

    sequences: a list of item-id lists, or the dict user -> items that `to_sequences`/`prepare` return
    (its values are counted, never its keys).
    """
    np = backend.np
    if isinstance(sequences, dict):
        sequences = sequences.values()
    counts = np.zeros(n_items + 1, dtype=np.float64)
    for items in sequences:
        counts += np.bincount(np.asarray(items, dtype=np.int64), minlength=n_items + 1)
    counts[0] = 0.0
    return counts ** power


def sample_negatives(positives, n_items, n_negatives, rng=None, weights=None, max_rounds=100):
    """(B, n_negatives) int64 items in 1..n_items, none of them in positives[b] (a list/set per row).
    Drawn with replacement (as SASRec does): a row may repeat a negative when few items are left.

    weights=None samples uniformly; else a (n_items + 1,) array of non-negative weights (popularity sampling,
    e.g. `popularity(...)`). rng: a NumPy Generator (default: backend.rng() on the NumPy backend, else a fresh host one).
    """
    np = backend.np
    if rng is None:  # the seeded backend generator (minishop.manual_seed) when it lives on the host
        rng = backend.rng() if backend.backend_name() == "numpy" else np.random.default_rng()
    B = len(positives)
    lengths = np.array([len(p) for p in positives], dtype=np.int64)
    rows = np.repeat(np.arange(B, dtype=np.int64), lengths)
    flat = np.concatenate([np.asarray(list(p), dtype=np.int64) for p in positives]) if lengths.sum() else \
        np.zeros(0, dtype=np.int64)
    forbidden = np.unique(rows * (n_items + 1) + flat)  # sorted keys of (row, own item)
    n_own = np.bincount(forbidden // (n_items + 1), minlength=B)
    if B and n_own.max() >= n_items:
        raise ValueError(f"sample_negatives: {int((n_own >= n_items).sum())} users have too few items they "
                         f"never touched to draw negatives from (n_items={n_items})")
    probabilities = None
    if weights is not None:
        w = np.asarray(weights, dtype=np.float64).copy()
        if w.shape != (n_items + 1,) or (w < 0).any():
            raise ValueError(f"sample_negatives: weights must be ({n_items + 1},) and >= 0, got {w.shape}")
        w[0] = 0.0
        probabilities = w / w.sum()
    out = np.zeros((B, n_negatives), dtype=np.int64)
    filled = np.zeros(B, dtype=np.int64)
    todo = np.arange(B)
    for _ in range(max_rounds):
        if len(todo) == 0:
            return out
        draw = 2 * n_negatives + 8
        if probabilities is None:
            candidates = rng.integers(1, n_items + 1, size=(len(todo), draw))  # (R, draw)
        else:
            candidates = rng.choice(n_items + 1, size=(len(todo), draw), p=probabilities)
        keys = todo[:, None] * (n_items + 1) + candidates
        position = np.searchsorted(forbidden, keys).clip(max=max(len(forbidden) - 1, 0))
        valid = forbidden[position] != keys if len(forbidden) else np.ones_like(keys, dtype=bool)
        for r, row in enumerate(todo):
            take = candidates[r][valid[r]][: n_negatives - filled[row]]
            out[row, filled[row]:filled[row] + len(take)] = take
            filled[row] += len(take)
        todo = todo[filled[todo] < n_negatives]
    raise ValueError(f"sample_negatives: {len(todo)} users have too few items they never touched to draw "
                     f"{n_negatives} negatives (n_items={n_items})")
