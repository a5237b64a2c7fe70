"""Evaluation protocols: how a held-out item is ranked, and against which candidates.

A leave-one-out split holds, per user, the training sequence `train[u]`, a validation item
`valid[u]` and a test item `test[u]`. Following SASRec:

    stage "valid": input history = train[u],              target = valid[u]
    stage "test":  input history = train[u] + [valid[u]], target = test[u]

A recommender is anything with `score(histories) -> (B, n_items + 1)` scores for the item ids
0..n_items (column 0 is padding and is never recommended).

Two protocols, always labelled in the results:

- "full": the target is ranked against EVERY item of the catalogue. The honest number. With
  `exclude_history=True` the items already in the user's input history are removed from the
  candidates (except the target itself, which stays even when it is a repeat).
- "sampled": the SASRec paper's protocol. The target is ranked against `n_negatives` (100) items
  drawn uniformly, with replacement, from the items the user NEVER touched (neither the input history
  nor the target). Much easier than full ranking: numbers compare with published tables only.
  (The authors' code excludes only the training items, so it may draw the validation item or, rarely,
  the target itself as a "negative"; we exclude both.) Under this protocol the top-K lists behind
  coverage@K and popularity@K are drawn from the 1 + n_negatives candidates only.

Ties are pessimistic in both (see metrics.py). Users are scored in batches: one (B, n_items + 1)
score matrix per batch, masks by fancy indexing, top-K lists by a partition threshold (`top_k`).
"""

from tqdm.auto import tqdm

from minishop import backend, distributed
from minishop.eval import metrics

STAGES = ("valid", "test")
PROTOCOLS = ("full", "sampled")


