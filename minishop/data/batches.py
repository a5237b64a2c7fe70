"""Fixed-length batches for a sequence model, LEFT-padded with 0 as in SASRec.

    pad_left([[5, 6, 7], [8]], max_len=4) -> [[0, 5, 6, 7],
                                              [0, 0, 0, 8]]
Longer histories keep their LAST max_len items (the most recent ones matter most for the next item).
"""

from minishop import backend


def pad_left(sequences, max_len):
    """(B, max_len) int64: each sequence's last max_len items, right-aligned, 0 before them."""
    np = backend.np
    if max_len < 1:
        raise ValueError(f"pad_left(max_len={max_len}): expected a positive length")
    out = np.zeros((len(sequences), max_len), dtype=np.int64)  # (B, T)
    for row, items in enumerate(sequences):
        tail = list(items)[-max_len:]
        if tail:
            out[row, max_len - len(tail):] = tail
    return out


def training_batches(train, max_len, batch_size, rng, min_length=2):
    """Yield (users (B,), inputs (B, T), targets (B, T)) over shuffled users with >= min_length items:
    inputs are items[:-1] and targets items[1:], both left-padded (0 target = ignore)."""
    np = backend.np
    users = np.array(sorted(u for u, items in train.items() if len(items) >= min_length), dtype=np.int64)
    order = users[rng.permutation(len(users))]
    for start in range(0, len(order), batch_size):
        chunk = order[start:start + batch_size]
        histories = [train[int(u)] for u in chunk]
        yield chunk, pad_left([h[:-1] for h in histories], max_len), pad_left([h[1:] for h in histories], max_len)
