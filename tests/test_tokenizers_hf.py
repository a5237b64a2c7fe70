"""The BPE tokenizer in HuggingFace `tokenizers` JSON: their library encodes fuzzed text to the very same ids,
decodes them to the same text, and the file loads back into minishop unchanged."""

import json
import random

import pytest

from minishop.tokenizers import BPETokenizer
from minishop.tokenizers.huggingface import bytes_to_unicode

CORPUS = ["The kettle's lid broke after 2 days!!", "category: home > heaters | brand: Ember | 1500W",
          "Great value   for money.\nWould buy again :)", "naïve café — 日本語のレビュー 🙂🙂", "it's 12345 or 6,789"] * 20


def fuzzed_texts(n, seed=0):
    """Random strings over ASCII, whitespace runs, accents, CJK, emoji, digits, contractions, specials."""
    rng = random.Random(seed)
    pieces = list("abcxyzABC019 .,;!?'-\n\t") + ["  ", "\r\n", "é", "ß", "日本", "🙂", "'s", "'LL", "<eos>",
                                                  "<pad>", "Ġ", "\u00a0", "\u200b", "123456"]
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 60))) for _ in range(n)]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tokenizer = BPETokenizer.train(CORPUS, 256 + 120 + 6)
    path = tmp_path_factory.mktemp("hf") / "tokenizer.json"
    tokenizer.save(path, format="hf", vocab_file=False)
    return tokenizer, path


def test_the_byte_table_is_gpt2s():
    table = bytes_to_unicode()
    assert table[ord("a")] == "a" and table[ord(" ")] == "Ġ" and table[ord("\n")] == "Ċ"
    assert len(set(table.values())) == 256


def test_huggingface_encodes_fuzzed_text_to_the_same_ids(trained):
    tokenizers = pytest.importorskip("tokenizers")
    tokenizer, path = trained
    theirs = tokenizers.Tokenizer.from_file(str(path))
    for text in CORPUS[:5] + fuzzed_texts(3000):
        ids = tokenizer.encode(text)
        assert theirs.encode(text).ids == ids, text
        assert theirs.decode(ids, skip_special_tokens=False) == tokenizer.decode(ids), text


def test_the_file_has_huggingfaces_format_and_loads_back(trained):
    tokenizer, path = trained
    document = json.load(open(path, encoding="utf-8"))
    assert document["model"]["type"] == "BPE" and len(document["model"]["merges"]) == len(tokenizer.merges)
    assert [token["content"] for token in document["added_tokens"]] == list(tokenizer.special_tokens)
    again = BPETokenizer.load(path)
    assert again.merges == tokenizer.merges and again.special_tokens == tokenizer.special_tokens
    for text in fuzzed_texts(200, seed=1):
        assert again.encode(text) == tokenizer.encode(text)


def test_a_foreign_layout_is_refused_with_a_reason(trained, tmp_path):
    _, path = trained
    document = json.load(open(path, encoding="utf-8"))
    vocab = document["model"]["vocab"]
    vocab["a"], vocab["b"] = vocab["b"], vocab["a"]  # byte ids numbered otherwise, as in GPT-2's own file
    foreign = tmp_path / "foreign.json"
    foreign.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ValueError, match="byte b must be id b"):
        BPETokenizer.load(foreign)
