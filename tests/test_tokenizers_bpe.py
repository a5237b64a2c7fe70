"""BPETokenizer: a hand-worked example, special tokens, naive == fast training, save/load, inspection, errors."""

import json
import random
from pathlib import Path

import pytest

from minishop.tokenizers import DEFAULT_SPECIAL_TOKENS, BPETokenizer, pretokenize, train_merges, train_naive
from minishop.tokenizers.base import get_stats, merge


def shop_texts(n, seed):
    """A small seeded corpus of review-like lines with ASCII, accents, CJK and emoji."""
    rng = random.Random(seed)
    words = "the a great game controller fun played review price cheap awful loved zelda mario café 日本 ゲーム 😀 1999 !!".split()
    return [" ".join(rng.choice(words) for _ in range(rng.randint(2, 25))) + rng.choice([".", "!", "\n", "?"]) for _ in range(n)]


def chunk_counts(texts):
    counts = {}
    for text in texts:
        for chunk in pretokenize(text):
            counts[chunk.encode()] = counts.get(chunk.encode(), 0) + 1
    return counts


def test_helpers():
    assert get_stats([1, 2, 3, 1, 2]) == {(1, 2): 2, (2, 3): 1, (3, 1): 1}
    assert merge([1, 2, 3, 1, 2], (1, 2), 4) == [4, 3, 4]
    assert merge([5, 5, 5], (5, 5), 6) == [6, 5]
    assert merge([5, 5, 5, 5], (5, 5), 6) == [6, 6]


def test_hand_worked_example():
    # "aaabdaaabac": aa occurs 4 times -> 256; then (256,'a') and ('a','b') both occur twice, and the tie goes
    # to the smaller bytes: b"a" < b"aa", so ab -> 257; then (256, 257) = "aaab" -> 258.
    tok = BPETokenizer.train(["aaabdaaabac"], vocab_size=256 + 3 + len(DEFAULT_SPECIAL_TOKENS))
    assert tok.merges == [(97, 97), (97, 98), (256, 257)]
    assert tok.merge_counts == [4, 2, 2]
    assert tok.encode("aaabdaaabac") == [258, 100, 258, 97, 99]
    # rank order: in "aab" both aa (rank 0) and ab (rank 1) apply; aa must win -> [aa, b], not [a, ab]
    assert tok.encode("aab") == [256, 98]
    assert tok.encode("aaab") == [258]


def test_naive_and_fast_trainers_learn_identical_merges():
    texts = shop_texts(200, seed=3)
    naive = train_naive(texts, 150)
    fast = train_merges(chunk_counts(texts), 150)
    assert len(fast) > 100
    assert naive == fast


def test_training_ignores_corpus_order():
    texts = shop_texts(150, seed=5) + ["ab ab ba ba cd dc"]  # includes exact ties
    shuffled = texts[:]
    random.Random(9).shuffle(shuffled)
    a = BPETokenizer.train(texts, 420)
    b = BPETokenizer.train(shuffled, 420)
    assert a.merges == b.merges and a.merge_counts == b.merge_counts


def test_tie_break_rule():
    # every pair occurs exactly once; the first merge must be the pair with the smallest bytes: ("a", "b")
    tok = BPETokenizer.train(["yz", "xw", "ab", "cd"], 256 + 1 + 6)
    assert tok.merges == [(97, 98)]


def test_training_stops_when_nothing_left_to_merge():
    tok = BPETokenizer.train(["abc"], 10_000)
    assert tok.merges == [(97, 98), (256, 99)]
    assert tok.vocab_size == 256 + 2 + 6


def test_specials_never_split_and_never_merged():
    texts = ["<eos><eos><eos> hello<eos>"] * 5 + shop_texts(20, seed=1)
    tok = BPETokenizer.train(texts, 350, special_tokens=DEFAULT_SPECIAL_TOKENS + ("<brand>",))
    for token_id in range(256 + len(tok.merges)):
        assert b"<eos>" not in tok.vocab[token_id]
    ids = tok.encode("hi<eos><brand>x")
    assert tok.special_tokens["<eos>"] in ids and tok.special_tokens["<brand>"] in ids
    assert tok.decode(ids) == "hi<eos><brand>x"
    assert tok.vocab_size == 256 + len(tok.merges) + 7
    assert sorted(tok.special_tokens.values()) == list(range(256 + len(tok.merges), tok.vocab_size))


def test_disallowed_specials():
    tok = BPETokenizer.train(shop_texts(20, seed=2), 300)
    with pytest.raises(ValueError, match="<eos>"):
        tok.encode("a<eos>b", allowed_special="none")
    with pytest.raises(ValueError, match="<eos>"):
        tok.encode("a<eos>b", allowed_special={"<pad>"})
    as_text = tok.encode("a<eos>b", allowed_special="none", disallowed_special="text")
    assert tok.special_tokens["<eos>"] not in as_text and tok.decode(as_text) == "a<eos>b"
    assert tok.encode("a<eos>b", allowed_special={"<eos>"}) == tok.encode("a<eos>b")
    with pytest.raises(ValueError, match="<nope>"):
        tok.encode("a", allowed_special={"<nope>"})


