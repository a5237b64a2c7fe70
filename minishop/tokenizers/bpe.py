"""BPETokenizer: a byte-level BPE tokenizer with special tokens, saved as readable JSON.

Token ids: 0..255 are the raw bytes, so any text can be encoded and no byte is ever unknown. Merges mint
256, 257, ... in the order they were learned (their *rank*). Special tokens ("<pad>", "<eos>", ...) come
last, after the merges. Encoding a chunk applies merges by rank: the lowest-rank pair present goes first,
exactly as in training, so a text is tokenised the way the training corpus was.

    tok = BPETokenizer.train(texts, vocab_size=4000)
    ids = tok.encode("Great controller!<eos>")
    assert tok.decode(ids) == "Great controller!<eos>"
"""

import json
import os

from minishop.tokenizers import huggingface
from minishop.tokenizers.base import merge, render_token
from minishop.tokenizers.pretokenize import (
    DEFAULT_SPECIAL_TOKENS,
    SPLIT_PATTERN,
    pretokenize,
    special_splitter,
    split_on_specials,
)
from minishop.tokenizers.training import train_merges

FORMAT_VERSION = 1
_CACHE_LIMIT = 200_000  # distinct chunks remembered by encode() before the cache is emptied


class BPETokenizer:
    """A byte-level BPE tokenizer. Build one with `BPETokenizer.train(...)` or `BPETokenizer.load(path)`."""

    def __init__(self, merges, special_tokens=DEFAULT_SPECIAL_TOKENS, merge_counts=None):
        """`merges`: list of pairs (a, b), merge i minting id 256 + i. `special_tokens`: strings, given ids
        after the merges. `merge_counts`: how often each pair occurred in training (for inspection)."""
        self.merges = [tuple(pair) for pair in merges]
        self.merge_counts = list(merge_counts) if merge_counts is not None else None
        self.ranks = {pair: 256 + rank for rank, pair in enumerate(self.merges)}  # pair -> id it merges into
        if len(self.ranks) != len(self.merges):
            raise ValueError(f"BPETokenizer(merges=...): {len(self.merges) - len(self.ranks)} pairs appear twice")
        self.vocab = {i: bytes([i]) for i in range(256)}  # id -> bytes
        for pair, new_id in self.ranks.items():
            self.vocab[new_id] = self.vocab[pair[0]] + self.vocab[pair[1]]
        if len(set(special_tokens)) != len(special_tokens) or not all(special_tokens):
            raise ValueError(f"special_tokens={special_tokens!r}: expected distinct non-empty strings")
        first = 256 + len(self.merges)
        self.special_tokens = {s: first + i for i, s in enumerate(special_tokens)}  # "<eos>" -> id
        self.special_ids = {i: s for s, i in self.special_tokens.items()}
        self._special_splitter = special_splitter(self.special_tokens)
        self._cache = {}  # chunk string -> its ids

    @property
    def vocab_size(self):
        """Number of ids: 256 bytes + merges + special tokens."""
        return 256 + len(self.merges) + len(self.special_tokens)

    # ---------------------------------------------------------------- training

    @classmethod
    def train(cls, texts, vocab_size, special_tokens=DEFAULT_SPECIAL_TOKENS, progress=False):
        """Learn `vocab_size - 256 - len(special_tokens)` merges from an iterable of strings.

        Special tokens found in the texts are cut out first and never take part in a merge. Duplicate
        chunks are counted once with their frequency (see `training.py` for why this and the incremental
        update make training fast). Ties are broken by bytes, so the corpus order never changes the result.
        Training stops early when no pair is left to merge (small or repetitive corpora): read the real size
        from `tok.vocab_size`, which may be below `vocab_size`.
        """
        special_tokens = tuple(special_tokens)
        n_merges = vocab_size - 256 - len(special_tokens)
        if n_merges < 0:
            raise ValueError(
                f"train(vocab_size={vocab_size}): expected at least 256 bytes + {len(special_tokens)} "
                f"special tokens = {256 + len(special_tokens)}"
            )
        splitter = special_splitter(special_tokens)
        chunk_counts = {}
        for text in texts:
            for piece in split_on_specials(text, splitter)[::2]:  # even positions: text between specials
                for chunk in pretokenize(piece):
                    key = chunk.encode("utf-8")
                    chunk_counts[key] = chunk_counts.get(key, 0) + 1
        learned = train_merges(chunk_counts, n_merges, progress=progress)
        return cls([pair for pair, _ in learned], special_tokens, [count for _, count in learned])

    # ---------------------------------------------------------------- encoding

    def encode(self, text, allowed_special="all", disallowed_special="raise"):
        """Turn a string into a list of token ids.

        allowed_special: "all", "none", or a set of special-token strings that may appear in `text` and are
        then encoded as one id each. disallowed_special: what to do when `text` contains a special token that
        is not allowed: "raise" (ValueError naming it) or "text" (encode it as ordinary characters).
        """
        allowed = self._allowed(allowed_special)
        if disallowed_special not in ("raise", "text"):
            raise ValueError(f"encode(disallowed_special={disallowed_special!r}): expected 'raise' or 'text'")
        ids = []
        pieces = split_on_specials(text, self._special_splitter)
        for position, piece in enumerate(pieces):
            if position % 2 == 1 and piece in allowed:
                ids.append(self.special_tokens[piece])
                continue
            if position % 2 == 1 and disallowed_special == "raise":
                raise ValueError(
                    f"encode(): the text contains the special token {piece!r}, which is not allowed "
                    f"(allowed_special={allowed_special!r}); pass allowed_special='all' to encode it as one "
                    "token, or disallowed_special='text' to encode it as ordinary text"
                )
            ids.extend(self._encode_ordinary(piece))
        return ids

    def encode_batch(self, texts, allowed_special="all", disallowed_special="raise"):
        """encode() each string of `texts`; returns a list of lists of ids."""
        return [self.encode(t, allowed_special, disallowed_special) for t in texts]

    def _allowed(self, allowed_special):
        if allowed_special == "all":
            return set(self.special_tokens)
        if allowed_special == "none":
            return set()
        allowed = set(allowed_special)
        unknown = allowed - set(self.special_tokens)
        if unknown:
            raise ValueError(
                f"encode(allowed_special=...): {sorted(unknown)} are not special tokens of this tokenizer "
                f"(it has {list(self.special_tokens)})"
            )
        return allowed

    def _encode_ordinary(self, text):
        """Encode text with no special tokens: pre-tokenise, then encode each chunk (cached)."""
        cache = self._cache
        if len(cache) > _CACHE_LIMIT:
            cache.clear()
        ids = []
        for chunk in pretokenize(text):
            chunk_ids = cache.get(chunk)
            if chunk_ids is None:
                chunk_ids = cache[chunk] = self._encode_chunk(_utf8(chunk))
            ids.extend(chunk_ids)
        return ids

    def _encode_chunk(self, chunk_bytes):
        """Apply merges to one chunk's bytes in rank order: always merge the present pair learned first."""
        ids = list(chunk_bytes)
        ranks = self.ranks
        while len(ids) >= 2:
            pair = min(zip(ids, ids[1:]), key=lambda p: ranks.get(p, float("inf")))
            if pair not in ranks:
                break  # no learned merge applies any more
            ids = merge(ids, pair, ranks[pair])
        return ids

    def decode(self, ids):
        """Turn ids back into a string. Byte sequences that are not valid UTF-8 (possible when decoding an
        arbitrary slice of ids) become U+FFFD; decode(encode(s)) == s always holds."""
        return self.decode_bytes(ids).decode("utf-8", errors="replace")

    def decode_bytes(self, ids):
        """The raw bytes of `ids` (special tokens as their UTF-8 text)."""
        parts = []
        for i in ids:
            if i in self.vocab:
                parts.append(self.vocab[i])
            elif i in self.special_ids:
                parts.append(self.special_ids[i].encode("utf-8"))
            else:
                raise ValueError(f"decode(): id {i!r} is not in the vocabulary (expected 0..{self.vocab_size - 1})")
        return b"".join(parts)

    # ---------------------------------------------------------------- inspection (for lessons)

    def token_bytes(self, token_id):
        """The bytes of one token id."""
        return self.decode_bytes([token_id])

    def tokens_with_spans(self, text, allowed_special="all"):
        """[(id, token bytes, (start, end))]: each token of `text` with its byte span in text.encode("utf-8")."""
        result, start = [], 0
        for token_id in self.encode(text, allowed_special):
            piece = self.token_bytes(token_id)
            result.append((token_id, piece, (start, start + len(piece))))
            start += len(piece)
        return result

    def most_frequent_merges(self, k=10):
        """The `k` merges with the highest training counts: [(new id, (a, b), merged bytes, count)]."""
        if self.merge_counts is None:
            raise ValueError("most_frequent_merges(): this tokenizer has no merge counts (built without training)")
        order = sorted(range(len(self.merges)), key=lambda r: (-self.merge_counts[r], r))[:k]
        return [(256 + r, self.merges[r], self.vocab[256 + r], self.merge_counts[r]) for r in order]

    def compression_ratio(self, texts):
        """Bytes per token over `texts` (higher = shorter sequences). Raw bytes would give 1.0."""
        n_bytes = sum(len(_utf8(t)) for t in texts)
        n_tokens = sum(len(ids) for ids in self.encode_batch(texts))
        return n_bytes / max(n_tokens, 1)

    # ---------------------------------------------------------------- save / load

    def save(self, path, vocab_file=True, format="minishop"):
        """Write the tokenizer as JSON to `path` (merges, their counts, special tokens, version). With
        vocab_file, also write `<path>.vocab.txt`: one line per id with its bytes, for reading only.
        format="hf": HuggingFace `tokenizers` JSON instead (minishop/tokenizers/huggingface.py)."""
        if format not in ("minishop", "hf"):
            raise ValueError(f"BPETokenizer.save(format={format!r}): expected 'minishop' or 'hf'")
        model = huggingface.to_hf(self) if format == "hf" else {
            "format": "minishop.BPETokenizer",
            "version": FORMAT_VERSION,
            "pattern": SPLIT_PATTERN,
            "merges": [list(pair) for pair in self.merges],
            "merge_counts": self.merge_counts,
            "special_tokens": self.special_tokens,
        }
        with open(path, "w", encoding="utf-8") as f:
            json.dump(model, f, indent=1, ensure_ascii=False)
        if vocab_file:
            with open(os.fspath(path) + ".vocab.txt", "w", encoding="utf-8") as f:
                for token_id, piece in self.vocab.items():
                    f.write(f"{token_id}\t[{render_token(piece)}]{self._merge_note(token_id)}\n")
                for s, token_id in self.special_tokens.items():
                    f.write(f"{token_id}\t{s}  (special)\n")

    def _merge_note(self, token_id):
        """"  <- [a][b]" for a merged token (what it was made of), "" for a raw byte."""
        if token_id < 256:
            return ""
        left, right = self.merges[token_id - 256]
        return f"  <- [{render_token(self.vocab[left])}][{render_token(self.vocab[right])}]"

    @classmethod
    def load(cls, path):
        """Read a tokenizer written by save() (either format); a wrong version or a damaged file raises
        ValueError naming it."""
        try:
            with open(path, encoding="utf-8") as f:
                model = json.load(f)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise ValueError(f"BPETokenizer.load({os.fspath(path)!r}): not a valid JSON file ({error})") from error
        if huggingface.is_hf(model):  # a HuggingFace `tokenizers` file written by save(format="hf")
            merges, specials = huggingface.from_hf(model, path)
            return cls(merges, specials)
        _check_model(model, path)
        specials = sorted(model["special_tokens"], key=model["special_tokens"].get)
        try:
            tok = cls(model["merges"], specials, model.get("merge_counts"))
        except ValueError as error:
            raise ValueError(f"BPETokenizer.load({os.fspath(path)!r}): {error}") from error
        if tok.special_tokens != model["special_tokens"]:
            raise ValueError(
                f"BPETokenizer.load({os.fspath(path)!r}): special token ids {model['special_tokens']} do not "
                f"follow the {len(tok.merges)} merges (expected {tok.special_tokens})"
            )
        return tok


