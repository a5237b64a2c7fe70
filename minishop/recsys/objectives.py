"""Training batches and the three training objectives of the sequential recommender.

A training history s_1 .. s_L teaches the model L - 1 next-item predictions at once: after reading
s_1..s_t the model should score s_{t+1} high. Inputs and targets are the same history shifted by one:

    items   = [0, 0, s_1, s_2, ..., s_{L-1}]      left-padded to T columns
    targets = [0, 0, s_2, s_3, ..., s_L    ]      0 = no target here (padding)

Only the REAL positions (target != 0) are scored: the hidden states H (B, T, D) are first gathered to
h (N, D), N = number of real positions. On Amazon Games only ~12% of the B*T positions are real, so this
is where most of the speed comes from.

Objectives, each a mean over the N real positions, with s(h, i) = h . E[i] the tied item score:

    bce      -log sigmoid(s(h, pos)) - log sigmoid(-s(h, neg))      SASRec: one sampled negative per position
    ce       -log softmax_i(s(h, i))[pos]   over ALL items          full softmax cross-entropy
    sampled  -log softmax over {pos} + K negatives shared by the batch   sampled softmax (large catalogues)

bce and sampled read the candidates' rows E[i] through the model's item embedding (a lookup), so with
SequentialRecommender(sparse_items=True) their gradient, like the histories', is only those rows (a
RowGradient); ce multiplies by the whole table E[1:], whose gradient is dense, and so is the sum.
"""

from dataclasses import dataclass, replace

from minishop import backend
import minishop.functional as F
from minishop.fused_cross_entropy import linear_cross_entropy
from minishop.nn.attention import MASKED_SCORE

OBJECTIVES = ("bce", "ce", "sampled")


@dataclass
class RecommenderBatch:
    """One padded batch of training histories (host NumPy arrays)."""

    items: object  # (B, T) int64 inputs, 0 = padding
    targets: object  # (B, T) int64 next items, 0 = no target
    positions: object  # (N,) int64 flat indices (row * T + column) of the real targets
    negatives: object  # (N,) int64 one negative per real position (bce), (K,) shared negatives (sampled), or None
    log_q: object = None  # (n_items + 1,) log probability of drawing each item as a negative; None: uniform
    negatives_per_position: bool = False  # True when negatives[i] belongs to positions[i] (bce)

    def __len__(self):
        return self.items.shape[0]

    @property
    def loss_terms(self):
        """How many terms every loss here averages: the real positions N (data parallelism weighs ranks by it)."""
        return len(self.positions)

    def shard(self, rank, world_size):
        """Rank `rank`'s rows of this batch, with their positions and negatives (minishop.distributed).

        The padded length T stays that of the whole batch, so each row is computed exactly as in one process.
        """
        from minishop.distributed import shard_slice

        rows = shard_slice(len(self), rank, world_size)
        first, end = rows.start * self.items.shape[1], rows.stop * self.items.shape[1]  # flat index range
        mine = (self.positions >= first) & (self.positions < end)  # (N,) positions in these rows
        negatives = self.negatives[mine] if self.negatives_per_position else self.negatives
        return replace(self, items=self.items[rows], targets=self.targets[rows], positions=self.positions[mine] - first,
                       negatives=negatives)  # every other field (shared by the whole batch) as it is


def make_batch(histories, n_items, max_len, objective, rng, n_negatives=100, negative_probabilities=None):
    """Build a RecommenderBatch from training histories (lists of item ids 1..n_items).

    Each history is cut to its last max_len + 1 items. rng: a host NumPy Generator (negative sampling).
    bce draws one negative per real position, uniform over items the user never touched (as SASRec);
    sampled draws n_negatives items shared by the whole batch: uniformly, or from negative_probabilities
    ((n_items + 1,) host floats summing to 1, 0 for the padding id), whose logs go into batch.log_q for
    the loss's logQ correction.
    """
    np = backend.np
    windows = [list(h)[-(max_len + 1):] for h in histories]
    length = max(1, max(len(w) for w in windows) - 1)
    sequences = np.zeros((len(windows), length + 1), dtype=np.int64)  # (B, T + 1)
    for row, window in enumerate(windows):
        if window:
            sequences[row, length + 1 - len(window):] = window
    items, targets = sequences[:, :-1], sequences[:, 1:]  # (B, T) each
    targets = np.where(items == 0, 0, targets)  # a target with nothing before it cannot be predicted
    positions = np.flatnonzero(targets.reshape(-1))  # (N,)
    negatives = None
    if objective == "bce":
        rows = positions // length  # (N,) which history each real position belongs to
        negatives = sample_unseen(histories, rows, n_items, rng)
    elif objective == "sampled" and negative_probabilities is None:
        negatives = rng.integers(1, n_items + 1, size=n_negatives)  # (K,)
    elif objective == "sampled":
        negatives = rng.choice(n_items + 1, size=n_negatives, p=negative_probabilities)  # (K,)
    elif objective != "ce":
        raise ValueError(f"make_batch(objective={objective!r}): expected one of {OBJECTIVES}")
    log_q = None
    if objective == "sampled" and negative_probabilities is not None:
        with np.errstate(divide="ignore"):
            log_q = np.log(np.asarray(negative_probabilities, dtype=np.float64))  # -inf where never drawn
    return RecommenderBatch(np.ascontiguousarray(items), np.ascontiguousarray(targets), positions, negatives,
                            log_q=log_q, negatives_per_position=objective == "bce")


