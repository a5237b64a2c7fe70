"""WordPairVocab: whole words plus the pairs of neighbouring words, for the bag-of-embeddings classifier.

A bag of words forgets order: "not good" and "good, not bad" share their words. Adding each pair of
neighbouring words as a token of its own (fastText's bigrams, Joulin et al. 2017) puts a little order back
at no cost in the model: "not good" becomes one more token with an embedding of its own.

    tokens(text) = words(text) + ["w1 w2", "w2 w3", ...]     (the pairs kept in the vocabulary only)
    vocabulary   = the words seen at least min_count times, most frequent first (as WordVocab),
                   then the pairs seen at least min_pair_count times, most frequent first

A pair seen once in the training texts would only name that one example, so pairs need two sightings by
default. The pairs come after all the words, so a model that reads positions would see them at the end: this
tokenizer is meant for a model that ignores order (n_blocks=0, a mean over the token embeddings).

    vocab = WordPairVocab.train(texts)
    vocab.encode("not good at all") -> ids of not, good, at, all, then of "not good", "good at", ... if kept
"""

from collections import Counter

from minishop.tokenizers.pretokenize import DEFAULT_SPECIAL_TOKENS
from minishop.tokenizers.words import WordVocab, split_words

FORMAT = "minishop-word-pairs"


def word_pairs(words):
    """["a", "b", "c"] -> ["a b", "b c"]: each word joined to the next by one space."""
    return [f"{a} {b}" for a, b in zip(words, words[1:])]


class WordPairVocab(WordVocab):
    """Word and word-pair <-> id; words first, then pairs (a pair holds a space, a word never does). Saved
    and loaded as WordVocab's JSON, under its own format name."""

    FORMAT = FORMAT

    @classmethod
    def train(cls, texts, min_count=1, min_pair_count=2, special_tokens=DEFAULT_SPECIAL_TOKENS):
        """The words seen at least min_count times, then the pairs seen at least min_pair_count times, in
        the training `texts`; each most frequent first, ties alphabetical."""
        word_counts, pair_counts = Counter(), Counter()
        for text in texts:
            words = split_words(text)
            word_counts.update(words)
            pair_counts.update(word_pairs(words))
        by_count = lambda counts, least: sorted((t for t, c in counts.items() if c >= least),  # noqa: E731
                                                key=lambda t: (-counts[t], t))
        return cls(by_count(word_counts, min_count) + by_count(pair_counts, min_pair_count), special_tokens)

    def encode(self, text, allowed_special="none", disallowed_special="text"):
        """Ids of the words (<unk> for an unknown word), then ids of the known pairs (an unknown pair is left
        out: its two words are already there)."""
        unk = self.special_tokens["<unk>"]
        words = split_words(text)
        return [self.ids.get(word, unk) for word in words] + [self.ids[p] for p in word_pairs(words) if p in self.ids]

