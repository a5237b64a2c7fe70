"""ReviewClassifier: a bidirectional transformer encoder that reads a review and predicts a label.

Unlike the language model, every token may look at every other token (no causal mask; BERT's encoder,
Devlin et al. 2019), because the whole review is there at once. One vector then stands for the review:

- pooling="mean": the average of the hidden states of the real (non-padding) tokens,
      pooled = sum_t h_t * real_t / sum_t real_t                       (B, D)
- pooling="cls":  the hidden state of a first token that carries no word of its own (we put <bos>
      there; BERT calls it [CLS]); attention learns to gather the review into it.
- pooling="attention": a weighted mean whose weights are themselves an attention over the tokens, with
      one learned query vector q (D,) (attention pooling; Bahdanau et al. 2015, Yang et al. 2016):
          a_t = softmax_t(h_t . q)  over the real tokens,   pooled = sum_t a_t h_t    (B, D)
      q starts at zero, so training starts from the plain mean and learns which tokens to listen to
      ("terrible", "love") and which to ignore ("the", "."); a_t then explains the prediction directly.
      No 1/sqrt(D) here: q is learned, and Adam moves it about lr per coordinate and step whatever its
      scale, so the factor would only slow it down. It is meant for n_blocks=0 (a bag of embeddings);
      on top of blocks q barely leaves zero in the few epochs before early stopping, so it acts as the
      mean and its weights explain little (bench/README.md has the measurements).
- pooling="max": the largest value of each feature over the real tokens (as in CNN sentence classifiers,
      Kim 2014; Collobert et al. 2011), so one strongly marked word can decide:
          pooled_d = max_t h_td  over the real tokens                                   (B, D)
      Its gradient flows only to the token that held each maximum.
- pooling="mean+max": both, side by side: [mean ; max]                                  (B, 2D)

A linear head turns the pooled vector into class logits (B, C), trained with cross-entropy. The same
class serves sentiment (negative / neutral / positive) and the 1-5 star rating: only n_classes differs.

`explain()` runs the same computation block by block and also returns each block's attention weights,
so a lesson can show which words the prediction rested on.
"""

from minishop import backend
from minishop import functional as F
from minishop.nn.attention import MASKED_SCORE
from minishop.nn import Linear, Module, Parameter, Transformer
from minishop.tensor import no_grad

POOLINGS = ("mean", "cls", "attention", "max", "mean+max")
SENTIMENT_CLASSES = ("negative", "neutral", "positive")
RATING_CLASSES = ("1", "2", "3", "4", "5")


def sentiment_of_rating(rating):
    """1-2 stars -> 0 (negative), 3 -> 1 (neutral), 4-5 -> 2 (positive)."""
    if rating not in (1, 2, 3, 4, 5):
        raise ValueError(f"sentiment_of_rating(rating={rating!r}): expected an integer from 1 to 5")
    return 0 if rating <= 2 else (1 if rating == 3 else 2)


def mean_pool(hidden, padding):  # hidden (B, T, D), padding bool (B, T) True at padding
    """sum_t h_t * real_t / sum_t real_t: the average hidden state of the real tokens (B, D)."""
    real = (~padding).astype(hidden.dtype)[:, :, None]  # (B, T, 1) 1 for a real token
    return (hidden * real).sum(axis=1) / real.sum(axis=1)  # (B, D)


def max_pool(hidden, padding):  # hidden (B, T, D), padding bool (B, T) True at padding
    """max_t h_td over the real tokens (B, D); padding is set to MASKED_SCORE first so it never wins."""
    return hidden.masked_fill(padding[:, :, None], MASKED_SCORE).max(axis=1)  # (B, D)