def sample_unseen(histories, rows, n_items, rng, max_rounds=100):
    """For each entry of `rows`, an item id uniform over 1..n_items that histories[row] does not contain.

    Vectorised rejection sampling: draw all, look the (row, item) pairs up in the sorted set of seen pairs,
    redraw the collisions. Returns (len(rows),) int64.
    """
    np = backend.np
    seen_rows = np.concatenate([np.full(len(h), r, dtype=np.int64) for r, h in enumerate(histories)])
    seen_items = np.concatenate([np.asarray(h, dtype=np.int64) for h in histories])
    seen = np.unique(seen_rows * (n_items + 1) + seen_items)  # sorted keys of (row, item) pairs
    samples = rng.integers(1, n_items + 1, size=len(rows))
    todo = np.arange(len(rows))
    for _ in range(max_rounds):
        keys = rows[todo] * (n_items + 1) + samples[todo]
        found = np.searchsorted(seen, keys)
        collided = (found < len(seen)) & (seen[np.minimum(found, len(seen) - 1)] == keys)
        todo = todo[collided]
        if todo.size == 0:
            return samples
        samples[todo] = rng.integers(1, n_items + 1, size=todo.size)
    raise ValueError(
        f"sample_unseen: could not find unseen items in {max_rounds} rounds; some user has bought "
        f"almost all of the {n_items} items, so no negative can be sampled for them"
    )


def real_hidden_states(model, batch):
    """Run the model and keep the hidden states of the real positions: (N, D)."""
    hidden = model(batch.items)  # (B, T, D)
    batch_size, length, width = hidden.shape
    return hidden.reshape(batch_size * length, width)[backend.asarray(batch.positions)]  # (N, D)


def bce_loss(model, batch):
    """SASRec's objective: mean over real positions of -log σ(h·E[pos]) - log σ(-h·E[neg])."""
    xp = backend.xp()
    h = real_hidden_states(model, batch)  # (N, D)
    positives = backend.asarray(batch.targets.reshape(-1)[batch.positions])  # (N,)
    pos_logits = (h * model.item_embedding(positives)).sum(axis=-1)  # (N,)
    neg_logits = (h * model.item_embedding(backend.asarray(batch.negatives))).sum(axis=-1)  # (N,)
    ones = xp.ones(pos_logits.shape, dtype=pos_logits.dtype)
    zeros = xp.zeros(neg_logits.shape, dtype=neg_logits.dtype)
    return (F.binary_cross_entropy_with_logits(pos_logits, ones)
            + F.binary_cross_entropy_with_logits(neg_logits, zeros))


def cross_entropy_loss(model, batch, chunk_elements=4_000_000):
    """Full softmax cross-entropy: mean over real positions of -log softmax(h @ E[1:].T)[pos].

    Computed by linear_cross_entropy (minishop/fused_cross_entropy.py), which never holds the
    (N, n_items) scores: it walks over blocks of rows holding about `chunk_elements` scores (16 MB in
    float32), so the loss's memory stays bounded and every temporary stays below glibc's mmap threshold.
    Same numbers as F.cross_entropy(h @ E[1:].T, targets), to float rounding.
    """
    h = real_hidden_states(model, batch)  # (N, D)
    items = model.item_embedding.weight[1:]  # (n_items, D): every real item, padding left out
    targets = backend.asarray(batch.targets.reshape(-1)[batch.positions] - 1)  # (N,) row of each target
    return linear_cross_entropy(h, items, targets, chunk_elements=chunk_elements)


def sampled_softmax_loss(model, batch):
    """Softmax over {target} + K negatives shared by the batch; a negative equal to the target is masked.

    With uniform negatives the usual logQ correction is a constant, so it is left out. With negatives drawn
    from a distribution q (batch.log_q, e.g. by popularity), every candidate's score s is replaced by
    s - log q(item) (Jean et al. 2015; Yi et al. 2019): popular items are drawn often, and without the
    correction the model would learn to push them down far more than a full softmax does.
    """
    xp = backend.xp()
    h = real_hidden_states(model, batch)  # (N, D)
    positives = backend.asarray(batch.targets.reshape(-1)[batch.positions])  # (N,)
    negatives = backend.asarray(batch.negatives)  # (K,)
    pos_logits = (h * model.item_embedding(positives)).sum(axis=-1, keepdims=True)  # (N, 1)
    neg_logits = h @ model.item_embedding(negatives).transpose()  # (N, K)
    if batch.log_q is not None:
        dtype = h.dtype
        log_q = backend.np.maximum(batch.log_q, -1e4)  # a target never drawn: a large, finite correction
        targets = batch.targets.reshape(-1)[batch.positions]  # (N,) host ids
        pos_logits = pos_logits - backend.asarray(log_q[targets][:, None], dtype)
        neg_logits = neg_logits - backend.asarray(log_q[batch.negatives][None, :], dtype)
    neg_logits = neg_logits.masked_fill(negatives[None, :] == positives[:, None], MASKED_SCORE)  # accidental hits
    logits = F.concatenate([pos_logits, neg_logits], axis=1)  # (N, 1 + K)
    return F.cross_entropy(logits, xp.zeros(h.shape[0], dtype=xp.int64))  # the target is column 0


LOSSES = {"bce": bce_loss, "ce": cross_entropy_loss, "sampled": sampled_softmax_loss}
