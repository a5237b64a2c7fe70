"""ItemVocab: contiguous ids with <pad>/<unk>/<mask>, deterministic order, unknowns counted, titles, save/load."""

import json

import pandas as pd
import pytest

from minishop import backend
from minishop.tokenizers import ItemVocab

np = backend.np


def interactions():
    # counts: B 3, 7 3, A 2, C 1, 5 1 (mixed str and int ids, as different loaders produce)
    rows = ["A", "B", 7, "B", "C", 7, "A", "B", 7, 5]
    return pd.DataFrame({"user": range(len(rows)), "item": pd.Series(rows, dtype=object)})


def test_from_interactions_orders_by_count_then_id():
    vocab = ItemVocab.from_interactions(interactions())
    assert vocab.items == [7, "B", "A", 5, "C"]  # count 3: int 7 before "B"; count 1: 5 before "C"
    assert vocab.n_items == 5 and len(vocab) == 8
    assert (vocab.pad_id, vocab.unk_id, vocab.mask_id) == (0, 6, 7)
    assert vocab.encode([7, "B", "A", 5, "C"]).tolist() == [1, 2, 3, 4, 5]


def test_order_does_not_depend_on_row_order():
    df = interactions()
    shuffled = df.sample(frac=1.0, random_state=3)
    assert ItemVocab.from_interactions(shuffled).items == ItemVocab.from_interactions(df).items


def test_min_count_drops_and_reports():
    vocab = ItemVocab.from_interactions(interactions(), min_count=2)
    assert vocab.items == [7, "B", "A"]
    assert vocab.n_dropped == 2
    with pytest.raises(ValueError, match="min_count=0"):
        ItemVocab.from_interactions(interactions(), min_count=0)
    with pytest.raises(KeyError, match="item_id"):
        ItemVocab.from_interactions(interactions(), item_column="item_id")


def test_unknown_ids_become_unk_and_are_counted():
    vocab = ItemVocab(["x", "y", "z"])
    tokens = vocab.encode(["y", "nope", "x", 42, "nope"])
    assert tokens.dtype == np.int64
    assert tokens.tolist() == [2, 4, 1, 4, 4]
    assert vocab.last_n_unknown == 3 and vocab.total_unknown == 3
    vocab.encode(["z", "?"])
    assert vocab.last_n_unknown == 1 and vocab.total_unknown == 4
    assert vocab.encode([]).tolist() == [] and vocab.last_n_unknown == 0


def test_numpy_ints_match_python_ints():
    vocab = ItemVocab.from_interactions(pd.DataFrame({"item": np.array([10, 20, 20, 30], dtype=np.int64)}))
    assert vocab.items == [20, 10, 30] and all(type(i) is int for i in vocab.items)
    assert vocab.encode(np.array([30, 10])).tolist() == [3, 2]
    assert vocab.encode([30, 10]).tolist() == [3, 2]


def test_decode_and_titles():
    vocab = ItemVocab(["p1", "p2", 3], titles={"p1": "Red Mug", 3: "Blue Sock"})
    assert vocab.decode([1, 3, 0, 4, 5]) == ["p1", 3, "<pad>", "<unk>", "<mask>"]
    assert vocab.decode(vocab.encode(["p2", "p1"])) == ["p2", "p1"]
    assert [vocab.title(t) for t in range(len(vocab))] == ["<pad>", "Red Mug", "p2", "Blue Sock", "<unk>", "<mask>"]
    with pytest.raises(ValueError, match="out of range"):
        vocab.decode([6])


def test_titles_from_a_column():
    df = pd.DataFrame({"item": ["a", "b", "a"], "title": ["Apple", "Banana", "Apple"]})
    vocab = ItemVocab.from_interactions(df, titles="title")
    assert [vocab.title(t) for t in (1, 2)] == ["Apple", "Banana"]


def test_rejects_duplicates_and_bad_types():
    with pytest.raises(ValueError, match="appears twice"):
        ItemVocab(["a", "b", "a"])
    with pytest.raises(TypeError, match="position 1"):
        ItemVocab(["a", 1.5])


def test_save_load_round_trip(tmp_path):
    vocab = ItemVocab.from_interactions(interactions(), min_count=1)
    vocab.titles = {7: "Seven", "B": "Bee"}
    path = tmp_path / "items.json"
    vocab.save(path)
    loaded = ItemVocab.load(path)
    assert loaded.items == vocab.items and loaded.titles == vocab.titles
    assert type(loaded.items[0]) is int  # ints stay ints through JSON
    probe = ["B", 7, "A", "never", 5]
    assert loaded.encode(probe).tolist() == vocab.encode(probe).tolist()


def test_load_errors_name_the_file(tmp_path):
    path = tmp_path / "v.json"
    ItemVocab(["a"]).save(path)
    data = json.loads(path.read_text())
    data["version"] = 2
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="v.json.*version 2"):
        ItemVocab.load(path)
    path.write_text("{not json")
    with pytest.raises(ValueError, match="v.json.*not a valid JSON"):
        ItemVocab.load(path)
    path.write_text(json.dumps({"format": "minishop.ItemVocab", "version": 1, "items": ["a"], "titles": []}))
    with pytest.raises(ValueError, match="same length"):
        ItemVocab.load(path)
