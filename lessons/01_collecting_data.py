# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 1 — Collecting e-commerce data
#
# A recommender is only as good as what it learns from. A real shop keeps its data in several places:
# a **catalogue** exported as a spreadsheet, **click logs** written by the web servers, **reviews** stored as
# JSON documents, and **orders** in the transactional database behind the checkout. Before any model, we
# have to collect these sources, understand what each one says about a shopper, and bring them into one
# common table: *who* did *what* to *which item* *when*.
#
# We use minishop's bundled shop (`data/shop/`): a simulated store with a year of activity, small enough
# to load in a second and messy on purpose (lesson 2 cleans it).
#
# **Learning goals.** After this lesson you can
# 1. read CSV, gzip-compressed CSV and JSON Lines files with pandas and the standard library, and say what each of the shop's files holds;
# 2. build a SQLite database of orders, query it with SQL (`GROUP BY`, `JOIN`), and load it with `minishop.data.load(format="sqlite")`;
# 3. describe the common **interactions table** (user, item, timestamp, event) that every minishop loader returns, and read a loader's report;
# 4. see two facts that shape every recommender — long-tailed item popularity and seasonality — in plots;
# 5. name the public datasets minishop can read (`minishop.data.registry`) and their licenses.
#
# **Prerequisites.** Python; a first look at pandas (`read_csv`, `value_counts`, `groupby`). No SQL needed:
# we explain the few statements we use.
#
# **Study time:** about 2 hours (see lessons/README.md).

# %%
import json
import os
import sqlite3
import tempfile

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import minishop
from minishop import data
from minishop.data import registry
from checks import REPO_ROOT, hint
from checks.lesson01 import check_mean_rating, check_quiz, check_status_counts

minishop.manual_seed(0)  # nothing here is random, but every lesson starts the same way
SHOP = REPO_ROOT / "data" / "shop"  # the bundled shop (see data/README.md, its data card)
for path in sorted(SHOP.iterdir()):
    print(f"{path.name:18s} {path.stat().st_size / 1024:8.0f} KiB")

# %% [markdown]
# **How the exercises work (in every lesson).** An exercise is a cell where you replace `None` with your
# code, followed by a check cell. Until you write something the check says "not attempted yet" and gives a
# first hint; a wrong answer says what is wrong; a right one says "Correct!" and earns the exercise's
# points. `hint("mean_rating", 2)` shows the next hint of an exercise, and so on — the full answers are
# only in `solutions/`. From lesson 2 on, a function of yours that passes its check is saved, and later
# cells and lessons run **your** code instead of the library's (they say which); lesson 13 trains a
# recommender built from your pieces. Each lesson ends with a short quiz.
#
# ## 1. The catalogue: `products.csv`
#
# One row per product. The catalogue says what an item **is** — its title, category path, brand, price and a
# description. It says nothing about who likes it; that comes from the events. We read every column as text
# (`dtype=str`) and keep empty cells as `""` (`keep_default_na=False`): at the collecting stage we want to
# *see* the data as it is, not let pandas guess types and silently turn odd cells into `NaN`.

# %%
products = pd.read_csv(SHOP / "products.csv", dtype=str, keep_default_na=False)
print(products.shape, "columns:", list(products.columns))
products.head(3)

# %%
print(products.loc[0, "description"])
print()
print("top-level categories:", products["category"].str.split(">").str[0].str.strip().str.lower().value_counts().to_dict())

# %% [markdown]
# ## 2. Shoppers: `users.csv`
#
# One row per account: an id, a sign-up date and a country. In a real shop this table holds personal data
# (name, address, e-mail): a recommender needs **none** of it, only a stable id. Lesson 12 comes back to
# this. Here the ids are already pseudonyms (`U00001`, …).

# %%
users = pd.read_csv(SHOP / "users.csv", dtype=str, keep_default_na=False)
print(users.shape)
print(users.head(3))
print("accounts with no country:", int((users["country"] == "").sum()))

# %% [markdown]
# ## 3. The click log: `events.csv.gz`
#
# The richest source: every **view** of a product page, every **add to cart**, every **purchase**, and the
# **cancel** and **return** events that undo a purchase. Each row is one event; a `session_id` groups the
# events of one visit, and an `order_id` ties a purchase to its cancel or return. The file is gzip-compressed
# (pandas decompresses `.gz` on the fly). Logs are the *implicit feedback* of a shop: nobody rated anything,
# but a view says "interested", a purchase says "wanted it enough to pay".

