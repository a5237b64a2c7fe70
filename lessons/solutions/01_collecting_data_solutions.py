# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 1 — Collecting e-commerce data: solutions
#
# The solved exercises of `01_collecting_data.ipynb`, each with the setup it needs and the same check as
# the lesson. Try the exercises first!

# %%
import json
import os
import sqlite3
import sys
import tempfile

sys.path.insert(0, "..")  # lessons/, where checks.py lives (this notebook runs in lessons/solutions/)
import minishop
from minishop import data
from checks import REPO_ROOT, check_close, check_equal

minishop.manual_seed(0)
SHOP = REPO_ROOT / "data" / "shop"

# %% [markdown]
# ### Exercise 1 — read JSON Lines by hand

# %%
ratings = []
with open(SHOP / "reviews.jsonl", encoding="utf-8") as handle:
    for line in handle:
        if line.strip():  # a blank line holds no record
            ratings.append(json.loads(line)["rating"])
mean_rating = sum(ratings) / len(ratings)

# %%
shop = data.load(format="shop", errors="skip")  # minishop's loader for the whole shop folder
check_close(mean_rating, shop.reviews["rating"].mean(), name="mean_rating",
            hint="open the file, loop over its lines, json.loads each one, collect record['rating'], then average")

# %% [markdown]
# ### Exercise 2 — count order lines by status, in SQL

# %%
workdir = tempfile.TemporaryDirectory()
db_path = os.path.join(workdir.name, "shop.db")
data.write_shop_sqlite(db_path)
connection = sqlite3.connect(db_path)

query = """
    SELECT o.status, COUNT(*)
    FROM order_items AS oi
    JOIN orders AS o USING (order_id)
    WHERE datetime(o.created_at) IS NOT NULL
    GROUP BY o.status"""
status_counts = dict(connection.execute(query).fetchall())

# %%
from_sqlite = data.load(db_path, format="sqlite", errors="skip")  # minishop reads the same database
check_equal(status_counts, from_sqlite.interactions["status"].value_counts().to_dict(), name="status_counts",
            hint="SELECT o.status, COUNT(*) FROM order_items AS oi JOIN orders AS o USING (order_id) "
                 "WHERE datetime(o.created_at) IS NOT NULL GROUP BY o.status")

# %%
connection.close()
workdir.cleanup()