class ReviewClassifier(Module):
    """Transformer encoder + pooling + linear head: ids (B, T) -> class logits (B, C)."""

    def __init__(self, vocab_size, n_classes, d_model=64, n_blocks=2, n_heads=4, max_len=64, dropout=0.1,
                 pooling="mean", d_ff=None, norm_first=True):
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"ReviewClassifier(pooling={pooling!r}): expected one of {POOLINGS}")
        self.config = dict(vocab_size=vocab_size, n_classes=n_classes, d_model=d_model, n_blocks=n_blocks,
                           n_heads=n_heads, max_len=max_len, dropout=dropout, pooling=pooling, d_ff=d_ff,
                           norm_first=norm_first)
        self.pooling = pooling
        self.encoder = Transformer(vocab_size, d_model, n_blocks, n_heads, max_len, dropout=dropout,
                                   causal=False, norm_first=norm_first, positional="learned", tie_weights=True,
                                   d_ff=d_ff)
        if pooling == "attention":
            xp = backend.xp()
            self.pool_query = Parameter(xp.zeros((d_model,), dtype=backend.default_dtype()))  # q (D,)
        self.head = Linear(2 * d_model if pooling == "mean+max" else d_model, n_classes)

    def pool(self, hidden, padding):  # hidden (B, T, D), padding bool (B, T) True at padding
        """One vector per review: the mean over real tokens, the first token's state, the attention-weighted
        mean, the maximum over real tokens (all (B, D)), or mean and maximum side by side (B, 2D)."""
        if self.pooling == "cls":
            return hidden[:, 0]  # (B, D)
        if self.pooling == "attention":
            weights = self.pooling_weights(hidden, padding)  # (B, T)
            return (hidden * weights.reshape(*weights.shape, 1)).sum(axis=1)  # (B, D)
        if self.pooling == "max":
            return max_pool(hidden, padding)  # (B, D)
        if self.pooling == "mean+max":
            return F.concatenate([mean_pool(hidden, padding), max_pool(hidden, padding)], axis=-1)  # (B, 2D)
        return mean_pool(hidden, padding)  # (B, D)

    def pooling_weights(self, hidden, padding):  # hidden (B, T, D), padding bool (B, T)
        """Attention pooling's a_t = softmax_t(h_t . q) over the real tokens (B, T); rows sum to 1."""
        scores = hidden @ self.pool_query  # (B, T)
        return F.softmax(scores.masked_fill(padding, MASKED_SCORE), axis=-1)  # (B, T), 0 at padding

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

        The same computation as forward() (a test checks the logits agree), unrolled block by block so that
        each block's attention weights can be kept: weights[b][batch, head, query, key].
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
                attention_input = block.norm1(x) if block.norm_first else x  # what the block's attention reads
                _, weights = block.attention(attention_input, padding, need_weights=True)  # (B, H, T, T)
                all_weights.append(weights.data)
                x = block(x, key_padding_mask=padding)  # (B, T, D)
            hidden = encoder.final_norm(x) if encoder.final_norm is not None else x  # post-LN has none
            logits = self.head(self.pool(hidden, padding))  # (B, C)
        self.train(was_training)
        return logits, all_weights

    def token_importance(self, ids, padding):
        """How much each token counts for the prediction (B, T); padding gets 0 and rows sum to 1.

        With attention pooling: the pooling weights a_t themselves (the pooled vector IS sum_t a_t h_t).
        With mean pooling and no blocks: how much each token pushed towards the predicted class
        (mean_contributions).
        Otherwise: the attention each token receives in the last block, averaged over heads and over the
        real query tokens (or taken from the <cls> query with cls pooling).
        """
        xp = backend.xp()
        padding = backend.asarray(padding)
        if self.pooling == "attention":
            was_training = self.training
            self.eval()
            with no_grad():
                weights = self.pooling_weights(self.encoder(backend.asarray(ids), key_padding_mask=padding), padding)
            self.train(was_training)
            return weights.data  # (B, T)
        if not self.encoder.blocks and self.pooling == "mean":
            return self.mean_contributions(ids, padding)  # (B, T)
        if not self.encoder.blocks:
            raise ValueError(f"token_importance: a model with n_blocks=0 and pooling={self.pooling!r} has no "
                             "attention to read; use pooling='attention' or 'mean'")
        _, all_weights = self.explain(ids, padding)
        weights = all_weights[-1].mean(axis=1)  # (B, T_query, T_key), averaged over heads
        if self.pooling == "cls":
            return weights[:, 0]  # (B, T)
        real = (~padding).astype(weights.dtype)  # (B, T)
        received = (weights * real[:, :, None]).sum(axis=1) / real.sum(axis=1, keepdims=True)  # (B, T)
        return xp.where(padding, 0.0, received)

    def mean_contributions(self, ids, padding):  # ids (B, T), padding bool (B, T)
        """With no blocks and mean pooling the logits are a sum over tokens, so each token's part is exact:

            logit_k = (1/T) sum_t h_t . W_k + b_k,    c_t = h_t . (W_k - mean_j W_j) / T

        for the predicted class k (c_t > 0: token t pushed towards k rather than the average class). The
        importance is the positive part, normalised: max(c_t, 0) / sum_s max(c_s, 0) (B, T), rows summing to 1
        (uniform over the real tokens when none pushed towards k); padding gets 0.
        """
        xp = backend.xp()
        was_training = self.training
        self.eval()
        with no_grad():
            ids, padding = backend.asarray(ids), backend.asarray(padding)
            hidden = self.encoder(ids, key_padding_mask=padding)  # (B, T, D)
            logits = self.head(mean_pool(hidden, padding)).data  # (B, C)
        self.train(was_training)
        hidden = hidden.data
        W = self.head.weight.data  # (D, C)
        towards = W[:, logits.argmax(axis=1)].T - W.mean(axis=1)  # (B, D): W_k - mean_j W_j of each row's class
        pushed = xp.where(padding, 0.0, xp.maximum((hidden * towards[:, None, :]).sum(axis=-1), 0.0))  # (B, T)
        real = (~padding).astype(pushed.dtype)  # (B, T)
        total = pushed.sum(axis=1, keepdims=True)  # (B, 1); the 1/T is the same for every token: it cancels
        uniform = real / real.sum(axis=1, keepdims=True)
        return xp.where(total > 0, pushed / xp.where(total > 0, total, 1.0), uniform)  # (B, T)
