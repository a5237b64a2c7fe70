"""SequentialRecommender: a shopper's history is a sentence, the next purchase is the next word.

The SASRec design (Kang & McAuley, "Self-Attentive Sequential Recommendation", ICDM 2018):

    h_0 = dropout(E[items] * sqrt(D) + P[positions])    item embedding, scaled as in SASRec's code, plus position
    h_l = Block_l(h_{l-1})                              causal self-attention + feed-forward, l = 1..L
    H   = LayerNorm(h_L)                                (B, T, D): what the model knows after each item
    score(t, i) = H[t] . E[i]                           the SAME table E scores candidate items (tied weights)

Histories are LEFT-padded with item 0 ("<pad>"), so the newest item is always the last column. Positions are
counted from the right end of a window of `max_len` columns, so the newest item always has position max_len - 1
and a history gives the same outputs whatever the amount of padding in front of it. Attention never looks at a
padding column (key padding mask) nor at a later item (causal mask), and padding rows are set to zero after
every block (SASRec's "timeline mask").

Dropout follows SASRec's code: on the embeddings, the attention weights and inside the feed-forward, but not on
the attention's output, because with the paper's dropout 0.5 dropping that output too slows learning
(bench/README.md).
"""

import math

from minishop import backend
from minishop.nn import Dropout, Embedding, LayerNorm, Module, TransformerBlock
from minishop.tensor import no_grad


