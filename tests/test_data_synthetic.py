"""The bundled shop: regenerable byte for byte, and its planted mess at the rates the data card states."""

import filecmp
import os

import pandas as pd
import pytest

from minishop import data
from minishop.data import synthetic
from minishop.data.preprocess import normalise_text

SHOP_FILES = ("products.csv", "users.csv", "events.csv.gz", "reviews.jsonl", "review_truth.csv", "complements.csv")


@pytest.fixture(scope="module")
def shop_dir():
    return data.default_shop_path()


@pytest.fixture(scope="module")
def events(shop_dir):
    return pd.read_csv(os.path.join(shop_dir, "events.csv.gz"), dtype=str, keep_default_na=False)


@pytest.mark.slow  # ~2 s of CPU; more on a busy machine
def test_regeneration_is_byte_identical(tmp_path, shop_dir):
    synthetic.main(["--out", str(tmp_path), "--seed", "0"])
    for name in SHOP_FILES:
        assert filecmp.cmp(tmp_path / name, os.path.join(shop_dir, name), shallow=False), name


def test_another_seed_gives_another_shop(tmp_path, shop_dir):
    synthetic.generate(str(tmp_path), seed=1, n_users=40)
    assert not filecmp.cmp(tmp_path / "products.csv", os.path.join(shop_dir, "products.csv"), shallow=False)
    assert len(pd.read_csv(tmp_path / "users.csv")) == 40 + synthetic.MESS["n_bots"]


def test_a_shop_of_any_size_has_the_same_structure(tmp_path):
    synthetic.main(["--out", str(tmp_path), "--seed", "2", "--users", "60", "--items", "1500"])
    products = pd.read_csv(tmp_path / "products.csv", dtype=str, keep_default_na=False)
    events = pd.read_csv(tmp_path / "events.csv.gz", dtype=str, keep_default_na=False)
    assert 1200 < len(products) < 1800  # about 1,500 products, in every leaf category
    assert products["category"].map(normalise_text).nunique() == len(synthetic.LEAVES)
    assert events["user_id"].nunique() == 60 + synthetic.MESS["n_bots"]
    assert set(events["event"].str.strip().str.lower()) == {"view", "add_to_cart", "purchase", "cancel", "return"}
    assert len(data.prepare(str(tmp_path)).sequences) > 50  # and it goes through the same cleaning
    with pytest.raises(SystemExit):
        synthetic.main(["--out", str(tmp_path), "--items", "5"])


def test_committed_files_are_small(shop_dir):
    total = sum(os.path.getsize(os.path.join(shop_dir, name)) for name in SHOP_FILES)
    assert total < 5_000_000


def test_event_mess_rates(events):
    n = len(events)
    assert 90_000 < n < 150_000
    duplicates = events.duplicated().sum() / n
    assert 0.015 < duplicates < 0.025  # MESS duplicate_event_rate 2%
    bad_times = pd.to_datetime(events["timestamp"], format="%Y-%m-%d %H:%M:%S", errors="coerce").isna().sum()
    assert 0.0005 < bad_times / n < 0.002  # 0.1%
    odd_case = (events["event"] != events["event"].str.strip().str.lower()).sum() / n
    assert 0.007 < odd_case < 0.013  # 1%
    kinds = events["event"].str.strip().str.lower().value_counts()
    assert set(kinds.index) == {"view", "add_to_cart", "purchase", "cancel", "return"}
    assert 0.02 < kinds["cancel"] / kinds["purchase"] < 0.04 and 0.01 < kinds["return"] / kinds["purchase"] < 0.03


def test_bots_and_items_without_events(events, shop_dir):
    per_user = events["user_id"].value_counts()
    assert (per_user > 1000).sum() == synthetic.MESS["n_bots"] and per_user[per_user <= 1000].max() < 500
    bots = per_user[per_user > 1000].index
    assert not (events["user_id"].isin(bots) & (events["event"].str.strip().str.lower() == "purchase")).any()
    products = pd.read_csv(os.path.join(shop_dir, "products.csv"), dtype=str, keep_default_na=False)
    assert 3 <= len(set(products["item_id"]) - set(events["item_id"])) <= 25


def test_catalog_mess_and_text(shop_dir):
    products = pd.read_csv(os.path.join(shop_dir, "products.csv"), dtype=str, keep_default_na=False)
    assert 300 <= len(products) <= 500
    messy = (products["category"] != products["category"].map(normalise_text)).mean()
    assert 0.05 < messy < 0.15  # 10%
    assert products["category"].map(normalise_text).nunique() == len(synthetic.LEAVES)
    assert 0 < (products["brand"] == "").mean() < 0.08 and 0 < (products["price"] == "").mean() < 0.05
    words = " ".join(products["description"]).split()
    assert len(words) > 10_000 and len(set(words)) > 800
    fitted = products[products["made_for"] != ""]
    assert all(f" for " in title for title in fitted["title"])


@pytest.fixture(scope="module")
def reviews(shop_dir):
    frame = pd.read_json(os.path.join(shop_dir, "reviews.jsonl"), lines=True)
    truth = pd.read_csv(os.path.join(shop_dir, "review_truth.csv"), dtype=str, keep_default_na=False)
    assert truth["line"].tolist() == [str(i) for i in range(1, len(frame) + 1)]
    assert truth["rating"].tolist() == frame["rating"].astype(str).tolist()
    return frame.assign(form=truth["form"], turn=truth["turn"], text_rating=truth["text_rating"])


