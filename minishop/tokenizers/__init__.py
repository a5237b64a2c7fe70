"""Tokenizers: a byte-level BPE for product text, an item vocabulary for shopping histories, and a word
vocabulary for classifiers trained on small files.

Read in this order: pretokenize.py (cut text into chunks), base.py (count pairs, merge a pair),
naive_bpe.py (the obvious trainer), training.py (the fast one), bpe.py (the tokenizer), huggingface.py (the
same tokenizer in HuggingFace `tokenizers` JSON), items.py, words.py.
"""

from minishop.tokenizers.bpe import BPETokenizer
from minishop.tokenizers.items import ItemVocab
from minishop.tokenizers.naive_bpe import train_naive
from minishop.tokenizers.pretokenize import DEFAULT_SPECIAL_TOKENS, SPLIT_PATTERN, pretokenize
from minishop.tokenizers.training import train_merges
from minishop.tokenizers.words import WordVocab

__all__ = [
    "BPETokenizer",
    "ItemVocab",
    "DEFAULT_SPECIAL_TOKENS",
    "SPLIT_PATTERN",
    "pretokenize",
    "train_merges",
    "train_naive",
    "WordVocab",
]
