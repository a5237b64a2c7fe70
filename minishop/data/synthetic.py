"""Generate the bundled shop: a seeded simulation of a small online shop over one year.

    python -m minishop.data.synthetic --out data/shop --seed 0
    python -m minishop.data.synthetic --out /tmp/big-shop --users 200000 --items 20000   # for scale tests

The same seed gives byte-identical files. `--users` and `--items` set the size; the structure is the same.
What the simulation contains (see data/README.md for the data card):

- users with latent tastes: a mixture over top-level categories that drifts during the year (taste drift),
  two favourite brands, a price level (budget ... premium), and an activity level (long-tailed: a few users
  are very active);
- sessions of views, add-to-carts and purchases; inside a category, items are chosen by a long-tailed popularity
  times the user's fit to their brand and price (the same two brands and price level in every category, all year);
- sequential structure that a next-item model can learn and a popularity ranking cannot:
  complements (a phone purchase is followed within days by a case made for THAT phone, then a charger),
  repeat purchases of consumables (coffee beans every ~30 days, the same product), and seasons
  (heaters in winter, sunscreen in summer, toys before Christmas);
- structure that only shows over the whole history, which a last-item (first-order Markov) model cannot use:
  the favourite brands and the price level show in every session, so the earlier sessions, in other
  categories, tell which items of a new category this shopper will look at;
- reviews whose rating follows a latent product quality and whose words follow the rating and attributes,
  with turns and negations where only word order tells the verdict (minishop/data/reviews_text.py);
- mess planted at known rates (`MESS` below): duplicate events, malformed timestamps, messy category
  casing and whitespace, missing values, cancelled orders and returns, bots, products with no events.

The draws use Python's `random.Random(seed)`, whose sequence is stable across platforms and versions.
"""

import argparse
import csv
import gzip
import io
import json
import math
import os
import random
from datetime import datetime, timedelta

from tqdm import tqdm

from minishop.data.catalog import BRANDS, LEAVES, compatible_with, make_catalog
from minishop.data.reviews_text import review_text

START = datetime(2023, 1, 1)
DAYS = 365

# The mess, planted at these rates (documented in data/README.md; tests check the counts).
MESS = {
    "duplicate_event_rate": 0.02,  # an event row is written twice
    "bad_timestamp_rate": 0.001,  # the timestamp is unparseable
    "event_case_rate": 0.01,  # event name in odd casing / with spaces ("View ", "PURCHASE")
    "category_mess_rate": 0.10,  # category path in odd casing or whitespace
    "missing_brand_rate": 0.04,
    "missing_price_rate": 0.02,
    "missing_country_rate": 0.05,
    "empty_review_rate": 0.03,  # a review with a rating but no text
    "cancel_rate": 0.03,  # a purchase is cancelled (a "cancel" event with the same order id follows)
    "return_rate": 0.02,  # a purchase is returned days later (a "return" event)
    "unlisted_rate": 0.03,  # products nobody interacts with
    "n_bots": 6,  # crawler accounts with 1,500-3,000 views each and no purchases
}
# Persistent tastes inside a category (documented in data/README.md): an item of one of the user's two favourite
# brands is BRAND_LOYALTY times as likely, and an item whose price sits far from the user's price level in its
# leaf's range is less likely, by exp(-z^2 / 2) with z = distance / PRICE_WIDTH.
BRAND_LOYALTY = 8.0
PRICE_WIDTH = 0.15
COUNTRIES = ("DE", "FR", "NL", "ES", "IT", "SE", "PL", "DK")
TOPS = sorted({leaf.path.split(" > ")[0] for leaf in LEAVES})


def products_per_leaf(n_items=None):
    """The (fewest, most) products a leaf gets: 9-16 for the bundled shop (~380 products), else scaled so that
    the catalog has about `n_items` products."""
    if n_items is None:
        return (9, 16)
    middle = max(2.0, n_items / len(LEAVES))
    return (max(1, round(middle * 0.72)), max(2, round(middle * 1.28)))


