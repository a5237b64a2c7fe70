"""Self-attention with learned projections, then with several heads.

Step 1 of the course is `functional.seed_attention(X)`: softmax(X Xᵀ/√d) X, where every token plays
query, key and value at once. Step 2 (`SelfAttention`) lets the model learn three different views of
a token: what it looks for (query), what it offers to be found by (key) and what it passes on (value).
Step 3 (`MultiHeadAttention`) runs several such attentions side by side on slices of the model width and
mixes their outputs with one more projection.
"""

from minishop.nn import functional as F
from minishop.nn.layers import Linear
from minishop.nn.module import Module


class SelfAttention(Module):
    """One attention head with learned projections: softmax(Q Kᵀ/√d) V, with Q = xW_q, K = xW_k, V = xW_v."""

    def __init__(self, d_model, d_head=None, causal=False):
        super().__init__()
        d_head = d_model if d_head is None else d_head
        self.causal = causal
        self.query = Linear(d_model, d_head, bias=False)
        self.key = Linear(d_model, d_head, bias=False)
        self.value = Linear(d_model, d_head, bias=False)

    def forward(self, x, key_padding_mask=None):  # x (B, T, D)
        q, k, v = self.query(x), self.key(x), self.value(x)  # (B, T, d_head) each
        out, _ = F.scaled_dot_product_attention(q, k, v, causal=self.causal, key_padding_mask=key_padding_mask)
        return out  # (B, T, d_head)


class MultiHeadAttention(Module):
    """n_heads attentions over slices of width d_model/n_heads, concatenated and projected by out_proj.

    forward(x, key_padding_mask=None, need_weights=False):
      x (B, T, D); key_padding_mask bool (B, T), True at padding (PyTorch's convention).
      Returns the output (B, T, D), or (output, weights (B, H, T, T)) when need_weights is True.
    """

    def __init__(self, d_model, n_heads, causal=False, dropout=0.0):
        super().__init__()
        if d_model % n_heads != 0:
            raise ValueError(f"MultiHeadAttention: d_model={d_model} is not divisible by n_heads={n_heads}")
        self.d_model, self.n_heads, self.d_head = d_model, n_heads, d_model // n_heads
        self.causal, self.dropout = causal, dropout
        self.q_proj = Linear(d_model, d_model)
        self.k_proj = Linear(d_model, d_model)
        self.v_proj = Linear(d_model, d_model)
        self.out_proj = Linear(d_model, d_model)

    def _split_heads(self, x):  # (B, T, D) -> (B, H, T, d_head)
        if self.n_heads == 1:
            return x  # one head needs no split: (B, T, D) already is (B, T, d_head); saves two copies
        B, T, _ = x.shape
        return x.reshape(B, T, self.n_heads, self.d_head).transpose(0, 2, 1, 3)

    def _merge_heads(self, x):  # (B, H, T, d_head) -> (B, T, D)
        if self.n_heads == 1:
            return x
        B, _, T, _ = x.shape
        return x.transpose(0, 2, 1, 3).reshape(B, T, self.d_model)

    def forward(self, x, key_padding_mask=None, need_weights=False):  # x (B, T, D)
        q = self._split_heads(self.q_proj(x))  # (B, H, T, d_head)
        k = self._split_heads(self.k_proj(x))  # (B, H, T, d_head)
        v = self._split_heads(self.v_proj(x))  # (B, H, T, d_head)
        out, weights = F.scaled_dot_product_attention(
            q, k, v, causal=self.causal, key_padding_mask=key_padding_mask,
            dropout=self.dropout, training=self.training,
        )  # out (B, H, T, d_head), weights (B, H, T, T)
        out = self.out_proj(self._merge_heads(out))  # (B, T, D)
        if not need_weights:
            return out
        if self.n_heads == 1:
            B, T, _ = weights.shape
            weights = weights.reshape(B, 1, T, T)  # give the weights their head axis back
        return out, weights
