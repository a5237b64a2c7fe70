"""The basic layers: Linear, Embedding, LayerNorm, Dropout and the transformer's FeedForward.

Each layer owns its Parameters and calls one function of minishop.functional in forward(),
where the derivative of that function is written next to its forward code.
"""

import math

from minishop import backend
import minishop.functional as F
from minishop.nn.module import Module, Parameter


def _uniform(shape, bound):
    """An array of the default dtype, uniform in [-bound, bound), from minishop's seeded generator."""
    xp, dtype = backend.xp(), backend.default_dtype()
    return (backend.rng().random(shape, dtype=dtype) * 2 - 1) * xp.asarray(bound, dtype=dtype)


def _normal(shape, std):
    """An array of the default dtype, normal with mean 0 and standard deviation `std`."""
    xp, dtype = backend.xp(), backend.default_dtype()
    return backend.rng().standard_normal(shape, dtype=dtype) * xp.asarray(std, dtype=dtype)


class Linear(Module):
    """y = x @ W + b, with W stored as (in_features, out_features) so the formula reads as it runs.

    Initialised like PyTorch: W and b uniform in ±1/√in_features, which keeps the output's variance
    close to the input's.
    """

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        bound = 1.0 / math.sqrt(in_features)
        self.weight = Parameter(_uniform((in_features, out_features), bound))  # (in, out)
        self.bias = Parameter(_uniform((out_features,), bound)) if bias else None  # (out,)

    def forward(self, x):  # x (..., in)
        return F.linear(x, self.weight, self.bias)  # (..., out) x @ W + b

    def __repr__(self):
        return f"Linear({self.in_features}, {self.out_features}, bias={self.bias is not None})"


class Embedding(Module):
    """A lookup table: row i of `weight` (num_embeddings, dim) is the vector of id i.

    Its gradient adds up the output gradients of every position holding id i (repeated ids included).
    Initialised normal with standard deviation 0.02 (as in GPT-2), small enough for tied output scores.
    sparse=True: the weight's gradient is a RowGradient (only the rows looked up, minishop/row_gradient.py)
    instead of a dense (V, D) array, as PyTorch's Embedding(sparse=True); the optimizers then update
    only those rows. Worth it for a big table of which a step touches few rows.
    """

    def __init__(self, num_embeddings, dim, std=0.02, sparse=False):
        super().__init__()
        self.num_embeddings, self.dim, self.sparse = num_embeddings, dim, sparse
        self.weight = Parameter(_normal((num_embeddings, dim), std))  # (V, D)

    def forward(self, ids):  # ids: integer array (...)
        return F.embedding(self.weight, ids, sparse=self.sparse)  # (..., D)

    def __repr__(self):
        return f"Embedding({self.num_embeddings}, {self.dim}{', sparse=True' if self.sparse else ''})"


class LayerNorm(Module):
    """y = (x - mean) / sqrt(var + eps) * weight + bias, over the last axis (Ba, Kiros & Hinton 2016)."""

    def __init__(self, dim, eps=1e-5):
        super().__init__()
        self.dim, self.eps = dim, eps
        xp, dtype = backend.xp(), backend.default_dtype()
        self.weight = Parameter(xp.ones(dim, dtype=dtype))  # (D,)
        self.bias = Parameter(xp.zeros(dim, dtype=dtype))  # (D,)

    def forward(self, x):  # x (..., D)
        return F.layer_norm(x, self.weight, self.bias, eps=self.eps)

    def __repr__(self):
        return f"LayerNorm({self.dim}, eps={self.eps})"


class Dropout(Module):
    """Zero each element with probability p during training and scale the rest by 1/(1-p).

    In eval mode (model.eval()) it is the identity, so the expected activation is the same in both modes.
    """

    def __init__(self, p=0.0):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout(p={p!r}): expected a probability in [0, 1)")
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        return F.dropout(x, self.p, training=True)

    def __repr__(self):
        return f"Dropout(p={self.p})"


class FeedForward(Module):
    """The transformer's position-wise MLP: fc2(dropout(gelu(fc1(x)))), widening D -> d_ff -> D."""

    def __init__(self, d_model, d_ff, dropout=0.0):
        super().__init__()
        self.fc1 = Linear(d_model, d_ff)
        self.fc2 = Linear(d_ff, d_model)
        self.dropout = Dropout(dropout)

    def forward(self, x):  # x (..., D)
        hidden = F.gelu(self.fc1(x))  # (..., d_ff)
        return self.fc2(self.dropout(hidden))  # (..., D)