class Shop:
    """The simulated shop; `simulate()` fills `events`, `reviews` and `users`."""

    def __init__(self, seed=0, n_users=2400, n_items=None):
        self.rand = random.Random(seed)
        self.words = random.Random(f"{seed}/review-words")  # review wording: its own stream (see _review)
        self.n_users = n_users
        self.products = make_catalog(self.rand, n_per_leaf=products_per_leaf(n_items),
                                     unlisted_rate=MESS["unlisted_rate"])
        self.listed = [p for p in self.products if not p.unlisted]
        self.by_leaf = {}
        for p in self.listed:
            self.by_leaf.setdefault(p.leaf.path, []).append(p)
        self.leaves_by_top = {top: [leaf for leaf in LEAVES if leaf.path.startswith(top)] for top in TOPS}
        self.events, self.reviews, self.users = [], [], []
        self.n_orders = 0

    # ---- users ----
    def _taste(self):
        """A sparse mixture over top-level categories (a Dirichlet(0.3) draw)."""
        weights = [self.rand.gammavariate(0.3, 1.0) + 1e-6 for _ in TOPS]
        total = sum(weights)
        return [w / total for w in weights]

    def _new_user(self, index):
        return {"user_id": f"U{index:05d}", "taste_start": self._taste(), "taste_end": self._taste(),
                "drift": self.rand.random(), "price_level": self.rand.random(),
                "brands": self.rand.sample(BRANDS, k=2),
                "n_sessions": min(60, 1 + int(self.rand.lognormvariate(2.0, 0.8))),
                "signup": START - timedelta(days=self.rand.randint(0, 700))}

    # ---- choosing what to look at ----
    def _season(self, leaf, month):
        if not leaf.peak_months:
            return 1.0
        return 4.0 if month in leaf.peak_months else 0.3

    def _pick_leaf(self, user, when):
        """Top category from the drifting taste, then a leaf weighted by its season."""
        f = user["drift"] * (when - START).days / DAYS
        taste = [(1 - f) * a + f * b for a, b in zip(user["taste_start"], user["taste_end"])]
        top = self.rand.choices(TOPS, weights=taste)[0]
        leaves = self.leaves_by_top[top]
        return self.rand.choices(leaves, weights=[self._season(leaf, when.month) for leaf in leaves])[0]

    def _pick_item(self, user, leaf):
        """An item of the leaf: long-tailed popularity, times the user's fit to its price and brand."""
        items = self.by_leaf[leaf.path]
        weights = [p.popularity * self._price_fit(user, leaf, p) * self._brand_fit(user, p) for p in items]
        return self.rand.choices(items, weights=weights)[0]

    @staticmethod
    def _price_fit(user, leaf, product):
        """exp(-z^2 / 2), z = (where the price sits in the leaf's range - the user's price level) / PRICE_WIDTH."""
        low, high = leaf.price
        z = ((product.price - low) / (high - low) - user["price_level"]) / PRICE_WIDTH
        return math.exp(-0.5 * z * z)

    @staticmethod
    def _brand_fit(user, product):
        """BRAND_LOYALTY for a product of one of the user's two favourite brands, else 1."""
        return BRAND_LOYALTY if product.brand in user["brands"] else 1.0

    # ---- writing events ----
    def _event(self, when, user, session, kind, product, order_id=""):
        self.events.append([when, user["user_id"], session, kind, product.item_id, order_id])

    def _purchase(self, when, user, session, product, followups):
        """A purchase, which may be cancelled or returned, and which schedules complements and refills."""
        self.n_orders += 1
        order_id = f"O{self.n_orders:06d}"
        self._event(when, user, session, "purchase", product, order_id)
        if self.rand.random() < MESS["cancel_rate"]:
            self._event(when + timedelta(hours=self.rand.uniform(0.2, 30)), user, session, "cancel", product, order_id)
            return
        returned = self.rand.random() < MESS["return_rate"]
        if returned:
            self._event(when + timedelta(days=self.rand.uniform(3, 20)), user, session, "return", product, order_id)
        if self.rand.random() < 0.6:
            self._review(when, user, product, returned)
        for target_path, probability, low, high in product.leaf.complements:
            fitting = compatible_with(self.listed, product, target_path)
            if fitting and self.rand.random() < probability:
                target = max(fitting, key=lambda p: p.popularity) if product.leaf.path.endswith("phones") \
                    else self.rand.choice(fitting)
                followups.append((when + timedelta(days=self.rand.uniform(low, high) + 0.1), target))
        if product.leaf.refill_days and self.rand.random() < 0.8:
            days = product.leaf.refill_days * self.rand.uniform(0.8, 1.2)
            followups.append((when + timedelta(days=days), product))

    def _session(self, user, when, session, intent, followups):
        """Views around the intended item (or a browsed leaf), then maybe a cart and a purchase."""
        leaf = intent.leaf if intent is not None else self._pick_leaf(user, when)
        browsed = [self._pick_item(user, leaf) for _ in range(self.rand.randint(1, 4))]
        if intent is not None:
            browsed.insert(self.rand.randint(0, min(1, len(browsed))), intent)
        for product in browsed:
            self._event(when, user, session, "view", product)
            when += timedelta(seconds=self.rand.randint(20, 400))
        buy_probability = 0.8 if intent is not None else 0.3
        if self.rand.random() < buy_probability:
            chosen = intent if intent is not None else self.rand.choice(browsed)
            self._event(when, user, session, "add_to_cart", chosen)
            when += timedelta(seconds=self.rand.randint(20, 600))
            if self.rand.random() < 0.85:
                self._purchase(when, user, session, chosen, followups)

    def _simulate_user(self, user):
        """Sessions at random times of the year; a due follow-up (complement, refill) becomes the session's intent."""
        end = START + timedelta(days=DAYS)
        times = sorted(START + timedelta(seconds=self.rand.uniform(0, DAYS * 86400)) for _ in range(user["n_sessions"]))
        followups = []
        while times:
            followups.sort(key=lambda pair: pair[0])
            if followups and followups[0][0] < times[0]:
                when, intent = followups.pop(0)
                if when >= end:
                    followups.clear()
                    continue
            else:
                when, intent = times.pop(0), None
            session = f"S{len(self.events):07d}"
            self._session(user, when, session, intent, followups)

    def _review(self, when, user, product, returned):
        rating_latent = product.quality + self.rand.gauss(0, 0.9) - (1.5 if returned else 0.0)
        rating = 1 + sum(rating_latent > cut for cut in (-1.4, -0.6, 0.1, 0.8))
        if self.rand.random() < MESS["empty_review_rate"]:
            text, truth = "", ("", "empty", "")
        else:  # the words come from a stream of their own, so rewording moves nothing else
            written = review_text(self.words, product, rating)
            text, truth = written.text, (written.text_rating, written.form, written.turn)
        when = min(when + timedelta(days=self.rand.uniform(2, 30)), START + timedelta(days=DAYS) - timedelta(hours=1))
        self.reviews.append({"user_id": user["user_id"], "item_id": product.item_id, "rating": rating,
                             "text": text, "timestamp": when.strftime("%Y-%m-%d %H:%M:%S"), "truth": truth})

    def _bot(self, index):
        """A crawler: thousands of views of random products within a few days, never a purchase."""
        user = self._new_user(index)
        when = START + timedelta(days=self.rand.uniform(0, DAYS - 10))
        session = f"S{len(self.events):07d}"
        for _ in range(self.rand.randint(1500, 3000)):
            self._event(when, user, session, "view", self.rand.choice(self.listed))
            when += timedelta(seconds=self.rand.randint(1, 60))
        return user

    def simulate(self):
        for index in tqdm(range(1, self.n_users + 1), desc="simulating shoppers", leave=False):
            user = self._new_user(index)
            self._simulate_user(user)
            self.users.append(user)
        for b in range(MESS["n_bots"]):
            self.users.append(self._bot(self.n_users + 1 + b))
        self.events.sort(key=lambda row: (row[0], row[1]))
        self.reviews.sort(key=lambda row: (row["timestamp"], row["user_id"]))
        return self