def test_encode_batch_and_decode_errors():
    tok = BPETokenizer.train(shop_texts(30, seed=4), 320)
    texts = ["great game!", "", "日本 😀"]
    assert tok.encode_batch(texts) == [tok.encode(t) for t in texts]
    with pytest.raises(ValueError, match="not in the vocabulary"):
        tok.decode([tok.vocab_size])
    with pytest.raises(ValueError, match="surrogate"):
        tok.encode("a\ud800b")
    assert tok.decode([0xC3]) == "\ufffd"  # half a UTF-8 character decodes to the replacement character


def test_inspection_helpers():
    tok = BPETokenizer.train(shop_texts(100, seed=6), 400)
    text = "the café 😀"
    spans = tok.tokens_with_spans(text)
    raw = text.encode()
    assert b"".join(piece for _, piece, _ in spans) == raw
    for token_id, piece, (start, end) in spans:
        assert raw[start:end] == piece == tok.token_bytes(token_id)
    top = tok.most_frequent_merges(5)
    counts = [count for *_, count in top]
    assert counts == sorted(counts, reverse=True) and counts[0] == max(tok.merge_counts)
    assert all(tok.vocab[new_id] == merged for new_id, _, merged, _ in top)
    corpus = shop_texts(10, seed=7)
    n_bytes = sum(len(t.encode()) for t in corpus)
    assert tok.compression_ratio(corpus) == pytest.approx(n_bytes / sum(map(len, tok.encode_batch(corpus))))
    assert tok.compression_ratio(corpus) > 2.0


def test_save_load_round_trip(tmp_path):
    tok = BPETokenizer.train(shop_texts(100, seed=8), 380, special_tokens=DEFAULT_SPECIAL_TOKENS + ("<item>",))
    path = tmp_path / "tok.json"
    tok.save(path)
    loaded = BPETokenizer.load(path)
    assert loaded.merges == tok.merges and loaded.special_tokens == tok.special_tokens
    assert loaded.merge_counts == tok.merge_counts
    for text in shop_texts(20, seed=9) + ["<item> café<eos>"]:
        assert loaded.encode(text) == tok.encode(text)
    vocab_lines = (tmp_path / "tok.json.vocab.txt").read_text(encoding="utf-8").splitlines()
    assert len(vocab_lines) == tok.vocab_size
    assert json.loads(path.read_text(encoding="utf-8"))["version"] == 1


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda m: m.update(version=99), "version 99"),
        (lambda m: m.update(format="other"), "not a minishop BPETokenizer"),
        (lambda m: m["merges"].__setitem__(0, [1, 999]), "merge 0"),
        (lambda m: m.update(merge_counts=[1]), "merge_counts"),
        (lambda m: m["merges"].__setitem__(1, m["merges"][0]), "appear twice"),
        (lambda m: m["special_tokens"].update({"<eos>": 3}), "special token ids"),
    ],
)
def test_load_rejects_damaged_files(tmp_path, damage, message):
    tok = BPETokenizer.train(shop_texts(20, seed=10), 300)
    path = tmp_path / "bad.json"
    tok.save(path, vocab_file=False)
    model = json.loads(path.read_text(encoding="utf-8"))
    damage(model)
    path.write_text(json.dumps(model), encoding="utf-8")
    with pytest.raises(ValueError, match=message) as info:
        BPETokenizer.load(path)
    assert "bad.json" in str(info.value)


def test_load_rejects_truncated_json(tmp_path):
    path = tmp_path / "cut.json"
    BPETokenizer.train(["hello"], 270).save(path)
    path.write_text(path.read_text(encoding="utf-8")[:40], encoding="utf-8")
    with pytest.raises(ValueError, match="cut.json.*not a valid JSON"):
        BPETokenizer.load(path)


def test_train_rejects_too_small_vocab():
    with pytest.raises(ValueError, match="vocab_size=100"):
        BPETokenizer.train(["x"], 100)


def bundled_shop_texts():
    """Descriptions and review texts of the bundled shop (data/shop is committed with the repository)."""
    import pandas as pd

    shop = Path(__file__).resolve().parent.parent / "data" / "shop"
    descriptions = pd.read_csv(shop / "products.csv")["description"].dropna().tolist()
    with open(shop / "reviews.jsonl", encoding="utf-8") as f:
        reviews = [json.loads(line)["text"] for line in f if line.strip()]
    return descriptions + [t for t in reviews if t]


def test_bundled_shop_tokenizer_saves_and_loads_identically(tmp_path):
    texts = bundled_shop_texts()
    assert len(texts) > 1000
    tok = BPETokenizer.train(texts, 4000)
    assert len(tok.merges) > 1000  # the templated shop text runs out of pairs before 4000
    assert tok.compression_ratio(texts[:500]) > 3.0
    tok.save(tmp_path / "shop.json")
    loaded = BPETokenizer.load(tmp_path / "shop.json")
    assert loaded.encode_batch(texts[:300]) == tok.encode_batch(texts[:300])
    assert [loaded.decode(ids) for ids in loaded.encode_batch(texts[:300])] == texts[:300]


def test_naive_and_fast_agree_on_shop_text():
    texts = bundled_shop_texts()[::40]
    assert train_naive(texts, 60) == train_merges(chunk_counts(texts), 60)
