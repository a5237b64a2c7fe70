"""minishop.nn: layers built on the autograd engine.

Read in this order: module.py (Module, Parameter), layers.py (Linear, Embedding, LayerNorm, Dropout,
FeedForward), attention.py (seed_attention -> SelfAttention -> MultiHeadAttention, with the masks, then
the KVCache that generation hands to them), transformer.py (TransformerBlock, Transformer). The ops they
use are minishop.functional.
"""

from minishop.nn import attention
from minishop.nn.attention import KVCache, MultiHeadAttention, SelfAttention
from minishop.nn.layers import Dropout, Embedding, FeedForward, LayerNorm, Linear
from minishop.nn.module import Module, Parameter
from minishop.nn.transformer import Transformer, TransformerBlock, sinusoidal_positions

__all__ = [
    "Module", "Parameter", "Linear", "Embedding", "LayerNorm", "Dropout", "FeedForward",
    "SelfAttention", "MultiHeadAttention", "KVCache", "TransformerBlock", "Transformer", "sinusoidal_positions",
    "attention",
]