# %%
events = pd.read_csv(SHOP / "events.csv.gz", dtype=str, keep_default_na=False)
print(events.shape)
print(events.head())
print(events["event"].value_counts().head(8))

# %% [markdown]
# Already a taste of lesson 2: besides `view` there are `View`, `VIEW` and `' view'` — the same event written
# by different versions of the logging code. For now we only note it.
#
# ## 4. Reviews: `reviews.jsonl` (JSON Lines)
#
# Reviews are *explicit* feedback: a rating from 1 to 5 and a text. They are stored as **JSON Lines**: one
# JSON object per line. The format is popular for logs and exports (Amazon's review datasets use it) because
# a program can read it one line at a time, append to it without rewriting the file, and a damaged line
# spoils only itself. Let us read it with nothing but the standard library:

# %%
with open(SHOP / "reviews.jsonl", encoding="utf-8") as handle:
    first_lines = [next(handle) for _ in range(3)]
print(first_lines[1])
record = json.loads(first_lines[1])  # one line -> one Python dict
print(type(record).__name__, record["rating"], repr(record["text"][:60]))

# %% [markdown]
# ### Exercise 1 — read JSON Lines by hand (1 point)
# Read **every** line of `reviews.jsonl` with `open` and `json.loads` (no pandas), and set `mean_rating` to
# the average of the `rating` fields over all reviews (a Python float). The check compares it with the
# reviews table that `minishop.data.load` builds.

# %%
mean_rating = None  # your code here

# %%
check_mean_rating(mean_rating)

# %% [markdown]
# The check compared your mean with the reviews table of minishop's loader for the whole shop folder,
# which we keep for the rest of the lesson:

# %%
shop = data.load(format="shop", errors="skip")  # catalogue, events and reviews in minishop's common tables
print("tables:", {name: len(getattr(shop, name)) for name in ("items", "interactions", "reviews")})

# %% [markdown]
# pandas reads JSON Lines directly too: `pd.read_json(path, lines=True)`.

# %%
reviews = pd.read_json(SHOP / "reviews.jsonl", lines=True)
print(reviews.shape)
print(reviews["rating"].value_counts().sort_index().to_dict())
print("reviews with an empty text:", int((reviews["text"] == "").sum()))

# %% [markdown]
# ## 5. Orders in a SQL database
#
# The checkout of a real shop does not write CSV files: it writes **orders** into a relational database,
# and you collect them with SQL. `minishop.data.write_shop_sqlite` builds such a database from the bundled
# shop, with three tables:
#
# | table | columns | one row per |
# |---|---|---|
# | `products` | item_id, title, category | product |
# | `orders` | order_id, user_id, created_at, status (`completed`, `cancelled`, `returned`) | order |
# | `order_items` | order_id, item_id, quantity, price | line of an order |
#
# We write it into a temporary folder (it disappears at the end of the lesson) and open it with Python's
# built-in `sqlite3` module.

