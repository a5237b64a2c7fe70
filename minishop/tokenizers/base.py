"""The two helpers every BPE needs: count adjacent pairs, and merge one pair into a new token.

A token sequence is a list of ints. Ids 0..255 are raw bytes; each merge mints the next id.
"""


def get_stats(ids, counts=None, weight=1):
    """Add the count of every adjacent pair of `ids` to `counts` (a dict), each occurrence counted `weight` times.

    get_stats([1, 2, 3, 1, 2]) -> {(1, 2): 2, (2, 3): 1, (3, 1): 1}
    """
    counts = {} if counts is None else counts
    for pair in zip(ids, ids[1:]):
        counts[pair] = counts.get(pair, 0) + weight
    return counts


def merge(ids, pair, new_id):
    """Replace every occurrence of `pair` in `ids` by `new_id`, scanning left to right.

    merge([1, 2, 3, 1, 2], (1, 2), 4) -> [4, 3, 4]; overlaps go to the left: merge([5, 5, 5], (5, 5), 6) -> [6, 5]
    """
    out = []
    i = 0
    while i < len(ids):
        if i < len(ids) - 1 and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def tie_break_key(pair, count, vocab):
    """The order in which training picks pairs: highest count first; among equal counts, the pair whose
    bytes (left token's bytes, then right token's bytes) are smallest.

    Bytes, not ids, so the rule depends only on what the tokens *are*, never on the order in which they were
    seen: the same corpus in any order gives the same merges. Both trainers (naive and fast) use this key.
    """
    return (-count, vocab[pair[0]], vocab[pair[1]])


def render_token(token_bytes):
    """A printable form of a token's bytes, for the human-readable vocab file: invalid UTF-8 and
    control characters are shown escaped, so every token fits on one line."""
    text = token_bytes.decode("utf-8", errors="backslashreplace")
    return "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in text)
