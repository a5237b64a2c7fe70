"""The transformer block and the stack of blocks (the model under every minishop recommender and LM).

Pre-LN (norm_first=True, the default; Xiong et al. 2020):   Post-LN (the original, Vaswani et al. 2017):
    x = x + Dropout(Attention(LayerNorm(x)))                    x = LayerNorm(x + Dropout(Attention(x)))
    x = x + Dropout(FeedForward(LayerNorm(x)))                  x = LayerNorm(x + Dropout(FeedForward(x)))
Pre-LN keeps a clean residual path from input to output and trains without a learning-rate warm-up;
it needs one more LayerNorm after the last block.
"""

import math

from minishop import backend
from minishop.nn.attention import KVCache, MultiHeadAttention
from minishop.nn.layers import Dropout, Embedding, FeedForward, LayerNorm, Linear
from minishop.nn.module import Module


class TransformerBlock(Module):
    """Self-attention then a feed-forward MLP, each wrapped in a residual connection and a LayerNorm.

    dropout acts on the attention weights, inside the feed-forward and on each sub-layer's output before the
    residual add. drop_attention_output=False leaves the attention's output undropped, as SASRec's code does
    (its attention is regularised through the dropped weights only).

    forward(x, key_padding_mask=None, cache=None): x (B, T, D) -> (B, T, D). cache: this block's KVCache,
    handed to the attention (the other sub-layers act on each position alone and need none).
    """

    def __init__(self, d_model, n_heads, d_ff, dropout=0.0, causal=False, norm_first=True,
                 drop_attention_output=True):
        super().__init__()
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model)
        self.attention = MultiHeadAttention(d_model, n_heads, causal=causal, dropout=dropout)
        self.dropout1 = Dropout(dropout if drop_attention_output else 0.0)
        self.norm2 = LayerNorm(d_model)
        self.feed_forward = FeedForward(d_model, d_ff, dropout=dropout)
        self.dropout2 = Dropout(dropout)

    def forward(self, x, key_padding_mask=None, cache=None):  # x (B, T, D)
        if self.norm_first:
            x = x + self.dropout1(self.attention(self.norm1(x), key_padding_mask, cache=cache))  # (B, T, D)
            x = x + self.dropout2(self.feed_forward(self.norm2(x)))  # (B, T, D)
        else:
            x = self.norm1(x + self.dropout1(self.attention(x, key_padding_mask, cache=cache)))  # (B, T, D)
            x = self.norm2(x + self.dropout2(self.feed_forward(x)))  # (B, T, D)
        return x


def sinusoidal_positions(max_len, d_model):
    """The fixed positional encoding of Vaswani et al.: PE[t, 2i] = sin(t / 10000^(2i/D)), PE[t, 2i+1] = cos(.)."""
    xp, dtype = backend.xp(), backend.default_dtype()
    positions = xp.arange(max_len, dtype=xp.float64)[:, None]  # (T, 1)
    frequencies = xp.exp(-math.log(10000.0) * xp.arange(0, d_model, 2, dtype=xp.float64) / d_model)  # (ceil(D/2),)
    table = xp.zeros((max_len, d_model), dtype=xp.float64)
    table[:, 0::2] = xp.sin(positions * frequencies)
    table[:, 1::2] = xp.cos(positions * frequencies[: d_model // 2])
    return table.astype(dtype)  # (T, D)


class Transformer(Module):
    """Token embeddings + positions, n_blocks TransformerBlocks, and (pre-LN) a final LayerNorm.

    forward(ids, key_padding_mask=None, cache=None): ids int (B, T) with T <= max_len -> hidden states
    (B, T, D). With a cache from new_cache(), ids are the T tokens after the cached ones: they take the
    positions cache_length .. cache_length + T - 1 and attend to every cached token (generation).
    logits(hidden): scores over the vocabulary (..., V); with tie_weights=True they are hidden @ Eᵀ,
    using the input embedding E as the output layer too (fewer parameters, and an item's input and
    output vectors learn from each other; Press & Wolf 2017).
    """

    def __init__(self, vocab_size, d_model, n_blocks, n_heads, max_len, dropout=0.0, causal=True,
                 norm_first=True, positional="learned", tie_weights=True, d_ff=None):
        super().__init__()
        if positional not in ("learned", "sinusoidal"):
            raise ValueError(f"Transformer(positional={positional!r}): expected 'learned' or 'sinusoidal'")
        self.max_len, self.positional, self.tie_weights = max_len, positional, tie_weights
        d_ff = 4 * d_model if d_ff is None else d_ff
        self.token_embedding = Embedding(vocab_size, d_model)
        if positional == "learned":
            self.position_embedding = Embedding(max_len, d_model)
        else:
            self.position_table = sinusoidal_positions(max_len, d_model)  # a constant, not a Parameter
        self.dropout = Dropout(dropout)
        self.blocks = [
            TransformerBlock(d_model, n_heads, d_ff, dropout=dropout, causal=causal, norm_first=norm_first)
            for _ in range(n_blocks)
        ]
        self.final_norm = LayerNorm(d_model) if norm_first else None
        self.output = None if tie_weights else Linear(d_model, vocab_size, bias=False)

    def new_cache(self, batch_size=1):
        """An empty key/value cache for generation: one KVCache (B, H, max_len, d_head) per block."""
        dtype = self.token_embedding.weight.dtype
        return [KVCache(batch_size, block.attention.n_heads, self.max_len, block.attention.d_head, dtype)
                for block in self.blocks]

    def forward(self, ids, key_padding_mask=None, cache=None):  # ids (B, T)
        ids = backend.asarray(ids)  # accepts lists and host arrays too
        if cache is not None and len(cache) != len(self.blocks):
            raise ValueError(f"Transformer.forward: cache has {len(cache)} layers, expected one per block "
                             f"({len(self.blocks)}); make it with new_cache()")
        start, T = (0 if cache is None else cache[0].length), ids.shape[-1]
        if start + T > self.max_len:
            after = f" after {start} cached tokens" if start else ""
            raise ValueError(f"Transformer.forward: sequence length {T}{after} exceeds max_len={self.max_len}")
        if self.positional == "learned":
            positions = self.position_embedding.weight[start : start + T]  # (T, D)
        else:
            positions = self.position_table[start : start + T]  # (T, D), an array: no gradient
        x = self.dropout(self.token_embedding(ids) + positions)  # (B, T, D)
        for index, block in enumerate(self.blocks):
            x = block(x, key_padding_mask, cache=None if cache is None else cache[index])  # (B, T, D)
        if self.final_norm is not None:
            x = self.final_norm(x)
        return x  # (B, T, D)

    def logits(self, hidden):  # hidden (..., D)
        """Scores over the vocabulary: h Eᵀ with tied weights (E the token embedding), else the output layer."""
        if self.tie_weights:
            return hidden @ self.token_embedding.weight.transpose()  # (..., V): score = h · E[item]
        return self.output(hidden)  # (..., V)
