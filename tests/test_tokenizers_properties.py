"""Properties of BPETokenizer under hypothesis: round trips for any Unicode, determinism, ids in range,
order-invariant training, save/load. About 3,000 examples in total, a few seconds."""

import random
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from minishop.tokenizers import DEFAULT_SPECIAL_TOKENS, BPETokenizer

SPECIALS = DEFAULT_SPECIAL_TOKENS + ("<brand>",)


def _corpus():
    rng = random.Random(0)
    words = "the a great game controller fun played café naïve 日本 ゲーム 😀 🎮 1999 !! e\u0301 \t\n".split(" ")
    syllables = ["ka", "ro", "mi", "ten", "gu", "shi", "ll", "é", "ö", "日", "本", "😀"]
    words += ["".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))) for _ in range(300)]
    return [" ".join(rng.choice(words) for _ in range(rng.randint(2, 30))) for _ in range(400)]


TOK = BPETokenizer.train(_corpus(), 600, special_tokens=SPECIALS)
# any Unicode except lone surrogates (they have no UTF-8 form; encode() rejects them with a clear error)
ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200)
TRICKY = st.text(alphabet=st.sampled_from(list("a é\u0301\u200d\x00\x1b\r\n\t日本😀🎮👩‍👩‍👧<>eos")), max_size=100)


def test_tokenizer_has_learned_multibyte_merges():
    assert len(TOK.merges) == 600 - 256 - len(SPECIALS)
    assert any(len(TOK.vocab[i].decode("utf-8", "ignore")) < len(TOK.vocab[i]) for i in range(256, 256 + len(TOK.merges)))


@settings(max_examples=1000, deadline=None)
@given(ANY_TEXT)
def test_round_trip_any_unicode(text):
    ids = TOK.encode(text)
    assert TOK.decode(ids) == text
    assert all(0 <= i < TOK.vocab_size for i in ids)
    assert TOK.encode(text) == ids  # deterministic (second call hits the cache)


@settings(max_examples=600, deadline=None)
@given(TRICKY)
def test_round_trip_tricky_text(text):
    ids = TOK.encode(text, allowed_special="none", disallowed_special="text")
    assert TOK.decode(ids) == text
    assert TOK.decode(TOK.encode(text)) == text


@settings(max_examples=30, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=2000, max_size=20000))
def test_round_trip_long_text(text):
    assert TOK.decode(TOK.encode(text)) == text


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(SPECIALS), max_size=20))
def test_text_of_only_specials(specials):
    ids = TOK.encode("".join(specials))
    assert ids == [TOK.special_tokens[s] for s in specials]
    assert TOK.decode(ids) == "".join(specials)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(ANY_TEXT, st.sampled_from(SPECIALS)), max_size=8))
def test_mixed_specials_round_trip(parts):
    text = "".join(parts)
    assert TOK.decode(TOK.encode(text)) == text


@settings(max_examples=400, deadline=None)
@given(ANY_TEXT)
def test_fresh_tokenizer_encodes_identically(text):
    # a new instance (empty cache) gives the same ids as the long-lived one
    fresh = BPETokenizer(TOK.merges, SPECIALS)
    assert fresh.encode(text) == TOK.encode(text)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.text(alphabet="abc d", max_size=12), min_size=1, max_size=12), st.randoms())
def test_training_is_invariant_to_corpus_order(texts, rnd):
    shuffled = texts[:]
    rnd.shuffle(shuffled)
    assert BPETokenizer.train(texts, 280).merges == BPETokenizer.train(shuffled, 280).merges


@settings(max_examples=200, deadline=None)
@given(ANY_TEXT)
def test_save_load_gives_same_ids(text):
    assert LOADED.encode(text) == TOK.encode(text)


with tempfile.TemporaryDirectory() as _tmp:
    TOK.save(Path(_tmp) / "tok.json")
    LOADED = BPETokenizer.load(Path(_tmp) / "tok.json")