def test_reviews_follow_ratings(reviews):
    assert len(reviews) > 3000 and set(reviews["rating"]) == {1, 2, 3, 4, 5}
    assert 0.01 < (reviews["text"] == "").mean() < 0.05  # 3% without text
    assert ((reviews["text"] == "") == (reviews["form"] == "empty")).all()
    written = reviews[reviews["form"] != "empty"]
    noisy = written["text_rating"].astype(int) != written["rating"]
    assert 0.03 < noisy.mean() < 0.06  # reviews_text.NOISE_RATE 4%
    clean = written[~noisy]
    very_good = "I love it|exactly what I wanted|I have owned|Outstanding quality|Never disappointing"  # 5 only
    assert clean[clean["rating"] == 5]["text"].str.contains(very_good).mean() > 0.5
    assert not clean[clean["rating"] <= 3]["text"].str.contains(very_good).any()
    shared = clean[clean["text"].str.startswith("Works well.")]["rating"]  # neighbours share their phrases
    assert set(shared) == {3, 4, 5}


def test_reviews_mention_true_attributes(reviews, shop_dir):
    products = pd.read_csv(os.path.join(shop_dir, "products.csv"), dtype=str, keep_default_na=False)
    colour = dict(zip(products["item_id"], products["colour"]))
    said = reviews[reviews["text"].str.contains(" colour (?:looks|never looks)", regex=True)]
    assert len(said) > 300
    assert all(f"{colour[item]} colour" in text.lower() for item, text in zip(said["item_id"], said["text"]))


def test_contrast_and_negated_reviews_differ_only_in_word_order(reviews):
    """A contrast 2 and 4 use the same words (only their order differs); a negated clause uses the words of a
    plain review of the other side ("never feels flimsy" in a 4, "feels flimsy" in a 1 or 2)."""
    clean = reviews[reviews["text_rating"] == reviews["rating"].astype(str)]
    for form, low, high in (("contrast", 0.15, 0.25), ("negated", 0.06, 0.11)):
        assert low < (reviews["form"] == form).mean() < high
        assert set(clean[clean["form"] == form]["rating"]) == {2, 4}
    assert set(clean[clean["form"] == "contrast"]["turn"]) == {"but", "although", "even though"}

    def shares(frame, words):  # the share of reviews that contain each word
        texts = frame["text"].str.lower().str.findall(r"\w+")
        counts = pd.Series([w for ws in texts for w in set(ws)]).value_counts() / len(texts)
        return counts.reindex(words, fill_value=0.0)

    tone_words = ["flimsy", "sturdy", "lovely", "cheap", "awkward", "easy", "poor", "great"]
    contrast = clean[clean["form"] == "contrast"]
    two, four = shares(contrast[contrast["rating"] == 2], tone_words), shares(contrast[contrast["rating"] == 4], tone_words)
    # the same words in expectation; ~450 reviews a side, so sampling alone moves a share by up to ~0.07
    assert (two > 0.02).all() and (two - four).abs().max() < 0.08, pd.concat([two, four], axis=1)

    negated, plain = clean[clean["form"] == "negated"], clean[clean["form"] == "plain"]
    assert negated["text"].str.contains(r"\b(?:never|not)\b").all()
    for rating, opposite in ((2, [4, 5]), (4, [1, 2])):
        said = shares(negated[negated["rating"] == rating], tone_words)
        assert (shares(plain[plain["rating"].isin(opposite)], list(said[said > 0].index)) > 0.005).all()

    sample = contrast[contrast["turn"] == "but"]
    after_but = sample["text"].str.extract(r", but (.*?)\.")[0]
    good_after = after_but.str.contains("lovely|classy|sturdy|solid|premium|perfect|excellent|easy|simple|great|good|fine")
    assert (good_after == (sample["rating"] == 4)).mean() > 0.9  # the verdict is the clause after "but"


def test_shoppers_keep_their_brands_and_price_level_all_year(events):
    """The taste that only a whole history shows: what a shopper viewed in the first half of their year names
    the brands and the price level of what they view in the second half, in whatever category."""
    products = {p.item_id: p for p in synthetic.Shop(seed=0, n_users=1).products}  # the true brands and prices

    def place_in_price_range(item):  # 0 = the cheapest end of the item's leaf, 1 = the dearest
        low, high = products[item].leaf.price
        return (products[item].price - low) / (high - low)

    def mean(values):
        return sum(values) / len(values)

    per_user = events["user_id"].value_counts()
    views = events[(events["event"].str.strip().str.lower() == "view")
                   & events["user_id"].isin(per_user[per_user <= 1000].index)]  # no bots
    halves = []  # per shopper with 20+ views: (item ids of the first half, item ids of the second half)
    for _, rows in views.groupby("user_id", sort=True):
        if len(rows) >= 20:
            items = rows["item_id"].tolist()
            halves.append((items[:len(items) // 2], items[len(items) // 2:]))
    assert len(halves) > 1000

    top_two = [set(pd.Series([products[i].brand for i in first]).value_counts().index[:2]) for first, _ in halves]
    own, other = [], []
    for k, (_, second) in enumerate(halves):
        later = [products[i].brand for i in second]
        own.append(mean([brand in top_two[k] for brand in later]))
        other.append(mean([brand in top_two[k - 1] for brand in later]))  # another shopper's two: the control
    assert mean(own) > 0.25 and mean(own) > 1.8 * mean(other), (mean(own), mean(other))  # 0.32 vs 0.13
    # (before shoppers had favourite brands: 0.22 vs 0.17)

    price_first = pd.Series([mean([place_in_price_range(i) for i in first]) for first, _ in halves])
    price_second = pd.Series([mean([place_in_price_range(i) for i in second]) for _, second in halves])
    assert price_first.corr(price_second) > 0.8  # 0.97 (before shoppers had a price level: 0.25)
