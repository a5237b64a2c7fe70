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

sys.path.insert(0, "..")  # lessons/, where the checks package lives (this notebook runs in lessons/solutions/)
import minishop
from minishop import data
from checks import REPO_ROOT
from checks.lesson01 import check_mean_rating, check_quiz, check_status_counts

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
check_mean_rating(mean_rating)

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
check_status_counts(status_counts, db_path)  # compared with what minishop's SQLite loader reads

# %%
connection.close()
workdir.cleanup()

# %% [markdown]
# ## Quiz

# %%
answers = {"1": "b", "2": "c", "3": "a"}

# %%
check_quiz(answers)

# %% [markdown]
# ## Reflection — answers
# 1. **Trust versus volume.** A purchase (or a good review) is the strongest sign of liking, but the rarest;
#    views are plentiful but weak (a view may end in "no, thanks"). A recommender trained on purchases alone
#    has little data per shopper; one trained on views learns what people *look at*. Most systems use the
#    plentiful signal to learn and the strong one to evaluate, or weight the events.
# 2. **Count, don't hide.** A silent drop changes the data without anyone knowing (a bug that loses 30 % of
#    the rows looks like a smaller shop); stopping at the first bad row makes a real, always slightly messy
#    file unusable. Counting each dropped row by reason keeps the data usable AND makes the loss visible, so
#    it can be checked: rows in = rows kept + rows dropped.