# ---- the mess, and writing the files ----
def _messy_category(rand, path):
    style = rand.randint(0, 3)
    if style == 0:
        return path.upper()
    if style == 1:
        return path.title()
    if style == 2:
        return "  " + path.replace(" > ", ">") + " "
    return path.replace(" > ", "  >  ")


def _event_rows(shop):
    """Event rows as strings, with duplicates, bad timestamps and messy event names planted."""
    rand = shop.rand
    rows = []
    for when, user_id, session, kind, item_id, order_id in shop.events:
        stamp = when.isoformat(" ", "seconds")  # 2023-03-14 10:22:31 (fractions of a second dropped)
        if rand.random() < MESS["bad_timestamp_rate"]:
            stamp = rand.choice(("2023-13-45 25:61:00", "not a date", "31/02/2023 10:00", "2023-06-??"))
        if rand.random() < MESS["event_case_rate"]:
            kind = rand.choice((kind.upper(), kind.title(), f" {kind} "))
        row = [stamp, user_id, session, kind, item_id, order_id]
        rows.append(row)
        if rand.random() < MESS["duplicate_event_rate"]:
            rows.append(list(row))
    return rows


def _write_csv(path, header, rows, compress=False):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    data = buffer.getvalue().encode("utf-8")
    if compress:  # mtime=0 and no file name in the header: the same bytes every time
        with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                                                            compresslevel=6) as gz:
            gz.write(data)
    else:
        with open(path, "wb") as handle:
            handle.write(data)


