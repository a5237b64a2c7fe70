"""ItemVocab: products as tokens, so a shopper's history is a sentence the recommender LM reads.

Token ids are contiguous:

    0            <pad>    (fills short histories; never predicted)
    1..n_items   the items
    n_items + 1  <unk>    (items unseen at training time)
    n_items + 2  <mask>   (the BERT-style "guess this item" token)

Item order: `from_interactions` sorts by descending interaction count, then by item id (ints before strings),
so the most popular items get the smallest ids and the result never depends on row order. `ItemVocab(items)`
keeps the order it is given.
"""

import json
import os

from minishop import backend

PAD, UNK, MASK = "<pad>", "<unk>", "<mask>"
FORMAT_VERSION = 1


class ItemVocab:
    """A bijection between external item ids (str or int) and token ids 1..n_items, plus <pad>, <unk>, <mask>."""

    def __init__(self, items, titles=None):
        """`items`: distinct item ids, in token order. `titles`: optional dict {item id: product title}."""
        self.items = [_plain(item) for item in items]  # token id t (1..n) -> self.items[t - 1]
        self.index = {}
        for position, item in enumerate(self.items):
            if not isinstance(item, (str, int)) or isinstance(item, bool):
                raise TypeError(f"ItemVocab(items=...): item {item!r} at position {position} is not a str or int")
            if item in self.index:
                raise ValueError(f"ItemVocab(items=...): item {item!r} appears twice (positions {self.index[item] - 1} and {position})")
            self.index[item] = position + 1
        self.titles = {_plain(k): str(v) for k, v in (titles or {}).items()}
        self.pad_id, self.unk_id, self.mask_id = 0, self.n_items + 1, self.n_items + 2
        self.n_dropped = 0  # items below min_count in from_interactions
        self.last_n_unknown = 0  # unknown ids in the latest encode() call
        self.total_unknown = 0  # unknown ids over all encode() calls

    @classmethod
    def from_interactions(cls, df, item_column="item", min_count=1, titles=None):
        """Build from a pandas DataFrame of interactions, keeping items with at least `min_count` rows.

        Items below `min_count` are not dropped silently: their number is kept in `n_dropped`.
        `titles`: dict {item id: title}, or the name of a column of `df` holding each item's title.
        """
        if item_column not in df.columns:
            raise KeyError(f"ItemVocab.from_interactions(item_column={item_column!r}): no such column; df has {list(df.columns)}")
        if min_count < 1:
            raise ValueError(f"ItemVocab.from_interactions(min_count={min_count}): expected an int >= 1")
        counts = df[item_column].value_counts()
        kept = [(int(n), _plain(item)) for item, n in counts.items() if n >= min_count]
        kept.sort(key=lambda pair: (-pair[0], _id_order(pair[1])))
        if isinstance(titles, str):
            titles = dict(zip(df[item_column], df[titles]))
        vocab = cls([item for _, item in kept], titles)
        vocab.n_dropped = len(counts) - len(kept)
        return vocab

    @property
    def n_items(self):
        """Number of real items (specials excluded)."""
        return len(self.items)

    def __len__(self):
        """Number of token ids, specials included: n_items + 3."""
        return self.n_items + 3

    def encode(self, item_ids):
        """External ids -> NumPy int64 array of token ids. Unknown ids become <unk>; their number is stored in
        `last_n_unknown` (this call) and added to `total_unknown`."""
        np = backend.np
        tokens = np.fromiter((self.index.get(_plain(i), self.unk_id) for i in item_ids), dtype=np.int64)
        self.last_n_unknown = int((tokens == self.unk_id).sum())
        self.total_unknown += self.last_n_unknown
        return tokens

    def decode(self, token_ids):
        """Token ids -> external ids; special tokens come back as "<pad>", "<unk>", "<mask>"."""
        return [self._decode_one(int(t)) for t in token_ids]

    def _decode_one(self, token_id):
        if 1 <= token_id <= self.n_items:
            return self.items[token_id - 1]
        specials = {self.pad_id: PAD, self.unk_id: UNK, self.mask_id: MASK}
        if token_id not in specials:
            raise ValueError(f"ItemVocab.decode(): token id {token_id} is out of range (expected 0..{len(self) - 1})")
        return specials[token_id]

    def title(self, token_id):
        """The product title of a token id (the item id as text if it has no title; specials as "<pad>"...)."""
        item = self._decode_one(int(token_id))
        if 1 <= int(token_id) <= self.n_items:
            return self.titles.get(item, str(item))
        return item

    def save(self, path):
        """Write the vocabulary as JSON: item ids in token order (ints stay ints), titles, version."""
        data = {
            "format": "minishop.ItemVocab",
            "version": FORMAT_VERSION,
            "items": self.items,
            "titles": [self.titles.get(item) for item in self.items],
            "n_dropped": self.n_dropped,
        }
        with open(path, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, ensure_ascii=False)

    @classmethod
    def load(cls, path):
        """Read a file written by save(); a damaged file or another version raises ValueError naming it."""
        where = f"ItemVocab.load({os.fspath(path)!r})"
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise ValueError(f"{where}: not a valid JSON file ({error})") from error
        if not isinstance(data, dict) or data.get("format") != "minishop.ItemVocab":
            raise ValueError(f"{where}: not a minishop ItemVocab file (no \"format\": \"minishop.ItemVocab\")")
        if data.get("version") != FORMAT_VERSION:
            raise ValueError(f"{where}: file version {data.get('version')!r}, but this minishop reads version {FORMAT_VERSION}")
        items, titles = data.get("items"), data.get("titles")
        if not isinstance(items, list) or not isinstance(titles, list) or len(items) != len(titles):
            raise ValueError(f"{where}: expected \"items\" and \"titles\" lists of the same length")
        vocab = cls(items, {item: t for item, t in zip(items, titles) if t is not None})
        vocab.n_dropped = int(data.get("n_dropped", 0))
        return vocab


def _plain(item):
    """NumPy/pandas integers -> Python int, so 7, np.int64(7) and the JSON value 7 are the same key."""
    if hasattr(item, "item") and not isinstance(item, (str, bytes)):
        return item.item()
    return item


def _id_order(item):
    """Sort key that orders ints before strings, each in natural order (mixed id types never crash)."""
    return (isinstance(item, str), item)
