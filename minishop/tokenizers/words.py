"""WordVocab: whole lower-cased words as tokens, for classifiers trained on a few hundred sentences.

BPE was trained to compress text, and with 1,000 ids learned from 700 sentences it cuts most words into
pieces: " disappointing" may be " disapp" + "oint" + "ing", and the model must first learn, from very
few examples, that those three pieces together mean something bad. A bag-of-words model sees the whole
word at once. A word vocabulary gives the transformer the same units:

    words(text) = the matches of  \\w+(?:'\\w+)?  in text.lower()     ("Don't buy!" -> ["don't", "buy"])
    vocabulary  = the words seen at least min_count times in the TRAINING texts, most frequent first
    encode      = one id per word; a word outside the vocabulary becomes <unk>

Punctuation and case are dropped (as in minishop.text.bow, which uses the same pattern). Built from
the training split only, so a test sentence's new words are <unk> exactly as they would be in use.
Special tokens take the first ids (<pad> is 0); a special-token string inside a text is read as words
("<eos>" -> "eos"), never as the special token.

    vocab = WordVocab.train(texts, min_count=1)
    vocab.encode("Great case!")   -> [id of "great", id of "case"]
"""

import json
import os
import re
from collections import Counter

from minishop.tokenizers.pretokenize import DEFAULT_SPECIAL_TOKENS

WORD = re.compile(r"\w+(?:'\w+)?")
FORMAT = "minishop-words"


def split_words(text):
    """Lower-cased words of `text`: "Don't buy it!" -> ["don't", "buy", "it"]."""
    return WORD.findall(text.lower())


class WordVocab:
    """Word <-> id, with special tokens first. Build one with `WordVocab.train(...)` or `WordVocab.load(path)`."""

    FORMAT = FORMAT  # the "format" field of the saved JSON (a subclass names its own)

    def __init__(self, words, special_tokens=DEFAULT_SPECIAL_TOKENS):
        """`words`: the vocabulary in id order (after the specials); `special_tokens`: strings, ids 0, 1, ..."""
        special_tokens, words = tuple(special_tokens), list(words)
        if "<unk>" not in special_tokens:
            raise ValueError(f"WordVocab(special_tokens={special_tokens!r}): '<unk>' is needed for unseen words")
        if len(set(words)) != len(words) or set(words) & set(special_tokens):
            raise ValueError("WordVocab(words=...): expected distinct words that are not special tokens")
        self.special_tokens = {s: i for i, s in enumerate(special_tokens)}  # "<pad>" -> 0
        self.words = words
        self.ids = {w: len(special_tokens) + i for i, w in enumerate(words)}  # "great" -> id
        self.tokens = list(special_tokens) + words  # id -> string

    @property
    def vocab_size(self):
        """Number of ids: special tokens + words."""
        return len(self.tokens)

    @classmethod
    def train(cls, texts, min_count=1, max_words=None, special_tokens=DEFAULT_SPECIAL_TOKENS):
        """The words of `texts` seen at least `min_count` times, most frequent first (ties alphabetical),
        at most `max_words` of them."""
        counts = Counter(word for text in texts for word in split_words(text))
        kept = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
        return cls(kept[:max_words], special_tokens)

    def encode(self, text, allowed_special="none", disallowed_special="text"):
        """Ids of the words of `text`, <unk> for a word outside the vocabulary. The two options exist so
        that the call looks like BPETokenizer.encode's; special-token strings are always read as words."""
        unk = self.special_tokens["<unk>"]
        return [self.ids.get(word, unk) for word in split_words(text)]

    def decode(self, ids):
        """The tokens of `ids` joined by spaces (case and punctuation are gone)."""
        return " ".join(self.tokens[i] for i in ids)

    def save(self, path):
        """Write the vocabulary as readable JSON."""
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w", encoding="utf-8") as file:
            json.dump({"format": self.FORMAT, "special_tokens": list(self.special_tokens), "words": self.words}, file,
                      indent=1, ensure_ascii=False)

    @classmethod
    def load(cls, path):
        """Read a file written by save()."""
        with open(path, encoding="utf-8") as file:
            model = json.load(file)
        if model.get("format") != cls.FORMAT:
            raise ValueError(f"{path}: not a {cls.__name__} file (format {model.get('format')!r}, expected "
                             f"{cls.FORMAT!r})")
        return cls(model["words"], model["special_tokens"])