def write_shop(shop, out):
    """Write products.csv, users.csv, events.csv.gz, reviews.jsonl, review_truth.csv and complements.csv into `out`."""
    os.makedirs(out, exist_ok=True)
    rand = shop.rand
    product_rows = []
    for p in shop.products:
        category = _messy_category(rand, p.leaf.path) if rand.random() < MESS["category_mess_rate"] else p.leaf.path
        brand = "" if rand.random() < MESS["missing_brand_rate"] else p.brand
        price = "" if rand.random() < MESS["missing_price_rate"] else f"{p.price:.2f}"
        product_rows.append([p.item_id, p.title, category, brand, price, p.colour, p.size, p.material,
                             p.made_for, p.description])
    _write_csv(os.path.join(out, "products.csv"),
               ["item_id", "title", "category", "brand", "price", "colour", "size", "material", "made_for",
                "description"], product_rows)
    user_rows = [[u["user_id"], u["signup"].strftime("%Y-%m-%d"),
                  "" if rand.random() < MESS["missing_country_rate"] else rand.choice(COUNTRIES)]
                 for u in shop.users]
    _write_csv(os.path.join(out, "users.csv"), ["user_id", "signup_date", "country"], user_rows)
    _write_csv(os.path.join(out, "events.csv.gz"), ["timestamp", "user_id", "session_id", "event", "item_id",
                                                    "order_id"], _event_rows(shop), compress=True)
    with open(os.path.join(out, "reviews.jsonl"), "w", encoding="utf-8", newline="\n") as handle:
        for review in shop.reviews:
            public = {key: review[key] for key in ("user_id", "item_id", "rating", "text", "timestamp")}
            handle.write(json.dumps(public, ensure_ascii=True) + "\n")
    _write_csv(os.path.join(out, "review_truth.csv"), ["line", "rating", "text_rating", "form", "turn"],
               [[line, review["rating"], *review["truth"]] for line, review in enumerate(shop.reviews, start=1)])
    complement_rows = []
    for anchor in shop.listed:
        for target_path, probability, low, high in anchor.leaf.complements:
            for target in compatible_with(shop.listed, anchor, target_path):
                complement_rows.append([anchor.item_id, target.item_id, probability, low, high])
    _write_csv(os.path.join(out, "complements.csv"),
               ["anchor_item", "complement_item", "probability", "min_delay_days", "max_delay_days"],
               complement_rows)


def generate(out, seed=0, n_users=2400, n_items=None):
    """Simulate the shop with `seed` (`n_users` shoppers, about `n_items` products) and write it into `out`."""
    if n_users < 1 or (n_items is not None and n_items < len(LEAVES)):
        raise ValueError(f"generate: expected n_users >= 1 and n_items >= {len(LEAVES)} (one per leaf category), "
                         f"got n_users={n_users}, n_items={n_items}")
    write_shop(Shop(seed=seed, n_users=n_users, n_items=n_items).simulate(), out)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m minishop.data.synthetic",
        description="Generate the bundled minishop shop data (deterministic: the same seed gives the same bytes).")
    parser.add_argument("--out", default="data/shop", help="output folder (default: data/shop)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0, the committed data)")
    parser.add_argument("--users", type=int, default=2400, help="number of shoppers, bots not counted (default 2400)")
    parser.add_argument("--items", type=int, default=None,
                        help=f"about this many products (at least {len(LEAVES)}; default: 9-16 per leaf, ~380)")
    args = parser.parse_args(argv)
    try:
        generate(args.out, seed=args.seed, n_users=args.users, n_items=args.items)
    except ValueError as error:
        parser.error(str(error))
    print(f"wrote the shop to {args.out}")


if __name__ == "__main__":
    main()
