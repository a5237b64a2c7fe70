"""The obvious BPE trainer, written for reading: recount every pair of the whole corpus after every merge.

This is the "before" version of `training.py`. Each merge costs a full pass over every chunk of every text,
so training time grows as (number of merges) x (corpus size): fine for a paragraph, an hour for a few MB.
It uses the same pre-tokeniser and tie-break rule as the fast trainer, so both learn identical merges.
"""

from minishop.tokenizers.base import get_stats, merge, tie_break_key
from minishop.tokenizers.pretokenize import pretokenize


def train_naive(texts, n_merges):
    """Learn up to `n_merges` merges from `texts` (plain strings, no special tokens).

    Returns a list of (pair, count): merge i mints token 256 + i from `pair`, which occurred `count` times.
    """
    # every chunk of every text as a list of byte ids (no deduplication: that is the point)
    chunks = [list(chunk.encode("utf-8")) for text in texts for chunk in pretokenize(text)]
    vocab = {i: bytes([i]) for i in range(256)}
    merges = []
    for new_id in range(256, 256 + n_merges):
        # recount every adjacent pair in the corpus
        stats = {}
        for ids in chunks:
            get_stats(ids, stats)
        if not stats:
            break  # every chunk is a single token: nothing left to merge
        # the most frequent pair, ties broken by bytes
        pair = min(stats, key=lambda p: tie_break_key(p, stats[p], vocab))
        # mint a new token and replace the pair everywhere
        chunks = [merge(ids, pair, new_id) for ids in chunks]
        vocab[new_id] = vocab[pair[0]] + vocab[pair[1]]
        merges.append((pair, stats[pair]))
    return merges
