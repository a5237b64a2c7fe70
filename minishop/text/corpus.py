"""The text the language tasks read, and how it becomes padded arrays of token ids.

- Product descriptions for the LM: each product of the catalog gives two documents, so that a prompt
  can be either a title or the shop's attributes:

      "Zenith Echo K8 Smartphone | The Zenith Echo K8 Smartphone is made for everyday use. ..."
      "category: electronics > phones | brand: Zenith | Zenith Echo K8 Smartphone | The Zenith ..."

- Reviews for the classifier: the text and its 1-5 star rating. Reviews with no text (a rating only)
  cannot be classified from their words; they are counted and left out.

Sequences are `<bos> tokens <eos>` cut to the model's max_len (the cuts are counted), and batches are
right-padded with `<pad>`.
"""

import os
from dataclasses import dataclass

from minishop import backend
from minishop.data.loaders.shop import default_shop_path, load_products, load_reviews

np = backend.np


def product_documents(items):
    """Two training documents per catalog row (a pandas DataFrame with title, category, brand, description)."""
    documents = []
    for row in items.itertuples():
        documents.append(f"{row.title} | {row.description}")
        documents.append(f"category: {row.category} | brand: {row.brand} | {row.title} | {row.description}")
    return documents


def shop_products(folder=None):
    """The bundled (or given) shop's catalog as a DataFrame."""
    folder = folder or default_shop_path()
    items, _ = load_products(os.path.join(folder, "products.csv"), "raise")
    return items


@dataclass
class Reviews:
    """Review texts with their star ratings, and how many reviews had no text."""

    texts: list
    ratings: list
    without_text: int


def shop_reviews(folder=None):
    """The shop's reviews that have text; reviews with an empty text are counted in `without_text`."""
    folder = folder or default_shop_path()
    frame, _ = load_reviews(os.path.join(folder, "reviews.jsonl"), "raise")
    has_text = frame["text"].str.strip() != ""
    kept = frame[has_text]
    return Reviews(list(kept["text"]), [int(r) for r in kept["rating"]], int((~has_text).sum()))


def split_indices(n, fractions, seed):
    """Shuffle range(n) with `seed` and cut it into len(fractions) + 1 parts: the given fractions, then the rest."""
    order = np.random.default_rng(seed).permutation(n)
    parts, start = [], 0
    for fraction in fractions:
        size = int(round(fraction * n))
        parts.append(order[start : start + size])
        start += size
    parts.append(order[start:])
    return parts


@dataclass
class Encoded:
    """Token-id sequences and how many were cut to fit max_len."""

    sequences: list
    truncated: int


def encode_texts(tokenizer, texts, max_len, add_eos=True):
    """`<bos> ids [<eos>]` for each text, cut to max_len tokens. Special-token strings inside a text are
    encoded as plain characters (a review may well contain "<eos>")."""
    bos, eos = tokenizer.special_tokens["<bos>"], tokenizer.special_tokens["<eos>"]
    sequences, truncated = [], 0
    for text in texts:
        ids = [bos] + tokenizer.encode(text, allowed_special="none", disallowed_special="text")
        if add_eos:
            ids.append(eos)
        if len(ids) > max_len:
            truncated += 1
            ids = ids[:max_len]
        sequences.append(ids)
    return Encoded(sequences, truncated)


def pad_right(sequences, pad_id):
    """(ids (B, T), padding (B, T) bool True at padding) with T the longest sequence, as host arrays."""
    longest = max(len(s) for s in sequences)
    ids = np.full((len(sequences), longest), pad_id, dtype=np.int64)
    for row, sequence in enumerate(sequences):
        ids[row, : len(sequence)] = sequence
    lengths = np.array([len(s) for s in sequences])
    return ids, np.arange(longest)[None, :] >= lengths[:, None]


def batch_indices(n, batch_size, rng=None):
    """Index arrays of consecutive batches over range(n), shuffled by `rng` when given."""
    order = rng.permutation(n) if rng is not None else np.arange(n)
    return [order[start : start + batch_size] for start in range(0, n, batch_size)]
