"""ReviewClassifier: a bidirectional transformer encoder that reads a review and predicts a label.

Unlike the language model, every token may look at every other token (no causal mask; BERT's encoder,
Devlin et al. 2019), because the whole review is there at once. One vector then stands for the review:

- pooling="mean": the average of the hidden states of the real (non-padding) tokens,
      pooled = sum_t h_t * real_t / sum_t real_t                       (B, D)
- pooling="cls":  the hidden state of a first token that carries no word of its own (we put <bos>
      there; BERT calls it [CLS]); attention learns to gather the review into it.

A linear head turns the pooled vector into class logits (B, C), trained with cross-entropy. The same
class serves sentiment (negative / neutral / positive) and the 1-5 star rating: only n_classes differs.

`explain()` runs the same computation block by block and also returns each block's attention weights,
so a lesson can show which words the prediction rested on.
"""

from minishop import backend
from minishop import functional as F
from minishop.nn import Linear, Module, Transformer
from minishop.tensor import no_grad

SENTIMENT_CLASSES = ("negative", "neutral", "positive")
RATING_CLASSES = ("1", "2", "3", "4", "5")


def sentiment_of_rating(rating):
    """1-2 stars -> 0 (negative), 3 -> 1 (neutral), 4-5 -> 2 (positive)."""
    if rating not in (1, 2, 3, 4, 5):
        raise ValueError(f"sentiment_of_rating(rating={rating!r}): expected an integer from 1 to 5")
    return 0 if rating <= 2 else (1 if rating == 3 else 2)


class ReviewClassifier(Module):
    """Transformer encoder + pooling + linear head: ids (B, T) -> class logits (B, C)."""

    def __init__(self, vocab_size, n_classes, d_model=64, n_blocks=2, n_heads=4, max_len=64, dropout=0.1,
                 pooling="mean", d_ff=None):
        super().__init__()
        if pooling not in ("mean", "cls"):
            raise ValueError(f"ReviewClassifier(pooling={pooling!r}): expected 'mean' or 'cls'")
        self.config = dict(vocab_size=vocab_size, n_classes=n_classes, d_model=d_model, n_blocks=n_blocks,
                           n_heads=n_heads, max_len=max_len, dropout=dropout, pooling=pooling, d_ff=d_ff)
        self.pooling = pooling
        self.encoder = Transformer(vocab_size, d_model, n_blocks, n_heads, max_len, dropout=dropout,
                                   causal=False, norm_first=True, positional="learned", tie_weights=True, d_ff=d_ff)
        self.head = Linear(d_model, n_classes)

    def pool(self, hidden, padding):  # hidden (B, T, D), padding bool (B, T) True at padding
        """One vector per review (B, D): the mean over real tokens, or the first token's state."""
        if self.pooling == "cls":
            return hidden[:, 0]  # (B, D)
        real = (~padding).astype(hidden.dtype)[:, :, None]  # (B, T, 1) 1 for a real token
        return (hidden * real).sum(axis=1) / real.sum(axis=1)  # (B, D)

    def forward(self, ids, padding):  # ids (B, T), padding bool (B, T)
        """Class logits (B, C)."""
        ids, padding = backend.asarray(ids), backend.asarray(padding)
        hidden = self.encoder(ids, key_padding_mask=padding)  # (B, T, D)
        return self.head(self.pool(hidden, padding))  # (B, C)

    def loss(self, ids, padding, labels, label_smoothing=0.0):
        """Mean cross-entropy of the class logits against integer labels (B,)."""
        return F.cross_entropy(self(ids, padding), backend.asarray(labels), label_smoothing=label_smoothing)

    def explain(self, ids, padding):
        """(logits (B, C), [attention weights (B, H, T, T) of each block]) for a batch, in eval mode.

        The same computation as forward() (a test checks the logits agree), unrolled so that each block's
        attention weights can be kept: weights[b][batch, head, query, key].
        """
        ids, padding = backend.asarray(ids), backend.asarray(padding)
        encoder = self.encoder
        was_training = self.training
        self.eval()  # dropout off: the weights shown are the ones a prediction uses
        T = ids.shape[-1]
        all_weights = []
        with no_grad():
            x = encoder.token_embedding(ids) + encoder.position_embedding.weight[:T]  # (B, T, D)
            for block in encoder.blocks:
                # attended (B, T, D), weights (B, H, T, T)
                attended, weights = block.attention(block.norm1(x), padding, need_weights=True)
                x = x + attended
                x = x + block.feed_forward(block.norm2(x))  # (B, T, D)
                all_weights.append(weights.data)
            logits = self.head(self.pool(encoder.final_norm(x), padding))  # (B, C)
        self.train(was_training)
        return logits, all_weights

    def token_importance(self, ids, padding):
        """How much attention each token receives in the last block (B, T), averaged over heads and over the
        real query tokens (or taken from the <cls> query with cls pooling); padding gets 0. Rows sum to 1."""
        xp = backend.xp()
        _, all_weights = self.explain(ids, padding)
        weights = all_weights[-1].mean(axis=1)  # (B, T_query, T_key), averaged over heads
        padding = backend.asarray(padding)
        if self.pooling == "cls":
            return weights[:, 0]  # (B, T)
        real = (~padding).astype(weights.dtype)  # (B, T)
        received = (weights * real[:, :, None]).sum(axis=1) / real.sum(axis=1, keepdims=True)  # (B, T)
        return xp.where(padding, 0.0, received)
