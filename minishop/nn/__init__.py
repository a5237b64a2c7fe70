"""minishop.nn: layers built on the autograd engine.

Read in this order: module.py (Module, Parameter), layers.py (Linear, Embedding, LayerNorm, Dropout,
FeedForward), functional.py (seed_attention, scaled_dot_product_attention), attention.py (SelfAttention,
MultiHeadAttention), transformer.py (TransformerBlock, Transformer).
"""

from minishop.nn import functional
from minishop.nn.attention import MultiHeadAttention, SelfAttention
from minishop.nn.layers import Dropout, Embedding, FeedForward, LayerNorm, Linear
from minishop.nn.module import Module, Parameter
from minishop.nn.transformer import Transformer, TransformerBlock, sinusoidal_positions

__all__ = [
    "Module", "Parameter", "Linear", "Embedding", "LayerNorm", "Dropout", "FeedForward",
    "SelfAttention", "MultiHeadAttention", "TransformerBlock", "Transformer", "sinusoidal_positions",
    "functional",
]
