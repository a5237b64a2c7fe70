"""A BPETokenizer in HuggingFace `tokenizers` JSON, and back.

    tokenizer.save("tokenizer.json", format="hf")
    tokenizers.Tokenizer.from_file("tokenizer.json").encode(text).ids == tokenizer.encode(text)
    BPETokenizer.load("tokenizer.json")           # reads either format

The same tokenizer, described in HuggingFace's terms:

    pre_tokenizer  Split on our SPLIT_PATTERN (each match its own chunk), then ByteLevel: every byte of a chunk
                   becomes one printable character (GPT-2's table: "a" stays "a", a space becomes "Ġ")
    model          BPE: vocab {characters of a token: id}, merges in rank order as "left right"
    added_tokens   the special tokens, cut out of the text before anything else (allowed_special="all")
    decoder        ByteLevel: characters back to bytes

Ids are unchanged: byte b is id b, merge i mints id 256 + i, the specials follow. Reading a file back
needs exactly that layout (a file written here has it); any other BPE file is refused with a reason.
"""

import json
import os

from minishop.tokenizers.pretokenize import SPLIT_PATTERN


def bytes_to_unicode():
    """GPT-2's table: byte -> a printable character. Printable Latin-1 bytes map to themselves; the
    others (control characters, space, ...) to characters from 256 upward, in byte order."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(
        range(ord("®"), ord("ÿ") + 1))
    table, extra = {}, 0
    for byte in range(256):
        if byte in printable:
            table[byte] = chr(byte)
        else:
            table[byte] = chr(256 + extra)
            extra += 1
    return table


def _text(token_bytes, table):
    return "".join(table[byte] for byte in token_bytes)


def to_hf(tokenizer):
    """The HuggingFace `tokenizers` JSON document (a dict) of a BPETokenizer."""
    table = bytes_to_unicode()
    vocab = {_text(tokenizer.vocab[token_id], table): token_id for token_id in range(256 + len(tokenizer.merges))}
    if len(vocab) != 256 + len(tokenizer.merges):
        raise ValueError("BPETokenizer.save(format='hf'): two merges make the same bytes; HuggingFace's vocabulary "
                         "maps each string to one id, so this tokenizer cannot be written in its format")
    merges = [f"{_text(tokenizer.vocab[a], table)} {_text(tokenizer.vocab[b], table)}" for a, b in tokenizer.merges]
    added = [{"id": token_id, "content": text, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for text, token_id in tokenizer.special_tokens.items()]
    return {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added, "normalizer": None,
        "pre_tokenizer": to_hf_pre_tokenizer(), "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": merges},
    }


def is_hf(document):
    """Whether a loaded JSON document is a HuggingFace `tokenizers` file."""
    return isinstance(document, dict) and isinstance(document.get("model"), dict) and "pre_tokenizer" in document


def from_hf(document, path):
    """(merges as id pairs, special tokens in id order) of a HuggingFace file written by to_hf()."""
    where = f"BPETokenizer.load({os.fspath(path)!r})"
    model = document["model"]
    if model.get("type") != "BPE":
        raise ValueError(f"{where}: a HuggingFace {model.get('type')!r} model; expected a byte-level 'BPE'")
    if json.dumps(document.get("pre_tokenizer")) != json.dumps(to_hf_pre_tokenizer()):
        raise ValueError(f"{where}: its pre-tokenizer is not minishop's (Split on SPLIT_PATTERN, then ByteLevel)")
    table = bytes_to_unicode()
    vocab = model["vocab"]
    if any(vocab.get(table[byte]) != byte for byte in range(256)):
        raise ValueError(f"{where}: byte b must be id b (minishop's layout); this vocabulary numbers them otherwise")
    merges = []
    for rank, merge in enumerate(model["merges"]):
        left, right = merge.split(" ") if isinstance(merge, str) else merge
        if vocab.get(left + right) != 256 + rank or left not in vocab or right not in vocab:
            raise ValueError(f"{where}: merge {rank} ({left!r} + {right!r}) must mint id {256 + rank}")
        merges.append((vocab[left], vocab[right]))
    specials = sorted(document.get("added_tokens", []), key=lambda token: token["id"])
    return merges, [token["content"] for token in specials]


def to_hf_pre_tokenizer():
    """The pre_tokenizer part of to_hf()'s document."""
    return {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": SPLIT_PATTERN}, "behavior": "Isolated", "invert": False},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}]}