# %%
workdir = tempfile.TemporaryDirectory()
db_path = os.path.join(workdir.name, "shop.db")
data.write_shop_sqlite(db_path)
connection = sqlite3.connect(db_path)
print("tables:", [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")])
print(pd.read_sql_query("SELECT * FROM orders LIMIT 3", connection))

# %% [markdown]
# Three SQL clauses are enough for this lesson:
# - `SELECT columns FROM table WHERE condition` picks rows and columns;
# - `GROUP BY column` with `COUNT(*)`, `SUM(x)` aggregates the rows of each group;
# - `JOIN other USING (key)` glues rows of two tables that share a key — here an order to its lines and a line
#   to its product.
#
# Revenue by top-level category, over completed orders only:

# %%
revenue = pd.read_sql_query("""
    SELECT lower(trim(substr(p.category, 1, instr(p.category, '>') - 1))) AS top_category,  -- before the first '>'
           COUNT(*)                     AS order_lines,
           ROUND(SUM(oi.quantity * oi.price), 2) AS revenue_eur
    FROM orders AS o
    JOIN order_items AS oi USING (order_id)
    JOIN products AS p USING (item_id)
    WHERE o.status = 'completed'
    GROUP BY top_category
    ORDER BY revenue_eur DESC""", connection)
revenue

# %% [markdown]
# Why `lower(trim(...))`? Without it `electronics`, `ELECTRONICS` and `  electronics` come out as three
# categories: the catalogue's messy category names followed the products into the database (remove the two
# functions and run the cell again to see it). Lesson 2 cleans them properly.
#
# SQLite has date functions: `datetime(text)` returns the date-time, or `NULL` when the text is not a valid
# one. That lets us find the orders whose `created_at` is broken:

# %%
print(connection.execute("SELECT order_id, created_at FROM orders WHERE datetime(created_at) IS NULL").fetchall())

# %% [markdown]
# ### Exercise 2 — count order lines by status, in SQL (2 points)
# Write **one** SQL query that counts the rows of `order_items` for each `status` of their order (join
# `order_items` with `orders`), keeping only orders whose `created_at` SQLite can read
# (`datetime(created_at) IS NOT NULL`). Put the result in `status_counts`, a dict like
# `{"completed": ..., "cancelled": ..., "returned": ...}` (`dict(connection.execute(query).fetchall())`
# turns rows of two columns into one). The check compares it with what minishop's SQLite loader reads.

# %%
status_counts = None  # your code here

# %%
check_status_counts(status_counts, db_path)  # compared with what minishop's SQLite loader reads

# %%
from_sqlite = data.load(db_path, format="sqlite", errors="skip")  # minishop reads the same database (section 6)

# %% [markdown]
# ## 6. One table for every source: the interactions table
#
# Catalogue, logs, reviews and orders answer different questions, but a sequential recommender needs only
# one thing from them: for each shopper, the items they touched, **in time order**. So every minishop loader
# (`data.load(path, format=...)`, with formats `data.FORMATS`) returns a `LoadResult` whose
# `.interactions` is a pandas table with at least the columns
#
# | user | item | timestamp | event |
# |---|---|---|---|
#
# plus whatever else the source has (a session, an order id, a status, a price), `.items` with the item
# metadata, and a **report** that accounts for every line it read: *rows in = rows kept + rows dropped, by
# reason*. Here are the two tables we loaded, side by side:

# %%
print("formats minishop can load:", data.FORMATS)
print("\nfrom the shop folder:", list(shop.interactions.columns))
print(shop.interactions.head(3))
print("\nfrom the SQLite orders:", list(from_sqlite.interactions.columns))
print(from_sqlite.interactions.head(3))

# %% [markdown]
# Both loaders refused the rows whose date they could not read, and said so (`errors="skip"`; with the
# default `errors="raise"` they stop at the first bad line and name its file, line and column):

# %%
print(shop.report)
print()
print(from_sqlite.report)

# %% [markdown]
# What each source holds, in one place:
#
# | source | kind of feedback | tells us |
# |---|---|---|
# | catalogue (CSV) | — | what an item *is*: text, category, price |
# | click log (CSV.gz) | implicit | interest (view), intent (cart), choice (purchase), regret (cancel/return) |
# | reviews (JSON Lines) | explicit | satisfaction (rating) and why (text) |
# | orders (SQL) | implicit, reliable | what was paid for, and its status |
#
# and how much of each the shop has:

# %%
print(f"catalogue: {len(products):,} products | click log: {len(events):,} events | "
      f"reviews: {len(reviews):,} | order lines: {len(from_sqlite.interactions):,}")

# %% [markdown]
# Views are plentiful and noisy; purchases are rare and reliable. Sequential recommenders usually train on
# all of them in order, which is what `minishop.data.prepare()` does (lesson 2).
#
# ## 7. Two facts to see before modelling
#
# **Popularity is long-tailed.** A few products get most of the attention. If we rank the items by number of
# events and plot count against rank on log–log axes, we get a falling curve: the *head* (the bestsellers)
# and a long *tail*. A recommender that only suggests the head is accurate on average and useless for
# discovery (lesson 9 measures this).

# %%
item_counts = shop.interactions["item"].value_counts()  # (n_items,) sorted, most popular first
top10_share = item_counts.iloc[: len(item_counts) // 10].sum() / item_counts.sum()
print(f"{len(item_counts)} items with events; the top 10% get {top10_share:.0%} of all events")

# seasonality: add-to-carts and purchases per month for three seasonal leaves of the catalogue
# (carts and purchases rather than views: the shop's bots view random pages, lesson 2 finds them)
categories = shop.items.set_index("item")["category"].str.lower().str.replace(" ", "")  # "home>heaters"
wanted = shop.interactions[shop.interactions["event"].str.lower().isin(["add_to_cart", "purchase"])]
month = wanted["timestamp"].dt.month
leaf = wanted["item"].map(categories)

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
left.loglog(np.arange(1, len(item_counts) + 1), item_counts.to_numpy(), ".-")
left.set_xlabel("item rank (1 = most popular)")
left.set_ylabel("number of events")
left.set_title("Long-tailed popularity")
for name in ["home>heaters", "home>fans", "beauty>sunscreen"]:
    monthly = month[leaf == name].value_counts().reindex(range(1, 13), fill_value=0)  # (12,)
    right.plot(monthly.index, monthly.to_numpy(), "o-", label=name.replace(">", " > "))
right.set_xticks(range(1, 13), list("JFMAMJJASOND"))
right.set_xlabel("month of 2023")
right.set_ylabel("add-to-carts + purchases")
right.set_title("Seasonality")
right.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# Heaters sell in winter, fans and sunscreen in summer: *when* a shopper visits matters, and a model that
# reads histories in time order can pick it up. It also warns us for lesson 2: a test set taken from
# December looks different from a training set taken from July.
#
# ## 8. Real public datasets
#
# The same loaders read public e-commerce datasets. `minishop.data.registry` is a registry that records, for
# each one, where to get it, which `format` to pass to `data.load`, and its **license** — check it before you
# use a dataset, and cite its authors. Nothing is downloaded unless you call `registry.download(name)`
# (we do not, in a lesson); some datasets need a login and must be fetched by hand.

# %%
datasets_table = pd.DataFrame([{"name": d.name, "format": d.format, "manual download": d.manual,
                                "license": d.license[:48]} for d in registry.REGISTRY.values()])
datasets_table

# %%
print(registry.info("amazon-games").description)
# path = registry.download("amazon-games")             # ~5 MB, into ~/.cache/minishop (not run here)
# prepared = data.prepare(path, format="sasrec")

# %%
connection.close()
workdir.cleanup()

# %% [markdown]
# ## Quiz (3 points)
# 1. The click log's `event` column holds `view`, `View`, `VIEW` and `' view'`. For now they are (a) four
#    different events; (b) one event written four ways, to be cleaned in lesson 2; (c) an error in pandas.
# 2. To count order lines per order status you need (a) the `orders` table only; (b) `products` and
#    `orders`; (c) `order_items` joined with `orders`.
# 3. Every minishop loader returns (a) one interactions table (user, item, timestamp, event, …) and a report;
#    (b) one table per source file; (c) a trained model.
#
# Answer with letters, e.g. `{"1": "a", "2": "a", "3": "a"}`.

# %%
answers = {"1": None, "2": None, "3": None}  # your answers here

# %%
check_quiz(answers)

# %% [markdown]
# ## Reflection
# 1. The shop logs views, carts and purchases. Which of them would you trust most as a sign that a shopper
#    liked an item, and which are the most plentiful? What does that trade-off mean for a recommender?
# 2. A loader's report says it skipped some rows. Why is it better to count and report them than to drop
#    them silently, or to stop at the first bad row?
#
# ## Summary
# - A shop's data lives in several sources: a **catalogue** (what items are), **event logs** (implicit
#   feedback), **reviews** (explicit feedback) and **orders** in a SQL database.
# - CSV, gzip-compressed CSV and JSON Lines read in one line each with pandas; JSON Lines also line by line
#   with `json.loads`. SQL `JOIN` and `GROUP BY` collect orders from a database.
# - Every minishop loader returns the same **interactions table** (user, item, timestamp, event, …) and a
#   report that accounts for every row it did not keep.
# - Popularity is long-tailed and behaviour is seasonal — both matter for how we split and evaluate.
#
# **Next:** lesson 2 finds the mess in these files — duplicates, broken timestamps, bots, cancellations —
# and cleans it step by step, without losing a single row unaccounted for.