def evaluate(recommender, split, stage="test", protocol="full", ks=(5, 10, 20), exclude_history=True,
             n_negatives=100, seed=0, users=None, batch_size=256, progress=True, return_ranks=False):
    """Evaluate a recommender on one stage of a leave-one-out split under one protocol.

    users: None (every user with a target at this stage), an int n (n such users drawn at random with
    `seed`, as the paper's 10,000), or a list of user ids. `seed` also seeds the sampled negatives;
    the same seed gives the same numbers, whatever the batch size.

    Returns e.g. {"NDCG@10": .., "HR@10": .., "MRR@10": .., "coverage@10": .., "popularity@10": ..,
    (the same for each K), "protocol": "full", "stage": "test", "n_users": 31013, ...}.
    With return_ranks=True, returns (that dict, user_ids, ranks): the U evaluated user ids (a list) and
    each one's pessimistic rank of the target, from 1 (a (U,) int64 NumPy array, in the same order).
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"evaluate(protocol={protocol!r}): expected one of {PROTOCOLS}")
    results, user_ids, ranks = _evaluate(recommender, split, stage, (protocol,), ks, exclude_history, n_negatives,
                                         seed, users, batch_size, progress)
    if return_ranks:
        return results[protocol], user_ids, ranks[protocol]
    return results[protocol]


def evaluate_all(recommender, split, stage="test", ks=(5, 10, 20), exclude_history=True, n_negatives=100,
                 seed=0, users=None, batch_size=256, progress=True):
    """Both protocols from ONE scoring pass: {"full": {...}, "sampled": {...}} (arguments as in evaluate)."""
    results, _, _ = _evaluate(recommender, split, stage, PROTOCOLS, ks, exclude_history, n_negatives, seed, users,
                              batch_size, progress)
    return results


def evaluation_cases(split, stage, users=None, seed=0):
    """The users to evaluate, with their input histories and targets, per the SASRec convention.

    Returns (user_ids, histories, targets): a list of ids, a list of item-id lists, a (U,) int64 array.
    Users without a target at this stage are not evaluated.
    """
    np = backend.np
    if stage not in STAGES:
        raise ValueError(f"evaluate(stage={stage!r}): expected one of {STAGES}")
    held_out = split.valid if stage == "valid" else split.test
    user_ids = _choose_users(sorted(held_out), users, seed)
    histories = []
    for user in user_ids:
        history = list(split.train.get(user, []))
        if stage == "test" and user in split.valid:
            history.append(split.valid[user])
        histories.append(history)
    targets = np.asarray([held_out[user] for user in user_ids], dtype=np.int64)  # (U,)
    if targets.size and (targets.min() < 1 or targets.max() > split.n_items):
        raise ValueError(f"split.{stage}: target item ids must lie in 1..{split.n_items}, "
                         f"found ids from {targets.min()} to {targets.max()}")
    return user_ids, histories, targets


def _choose_users(eligible, users, seed):
    np = backend.np
    if users is None:
        return eligible
    if isinstance(users, int):
        if not 0 < users <= len(eligible):
            raise ValueError(f"evaluate(users={users}): expected 1..{len(eligible)} (users with a target)")
        chosen = np.random.default_rng(seed).choice(len(eligible), size=users, replace=False)
        return [eligible[i] for i in sorted(chosen)]
    users = list(users)
    missing = sorted(set(users) - set(eligible))
    if missing:
        raise ValueError(f"evaluate(users=...): {len(missing)} user(s) have no target at this stage, "
                         f"e.g. {missing[:5]}")
    return users


def sample_negatives(histories, targets, n_items, n_negatives, seed):
    """For each user, `n_negatives` item ids drawn uniformly from items outside history + target.

    Vectorised rejection sampling: draw all (U, n_negatives) ids at once, redraw only those that hit
    a touched item, until none does. Membership is a binary search in the sorted keys
    user_row * (n_items + 1) + item of every touched (user, item) pair. Returns (U, n_negatives) int64.
    """
    np = backend.np
    rng = np.random.default_rng(seed)
    n_users = len(histories)
    rows, items = _flatten(histories)
    rows = np.concatenate([rows, np.arange(n_users)])  # the target is touched too
    items = np.concatenate([items, np.asarray(targets, dtype=np.int64)])
    touched_keys = np.unique(rows * (n_items + 1) + items)  # sorted, one per (user, item) pair
    n_touched = np.bincount(touched_keys // (n_items + 1), minlength=n_users)  # (U,)
    if n_users and n_touched.max() >= n_items:
        raise ValueError(f"sample_negatives: user row {int(n_touched.argmax())} touched all {n_items} items, "
                         "so no negative can be sampled")

    negatives = rng.integers(1, n_items + 1, size=(n_users, n_negatives))  # (U, n_neg)
    user_rows = np.arange(n_users)[:, None].repeat(n_negatives, axis=1)  # (U, n_neg)
    redraw = np.nonzero(_is_member(touched_keys, user_rows * (n_items + 1) + negatives))
    while redraw[0].size:
        negatives[redraw] = rng.integers(1, n_items + 1, size=redraw[0].size)
        still_bad = _is_member(touched_keys, user_rows[redraw] * (n_items + 1) + negatives[redraw])
        redraw = (redraw[0][still_bad], redraw[1][still_bad])
    return negatives


def _is_member(sorted_keys, queries):
    """queries (any shape) -> bool array: is each query in the sorted 1-D array sorted_keys?"""
    np = backend.np
    if sorted_keys.size == 0:
        return np.zeros(queries.shape, dtype=bool)
    positions = np.minimum(np.searchsorted(sorted_keys, queries), sorted_keys.size - 1)
    return sorted_keys[positions] == queries


def _flatten(histories):
    """histories (list of B lists) -> (rows, items): two flat int64 arrays, one entry per history item."""
    np = backend.np
    lengths = np.asarray([len(history) for history in histories], dtype=np.int64)
    rows = np.repeat(np.arange(len(histories)), lengths)
    items = np.asarray([item for history in histories for item in history], dtype=np.int64)
    return rows, items


def _evaluate(recommender, split, stage, protocols, ks, exclude_history, n_negatives, seed, users, batch_size,
              progress):
    """Score the chosen users once; rank their targets under each protocol.

    Returns ({protocol: metrics dict}, user_ids, {protocol: (U,) int64 host ranks}).
    """
    if stage not in STAGES:
        raise ValueError(f"evaluate(stage={stage!r}): expected one of {STAGES}")
    ks = tuple(ks)
    if not ks or any(not isinstance(k, int) or k < 1 or k > split.n_items for k in ks):
        raise ValueError(f"evaluate(ks={ks}): expected positive ints no larger than n_items={split.n_items}")
    if not isinstance(n_negatives, int) or n_negatives < 1:
        raise ValueError(f"evaluate(n_negatives={n_negatives!r}): expected a positive int")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"evaluate(batch_size={batch_size!r}): expected a positive int")
    user_ids, histories, targets = evaluation_cases(split, stage, users, seed)
    if not user_ids:
        raise ValueError(f"evaluate: no user has a {stage} target in this split")
    negatives = None
    if "sampled" in protocols:
        negatives = sample_negatives(histories, targets, split.n_items, n_negatives, seed)  # (U, n_neg)

    k_max = max(ks)
    ranks = {protocol: [] for protocol in protocols}
    top_items = {protocol: [] for protocol in protocols}
    comm = distributed.world()  # with several ranks, each scores its share of the batches; then all are gathered
    show = progress and comm.world_size == 1
    with tqdm(total=len(user_ids), desc=f"evaluate {stage}", unit="user", disable=not show) as bar:
        for start in _batch_starts(len(user_ids), batch_size, comm):
            batch = slice(start, start + batch_size)
            scores = score_batch(recommender, histories[batch], split.n_items)  # (B, n_items + 1)
            for protocol in protocols:
                if protocol == "full":
                    batch_ranks, batch_top = full_ranking(scores, histories[batch], targets[batch],
                                                          exclude_history, k_max)
                else:
                    batch_ranks, batch_top = sampled_ranking(scores, targets[batch], negatives[batch], k_max)
                ranks[protocol].append(backend.to_numpy(batch_ranks))
                top_items[protocol].append(backend.to_numpy(batch_top))
            bar.update(len(histories[batch]))

    popular = metrics.most_popular_items(split.train, split.n_items)
    results = {}
    for protocol in protocols:
        top_width = k_max if protocol == "full" else min(k_max, 1 + n_negatives)
        ranks[protocol] = _gather_rows(ranks[protocol], (), comm)  # (U,) int64 on the host
        all_ranks = ranks[protocol]
        all_top = _gather_rows(top_items[protocol], (top_width,), comm)  # (U, k_max)
        result = metrics.ranking_metrics(all_ranks, ks)
        for k in ks:
            result[f"coverage@{k}"] = metrics.coverage(all_top[:, :k], split.n_items)
            result[f"popularity@{k}"] = metrics.popularity_bias(all_top[:, :k], popular)
        result.update(protocol=protocol, stage=stage, n_users=len(user_ids))
        if protocol == "full":
            result["exclude_history"] = bool(exclude_history)
        else:
            result.update(n_negatives=n_negatives, seed=seed)
        results[protocol] = result
    return results, user_ids, ranks


def _batch_starts(n_users, batch_size, comm):
    """The first user of each scoring batch this rank scores: every batch in one process, else a contiguous
    share of whole batches, so that each score is computed exactly as one process computes it."""
    starts = range(0, n_users, batch_size)
    return starts[distributed.shard_slice(len(starts), comm.rank, comm.world_size)]


def _gather_rows(parts, row_shape, comm):
    """This rank's arrays joined along axis 0 (int64), then every rank's in rank order (one process: joined)."""
    np = backend.np
    local = np.concatenate(parts).astype(np.int64) if parts else np.zeros((0,) + row_shape, dtype=np.int64)
    return comm.gather(local)


def score_batch(recommender, histories, n_items):
    """recommender.score(histories) as a checked float array of the active backend: (B, n_items + 1)."""
    xp = backend.xp()
    scores = recommender.score(histories)
    if hasattr(scores, "requires_grad"):  # a minishop Tensor: take the array inside it
        scores = scores.data
    scores = xp.asarray(scores)
    name = type(recommender).__name__
    expected = (len(histories), n_items + 1)
    if scores.shape != expected:
        raise ValueError(f"{name}.score(histories) returned shape {tuple(scores.shape)}, expected "
                         f"(batch, n_items + 1) = {expected}")
    if scores.dtype.kind != "f":
        scores = scores.astype(xp.float64)
    if bool(xp.isnan(scores).any()):
        raise ValueError(f"{name}.score(histories) returned NaN scores")
    return scores


def full_ranking(scores, histories, targets, exclude_history, k_max):
    """Rank each target among all items. Returns ((B,) ranks, (B, k_max) top item ids, best first).

    Candidates: every item 1..n_items except, with exclude_history, the user's history items; the
    target always stays. Column 0 (padding) never competes. The plain reading is `full_ranking_plain`
    (a (B, n_items + 1) candidate mask, then ranks_from_scores); this one gives the same ranks without
    the mask: count every column scoring >= the target, then subtract the few that do not compete
    (column 0, the target itself, the history items). The top-K list comes from one copy of the scores
    with the excluded columns set to -inf.
    """
    xp = backend.xp()
    n_rows = scores.shape[0]
    rows = xp.arange(n_rows)
    targets = xp.asarray(targets)
    target_scores = scores[rows, targets]  # (B,)
    at_least = xp.count_nonzero(scores[:, 1:] >= target_scores[:, None], axis=1)  # (B,) the target counts itself
    masked = scores.copy()
    masked[:, 0] = -xp.inf
    if exclude_history:
        history_rows, history_items = _unique_pairs(histories, scores.shape[1])
        history_rows, history_items = xp.asarray(history_rows), xp.asarray(history_items)
        other = history_items != targets[history_rows]  # the target stays even when it is a repeat
        history_rows, history_items = history_rows[other], history_items[other]
        beaten_by_history = scores[history_rows, history_items] >= target_scores[history_rows]
        at_least -= xp.bincount(history_rows[beaten_by_history], minlength=n_rows)
        masked[history_rows, history_items] = -xp.inf
    ranks = at_least.astype(xp.int64)  # 1 + the competitors scoring >= the target (the target was counted)
    return ranks, top_k(masked, k_max)


def _unique_pairs(histories, n_columns):
    """Each (row, item) pair of the histories once: two (P,) int64 host arrays."""
    np = backend.np
    rows, items = _flatten(histories)
    keys = np.unique(rows * n_columns + items)
    return keys // n_columns, keys % n_columns


def full_ranking_plain(scores, histories, targets, exclude_history, k_max):
    """full_ranking through a (B, n_items + 1) candidate mask: the plain reading, kept to test against."""
    xp = backend.xp()
    n_rows, n_columns = scores.shape
    rows = xp.arange(n_rows)
    targets = xp.asarray(targets)
    candidates = xp.ones((n_rows, n_columns), dtype=bool)  # (B, n_items + 1)
    candidates[:, 0] = False
    if exclude_history:
        history_rows, history_items = _flatten(histories)
        candidates[xp.asarray(history_rows), xp.asarray(history_items)] = False
    candidates[rows, targets] = False  # the target does not compete with itself ...
    ranks = metrics.ranks_from_scores(scores, targets, candidates)  # (B,)
    candidates[rows, targets] = True  # ... but it belongs in the recommended list
    top = top_k(xp.where(candidates, scores, -xp.inf), k_max)  # (B, k_max)
    return ranks, top


def sampled_ranking(scores, targets, negatives, k_max):
    """Rank each target among itself + its sampled negatives. Returns ((B,) ranks, (B, k_max) top ids)."""
    xp = backend.xp()
    np = backend.np
    candidate_items = xp.asarray(np.concatenate([targets[:, None], negatives], axis=1))  # (B, 1 + n_neg)
    candidate_scores = xp.take_along_axis(scores, candidate_items, axis=1)  # (B, 1 + n_neg)
    competes = xp.ones(candidate_scores.shape, dtype=bool)
    competes[:, 0] = False  # column 0 holds the target itself
    target_column = xp.zeros(len(targets), dtype=xp.int64)
    ranks = metrics.ranks_from_scores(candidate_scores, target_column, competes)  # (B,)
    best = top_k(candidate_scores, min(k_max, candidate_scores.shape[1]))  # (B, k) columns
    return ranks, xp.take_along_axis(candidate_items, best, axis=1)


def top_k(scores, k):
    """Column indices of the k largest scores of each row, best first: (B, N) -> (B, k).

    The plain reading is `np.argsort(-scores, axis=1, kind="stable")[:, :k]` (ties: the smaller column
    first), which sorts every row in full. np.argpartition is slow on rows with many ties (a popularity
    row), so instead:
    1. a threshold per row: the k-th best score among every `step`-th column. It can only be lower
       than (or equal to) the row's true k-th best score, so at least k columns reach it;
    2. keep the columns reaching it (about k * step per row), packed to the left of a small (B, S) array;
    3. sort each packed row (stably, so ties keep column order) and take the first k.
    """
    xp = backend.xp()
    n_rows, n_columns = scores.shape
    step = max(1, min(16, n_columns // k))
    sample = scores[:, ::step]  # (B, ~N / step), at least k columns
    threshold = xp.partition(sample, sample.shape[1] - k, axis=1)[:, -k]  # (B,)
    survivors = xp.flatnonzero(scores >= threshold[:, None])  # (S,) flat indices, row by row, >= k per row
    rows, columns = survivors // n_columns, survivors % n_columns
    place_in_row = xp.arange(rows.size) - xp.searchsorted(rows, rows)  # 0, 1, 2, ... within each row
    width = int(place_in_row.max()) + 1
    packed = xp.full((n_rows, width), xp.inf, dtype=scores.dtype)  # (B, S) negated scores, +inf = empty
    packed[rows, place_in_row] = -scores.reshape(-1)[survivors]
    packed_columns = xp.zeros((n_rows, width), dtype=xp.int64)
    packed_columns[rows, place_in_row] = columns
    best = xp.argsort(packed, axis=1, kind="stable")[:, :k]  # (B, k) places, best first
    return xp.take_along_axis(packed_columns, best, axis=1)