def _utf8(text):
    """text.encode("utf-8") with a clear error for strings that have no UTF-8 form (lone surrogates)."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError(
            f"BPETokenizer: the text has no UTF-8 encoding at position {error.start} "
            f"({text[error.start:error.end]!r} is a lone surrogate); expected a valid Unicode string"
        ) from error


def _check_model(model, path):
    """Raise ValueError naming `path` unless `model` looks like a version-FORMAT_VERSION tokenizer file."""
    where = f"BPETokenizer.load({os.fspath(path)!r})"
    if not isinstance(model, dict) or model.get("format") != "minishop.BPETokenizer":
        raise ValueError(f"{where}: not a minishop BPETokenizer file (no \"format\": \"minishop.BPETokenizer\")")
    if model.get("version") != FORMAT_VERSION:
        raise ValueError(f"{where}: file version {model.get('version')!r}, but this minishop reads version {FORMAT_VERSION}")
    if model.get("pattern") != SPLIT_PATTERN:
        raise ValueError(f"{where}: the file's pre-tokenisation pattern differs from this minishop's SPLIT_PATTERN")
    merges = model.get("merges")
    if not isinstance(merges, list):
        raise ValueError(f"{where}: \"merges\" must be a list of [a, b] pairs")
    for rank, pair in enumerate(merges):
        ok = isinstance(pair, list) and len(pair) == 2 and all(isinstance(i, int) and 0 <= i < 256 + rank for i in pair)
        if not ok:
            raise ValueError(f"{where}: merge {rank} is {pair!r}; expected [a, b] with ids below {256 + rank}")
    counts = model.get("merge_counts")
    if counts is not None and (not isinstance(counts, list) or len(counts) != len(merges)):
        raise ValueError(f"{where}: \"merge_counts\" must be null or a list of {len(merges)} ints")
    specials = model.get("special_tokens")
    if not isinstance(specials, dict) or not all(isinstance(i, int) for i in specials.values()):
        raise ValueError(f"{where}: \"special_tokens\" must map strings to ids")
