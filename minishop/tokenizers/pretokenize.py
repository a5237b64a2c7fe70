"""Pre-tokenisation: cut text into chunks before BPE ever sees it, and keep special tokens whole.

BPE merges never cross a chunk boundary, so "dog." and "dog!" share the token for "dog" instead of
learning "dog." and "dog!" separately. We use the GPT-4 (cl100k) split pattern: contractions,
words with at most one leading non-letter (usually a space), numbers of 1-3 digits, runs of
punctuation, and whitespace runs. Every character of the text falls in exactly one chunk, so
joining the chunks gives the text back.

Special tokens such as "<eos>" are cut out *before* the pattern runs, so they are never split.
"""

import regex

# The GPT-4 split pattern (as in tiktoken's cl100k_base and karpathy/minbpe).
SPLIT_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+"""
)

# The special tokens every minishop BPE tokenizer has; users may add their own.
DEFAULT_SPECIAL_TOKENS = ("<pad>", "<bos>", "<eos>", "<unk>", "<mask>", "<sep>")

_compiled = regex.compile(SPLIT_PATTERN)


def pretokenize(text):
    """Split plain text (no special tokens in it) into chunks: "Hi there!" -> ["Hi", " there", "!"]."""
    return _compiled.findall(text)


def special_splitter(specials):
    """A compiled regex that finds any of the `specials` strings (longest first), or None if there are none.

    Longest first matters: with "<s>" and "<s>x" both special, "<s>x" must win.
    """
    if not specials:
        return None
    alternatives = sorted(specials, key=lambda s: (-len(s), s))
    return regex.compile("(" + "|".join(regex.escape(s) for s in alternatives) + ")")


def split_on_specials(text, splitter):
    """Cut `text` around special tokens: "a<eos>b" -> ["a", "<eos>", "b"] (odd positions are the specials).

    With splitter None the text comes back whole, as [text].
    """
    if splitter is None:
        return [text]
    return splitter.split(text)
