"""Three baselines every sequential recommender must beat, scored by the same evaluator.

- PopularRecommender:  score(i) = how often item i occurs in training. The same list for everyone.
- MarkovRecommender:   score(i | last item a) = #(a -> i transitions in training), first order.
- ItemKNNRecommender:  score(i | history) = sum over the last few items j of cosine(i, j) (recent ones
                       weigh more), where
                       cosine(i, j) = #users with both i and j / sqrt(#users with i * #users with j).

Markov and item-kNN break ties (and back off, when they know nothing about the history) by
popularity: a small popularity term below their own resolution is added, so items they score equally
come out in popularity order instead of all tied.

The catalogue is large (23,715 items on Amazon Games): a dense item x item matrix would take 2.2 GB.
So the transition counts and similarities are kept as a sparse matrix in CSR form (row pointers +
column ids + values, NumPy on the host), and each batch's dense (B, n_items + 1) score rows are
built from the rows of its users' items only.
"""

from minishop import backend
from minishop.eval.metrics import item_counts


class PopularRecommender:
    """Most-popular: every user gets the items ranked by their number of training interactions."""

    def fit(self, train_sequences, n_items):
        """train_sequences: dict user -> chronological list of item ids in 1..n_items."""
        self.n_items = n_items
        self.counts = item_counts(train_sequences, n_items).astype(backend.np.float64)  # (n_items + 1,)
        self.counts[0] = 0.0
        return self

    def score(self, histories):
        """(B, n_items + 1): the same popularity row for every history."""
        np = backend.np
        return np.broadcast_to(self.counts, (len(histories), self.n_items + 1)).copy()