class SequentialRecommender(Module):
    """SASRec: causal self-attention over item histories, scored against the tied item embeddings.

    n_items: the catalogue size; items are ids 1..n_items and id 0 is padding. The size defaults are
    minishop.config.ModelConfig's (the `minishop train` defaults); a test keeps them equal.
    d_model: embedding width D. n_blocks: transformer blocks L. n_heads: attention heads.
    max_len: the longest history read (older items are cut). dropout: on embeddings, attention and blocks.
    norm_first: pre-LayerNorm blocks (True, trains more easily) or the original post-LN (False).
    sparse_items: the item table's gradient as a RowGradient (only the rows a step looked up: its histories,
    targets and sampled negatives) instead of a dense (n_items + 1, D) array, so that the sampled softmax and
    BCE steps, with Adam's lazy row update, cost the same at 10k and 1M items (minishop/row_gradient.py). The
    full softmax multiplies by the whole table, so its gradient stays dense either way. A training choice,
    not part of the model: it is not in `config`, and checkpoints are the same with or without it.
    """

    def __init__(self, n_items, d_model=64, n_blocks=2, n_heads=2, max_len=50, dropout=0.2, norm_first=True,
                 sparse_items=False):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"SequentialRecommender: d_model={d_model} must be divisible by n_heads={n_heads}")
        self.config = dict(n_items=n_items, d_model=d_model, n_blocks=n_blocks, n_heads=n_heads,
                           max_len=max_len, dropout=dropout, norm_first=norm_first)
        self.n_items, self.d_model, self.max_len = n_items, d_model, max_len
        # (n_items + 1, D), row 0 = padding; every lookup of it, scored candidates included, goes through this
        # module, so sparse_items makes all of them RowGradients
        self.item_embedding = Embedding(n_items + 1, d_model, sparse=sparse_items)
        self.position_embedding = Embedding(max_len, d_model)  # (max_len, D)
        self.embedding_dropout = Dropout(dropout)
        # SASRec's point-wise feed-forward keeps the width: d_ff = d_model.
        self.blocks = [TransformerBlock(d_model, n_heads, d_model, dropout, causal=True, norm_first=norm_first,
                                        drop_attention_output=False)
                       for _ in range(n_blocks)]
        self.final_norm = LayerNorm(d_model)

    # ---- reading histories -----------------------------------------------------------------------

    def forward(self, items, need_weights=False):
        """The hidden state after every position of left-padded histories.

        items: int array (B, T), T <= max_len, 0 = padding on the left.
        Returns H (B, T, D); with need_weights=True, (H, the last block's attention weights (B, heads, T, T)).
        """
        xp = backend.xp()
        items = backend.asarray(items)
        batch, length = items.shape
        if length > self.max_len:
            raise ValueError(f"SequentialRecommender.forward: histories of length {length} > max_len={self.max_len}")
        padding = items == 0  # (B, T) True at padding
        keep = (~padding)[:, :, None].astype(self.item_embedding.weight.dtype)  # (B, T, 1) the timeline mask
        positions = xp.arange(self.max_len - length, self.max_len)  # (T,) aligned to the right end

        x = self.item_embedding(items) * math.sqrt(self.d_model)  # (B, T, D)
        x = x + self.position_embedding(positions)  # (B, T, D) + (T, D)
        x = self.embedding_dropout(x) * keep  # (B, T, D), padding rows are 0
        weights = None
        for index, block in enumerate(self.blocks):
            if need_weights and index == len(self.blocks) - 1:
                weights = self._attention_weights(block, x, padding)  # (B, heads, T, T)
            x = block(x, key_padding_mask=padding) * keep  # (B, T, D)
        hidden = self.final_norm(x)  # (B, T, D)
        return (hidden, weights) if need_weights else hidden

    @staticmethod
    def _attention_weights(block, x, padding):
        """The attention weights (B, heads, T, T) that `block` computes for input x (B, T, D)."""
        attention_input = block.norm1(x) if block.norm_first else x  # what the block's attention reads
        _, weights = block.attention(attention_input, padding, need_weights=True)
        return weights

    # ---- scoring items ---------------------------------------------------------------------------

    def item_scores(self, hidden):
        """Scores of every item 0..n_items for hidden states (N, D): H @ E.T -> (N, n_items + 1)."""
        return hidden @ self.item_embedding.weight.transpose()  # (N, n_items + 1)

    def pad_histories(self, histories):
        """Left-pad the last max_len items of each history: list of lists -> host int64 array (B, T)."""
        np = backend.np
        length = max(1, min(self.max_len, max((len(h) for h in histories), default=1)))
        padded = np.zeros((len(histories), length), dtype=np.int64)
        for row, history in enumerate(histories):
            recent = list(history)[-length:]
            if recent:
                padded[row, length - len(recent):] = recent
        return padded

    def score(self, histories, batch_size=256):
        """Scores of every item for the next purchase after each history: array (B, n_items + 1).

        The interface of minishop.eval's recommenders. Runs in eval mode (no dropout) without building a
        graph, `batch_size` histories at a time; column 0 (padding) gets -inf.
        """
        xp = backend.xp()
        was_training = self.training
        self.eval()
        rows = []
        try:
            with no_grad():
                for start in range(0, len(histories), batch_size):
                    items = self.pad_histories(histories[start:start + batch_size])  # (b, T)
                    hidden = self.forward(items)  # (b, T, D)
                    last = hidden[:, -1, :]  # (b, D) after the newest item
                    rows.append(self.item_scores(last).data)  # (b, n_items + 1)
        finally:
            self.train(was_training)
        if not rows:
            return xp.zeros((0, self.n_items + 1), dtype=backend.default_dtype())
        scores = xp.concatenate(rows, axis=0)  # (B, n_items + 1)
        scores[:, 0] = -xp.inf
        return scores

    def attention_to_history(self, history):
        """How much the newest position attended to each item of one history in the last block.

        Returns (items, weights): the last max_len items (list) and a host float array of the same length,
        averaged over heads. The basis of "because you bought ..." explanations.
        """
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                items = self.pad_histories([history])  # (1, T)
                _, weights = self.forward(items, need_weights=True)  # weights (1, heads, T, T)
        finally:
            self.train(was_training)
        last_row = backend.to_numpy(weights)[0, :, -1, :].mean(axis=0)  # (T,) the newest row, averaged over heads
        real = items[0] != 0
        return items[0][real].tolist(), last_row[real]
