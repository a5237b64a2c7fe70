"""Fast BPE training: deduplicated chunks and pair counts updated incrementally.

Why this is fast (and why the naive version in `naive_bpe.py` is not):

1. Deduplicate. A few MB of shop text is ~1M chunks but only tens of thousands of *distinct* chunks
   (" the", " game", "."...). We keep each distinct chunk once with its count and weight its pairs by it.
2. Update, don't recount. Merging the pair (a, b) only changes the pair counts of the chunks that contain
   (a, b). An index `where[pair] -> chunk indices` finds them; for each we subtract its old pairs and add
   its new ones. Late merges touch a handful of chunks, so a merge costs almost nothing instead of a full pass.
3. Find the best pair with a heap instead of a max over all pairs. Heap entries are *upper bounds* of a pair's
   count (we push when a count grows, never when it shrinks); when the top entry is stale we push its true
   count and try again ("lazy deletion"). An exact entry on top is the true best pair, including the tie-break.

The merges are exactly those of the naive trainer (a test checks it): same counts, same tie-break rule
(`base.tie_break_key`: highest count, then smallest bytes).
"""

import heapq

from tqdm import tqdm

from minishop.tokenizers.base import get_stats, merge, tie_break_key


def train_merges(chunk_counts, n_merges, progress=False):
    """Learn up to `n_merges` merges from `chunk_counts`, a dict {chunk bytes: how often it occurs}.

    Returns a list of (pair, count): merge i mints token 256 + i from `pair`, which occurred `count` times.
    Stops early when no chunk has two tokens left.
    """
    words = [list(chunk) for chunk in chunk_counts]  # each distinct chunk as byte ids
    freqs = list(chunk_counts.values())  # how often each occurs in the corpus
    vocab = {i: bytes([i]) for i in range(256)}

    # count every pair once, weighted by chunk frequency, and remember which chunks hold it
    pair_counts, where = {}, {}
    for index, (ids, freq) in enumerate(zip(words, freqs)):
        get_stats(ids, pair_counts, freq)
        for pair in zip(ids, ids[1:]):
            where.setdefault(pair, set()).add(index)
    heap = [(*tie_break_key(pair, count, vocab), pair) for pair, count in pair_counts.items()]
    heapq.heapify(heap)

    merges = []
    for new_id in tqdm(range(256, 256 + n_merges), desc="BPE merges", disable=not progress):
        pair = _pop_best(heap, pair_counts)
        if pair is None:
            break  # nothing left to merge
        # mint a new token for the best pair
        merges.append((pair, pair_counts[pair]))
        vocab[new_id] = vocab[pair[0]] + vocab[pair[1]]
        # re-tokenise only the chunks that contain the pair, collecting how each pair's count changes
        delta = {}
        for index in where.pop(pair):
            old = words[index]
            new = merge(old, pair, new_id)
            if len(new) == len(old):
                continue  # stale index entry: this chunk no longer holds the pair
            get_stats(old, delta, -freqs[index])
            get_stats(new, delta, freqs[index])
            for new_pair in zip(new, new[1:]):
                where.setdefault(new_pair, set()).add(index)
            words[index] = new
        _apply_delta(delta, pair_counts, heap, vocab)
    return merges


def _apply_delta(delta, pair_counts, heap, vocab):
    """Add the count changes of one merge to `pair_counts`; push a heap entry for every pair that grew."""
    for pair, change in delta.items():
        if change == 0:
            continue
        count = pair_counts.get(pair, 0) + change
        if count > 0:
            pair_counts[pair] = count
        else:
            pair_counts.pop(pair, None)
        if change > 0:
            heapq.heappush(heap, (*tie_break_key(pair, count, vocab), pair))


def _pop_best(heap, pair_counts):
    """Pop heap entries until one holds a pair's current count; return that pair (None if the heap empties).

    An entry whose count is too high is stale: we push the pair back with its true count. An entry whose
    count is too low is an old duplicate of a newer entry, already in the heap: we drop it.
    """
    while heap:
        entry = heapq.heappop(heap)
        neg_count, left_bytes, right_bytes, pair = entry
        count = pair_counts.get(pair, 0)
        if count == -neg_count:
            return pair
        if 0 < count < -neg_count:
            heapq.heappush(heap, (-count, left_bytes, right_bytes, pair))
    return None
