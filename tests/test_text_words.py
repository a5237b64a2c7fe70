"""WordVocab: the word-level tokenizer of the review classifier, worked by hand on a tiny corpus."""

import pytest

from minishop.text.bow import words
from minishop.tokenizers.words import WordVocab, split_words

TEXTS = ["Great lamp, GREAT price!", "Don't buy: the lamp broke.", "great"]


def test_split_words_lowercases_keeps_contractions_and_drops_punctuation():
    assert split_words("Don't buy it!! The LAMP... broke") == ["don't", "buy", "it", "the", "lamp", "broke"]
    for text in TEXTS + ["a_b 12 o'clock <eos>"]:
        assert split_words(text) == words(text)  # the same units as the bag-of-words baseline


def test_train_orders_by_count_then_alphabet_and_applies_min_count():
    vocab = WordVocab.train(TEXTS)
    # great 3, lamp 2, then the words seen once in alphabetical order
    assert vocab.words == ["great", "lamp", "broke", "buy", "don't", "price", "the"]
    specials = len(vocab.special_tokens)
    assert vocab.special_tokens["<pad>"] == 0 and vocab.ids["great"] == specials
    assert vocab.vocab_size == specials + 7
    assert WordVocab.train(TEXTS, min_count=2).words == ["great", "lamp"]
    assert WordVocab.train(TEXTS, max_words=3).words == ["great", "lamp", "broke"]


def test_encode_maps_unseen_words_to_unk_and_reads_special_strings_as_words():
    vocab = WordVocab.train(TEXTS, min_count=2)
    unk = vocab.special_tokens["<unk>"]
    assert vocab.encode("The GREAT lamp!") == [unk, vocab.ids["great"], vocab.ids["lamp"]]
    assert vocab.encode("<eos>") == [unk]  # the word "eos", not the <eos> token
    assert vocab.decode(vocab.encode("lamp, great; kettle")) == "lamp great <unk>"


def test_save_and_load_round_trip(tmp_path):
    vocab = WordVocab.train(TEXTS + ["Ünïcode wörds"])
    path = tmp_path / "tokenizer.json"
    vocab.save(path)
    loaded = WordVocab.load(path)
    assert loaded.words == vocab.words and loaded.special_tokens == vocab.special_tokens
    assert loaded.encode("wörds great") == vocab.encode("wörds great")


def test_bad_vocabularies_are_refused(tmp_path):
    with pytest.raises(ValueError, match="<unk>"):
        WordVocab(["a"], special_tokens=("<pad>",))
    with pytest.raises(ValueError, match="distinct"):
        WordVocab(["a", "a"])
    other = tmp_path / "bpe.json"
    other.write_text('{"format": "minishop-bpe"}', encoding="utf-8")
    with pytest.raises(ValueError, match="not a WordVocab"):
        WordVocab.load(other)