class SparseRows:
    """A sparse square matrix in CSR form: row r's entries are columns[starts[r]:starts[r + 1]]."""

    def __init__(self, rows, columns, values, n_rows):
        np = backend.np
        order = np.argsort(rows, kind="stable")
        self.columns = columns[order]  # (nnz,)
        self.values = values[order]  # (nnz,)
        self.starts = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n_rows))])  # (n_rows + 1,)

    def gather(self, row_ids):
        """The entries of rows row_ids (M,): returns (which, columns, values), one per entry, where
        `which` (nnz_selected,) says which of the M requested rows each entry came from."""
        np = backend.np
        row_ids = np.asarray(row_ids, dtype=np.int64)
        first = self.starts[row_ids]  # (M,)
        lengths = self.starts[row_ids + 1] - first  # (M,)
        which = np.repeat(np.arange(row_ids.size), lengths)  # (nnz_selected,)
        offset_in_row = np.arange(which.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        positions = np.repeat(first, lengths) + offset_in_row  # (nnz_selected,)
        return which, self.columns[positions], self.values[positions]


def _popularity_tiebreak(counts, scale):
    """counts (n_items + 1,) -> a popularity score in [0, scale): orders items the main score ties."""
    return scale * counts / (counts.max() + 1.0)


class MarkovRecommender:
    """First-order Markov chain: rank items by how often they followed the user's last item.

    score(i) = #(last -> i) + popularity(i) / (max popularity + 1). Transition counts are integers,
    so the popularity term (< 1) only orders items with equal counts; an unseen last item, or an empty
    history, falls back to pure popularity.
    """

    def fit(self, train_sequences, n_items):
        """Count every (item -> next item) transition in train_sequences (dict user -> item ids); returns self."""
        np = backend.np
        self.n_items = n_items
        counts = item_counts(train_sequences, n_items).astype(np.float64)  # (n_items + 1,)
        self.backoff = _popularity_tiebreak(counts, 1.0)
        self.backoff[0] = 0.0
        sources, destinations = [], []
        for items in train_sequences.values():
            sources.extend(items[:-1])
            destinations.extend(items[1:])
        keys = np.asarray(sources, dtype=np.int64) * (n_items + 1) + np.asarray(destinations, dtype=np.int64)
        pairs, pair_counts = np.unique(keys, return_counts=True)  # one entry per observed transition
        self.transitions = SparseRows(pairs // (n_items + 1), pairs % (n_items + 1),
                                      pair_counts.astype(np.float64), n_items + 1)
        return self

    def score(self, histories):
        """(B, n_items + 1): transition counts from each history's last item, plus the popularity term."""
        np = backend.np
        scores = np.tile(self.backoff, (len(histories), 1))  # (B, n_items + 1)
        with_history = [b for b, history in enumerate(histories) if history]
        last_items = [histories[b][-1] for b in with_history]
        which, columns, values = self.transitions.gather(last_items)
        rows = np.asarray(with_history, dtype=np.int64)[which]
        scores[rows, columns] += values  # each (last item, column) pair is unique: no repeated index
        return scores


class ItemKNNRecommender:
    """Item-based k-nearest neighbours on co-occurrence within users' training sequences.

    cosine(i, j) = c(i, j) / sqrt(c(i) c(j)), with c(i, j) the number of users who interacted with both
    i and j, and c(i) the number with i. Each item keeps its `n_neighbors` most similar items.

        score(i | history) = sum over the last `n_last` distinct history items j, the most recent at
                             age 0, of decay**age * cosine(j, i)

    plus a popularity term below 1e-6 that orders ties (and scores users with no known neighbours).
    The defaults were chosen on the VALIDATION items of Amazon Games, never the test ones (bench/README.md).
    """

    def __init__(self, n_neighbors=200, n_last=5, decay=0.5):
        self.n_neighbors = n_neighbors
        self.n_last = n_last
        self.decay = decay

    def fit(self, train_sequences, n_items):
        """Item-item cosine similarities from train_sequences (dict user -> item ids); returns self."""
        np = backend.np
        self.n_items = n_items
        counts = item_counts(train_sequences, n_items).astype(np.float64)  # (n_items + 1,)
        self.backoff = _popularity_tiebreak(counts, 1e-6)
        self.backoff[0] = 0.0
        users, items = _unique_user_items(train_sequences, n_items)  # one entry per (user, item)
        left, right = _pairs_within_users(users, items)  # every pair i < j of one user's items
        pairs, together = np.unique(left * (n_items + 1) + right, return_counts=True)  # c(i, j), i < j
        i, j = pairs // (n_items + 1), pairs % (n_items + 1)
        i, j, together = np.concatenate([i, j]), np.concatenate([j, i]), np.concatenate([together, together])
        users_with = np.bincount(items, minlength=n_items + 1).astype(np.float64)  # c(i)
        similarity = together / np.sqrt(users_with[i] * users_with[j])
        keep = _top_per_row(i, similarity, self.n_neighbors)
        self.neighbors = SparseRows(i[keep], j[keep], similarity[keep], n_items + 1)
        return self

    def score(self, histories):
        """(B, n_items + 1): decayed sum of similarities to the last n_last distinct items, plus popularity."""
        np = backend.np
        scores = np.tile(self.backoff, (len(histories), 1))  # (B, n_items + 1)
        rows, recent, weights = [], [], []
        for b, history in enumerate(histories):
            last_distinct = list(dict.fromkeys(reversed(history)))[: self.n_last]  # most recent first
            rows.extend([b] * len(last_distinct))
            recent.extend(last_distinct)
            weights.extend(self.decay ** age for age in range(len(last_distinct)))
        which, columns, values = self.neighbors.gather(recent)
        values = values * np.asarray(weights)[which]
        # several recent items may share a neighbour: bincount sums repeated (row, column) pairs
        flat = np.asarray(rows, dtype=np.int64)[which] * (self.n_items + 1) + columns
        scores += np.bincount(flat, weights=values, minlength=scores.size).reshape(scores.shape)
        return scores


def _unique_user_items(train_sequences, n_items):
    """Flat (users, items) int64 arrays with each (user, item) pair once, sorted by user then item."""
    np = backend.np
    keys = [user * (n_items + 1) + item for user, items in train_sequences.items() for item in set(items)]
    keys = np.unique(np.asarray(keys, dtype=np.int64))
    return keys // (n_items + 1), keys % (n_items + 1)


def _pairs_within_users(users, items):
    """All pairs (i, j), i < j, of items of the same user. Sorted by user, then item; (M,) -> (P,), (P,)."""
    np = backend.np
    _, group_start, group_size = np.unique(users, return_index=True, return_counts=True)
    size_of = np.repeat(group_size, group_size)  # (M,) size of each entry's user group
    start_of = np.repeat(group_start, group_size)  # (M,) where that group starts
    left_index = np.repeat(np.arange(users.size), size_of)  # (P',) each entry once per partner
    partner = np.arange(left_index.size) - np.repeat(np.cumsum(size_of) - size_of, size_of)
    right_index = np.repeat(start_of, size_of) + partner  # (P',) partner's position
    ordered = left_index < right_index  # items are sorted within a user, so this is item i < item j
    return items[left_index[ordered]], items[right_index[ordered]]


def _top_per_row(rows, values, n):
    """Boolean mask keeping, for each row id, the n entries with the largest values."""
    np = backend.np
    order = np.lexsort((-values, rows))  # by row, then by value descending
    sorted_rows = rows[order]
    first_of_row = np.searchsorted(sorted_rows, sorted_rows, side="left")
    rank_in_row = np.arange(rows.size) - first_of_row
    keep = np.zeros(rows.size, dtype=bool)
    keep[order[rank_in_row < n]] = True
    return keep
