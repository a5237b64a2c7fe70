# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 2 — Cleaning and preprocessing
#
# Real shop data is messy: the same click logged twice, a date no calendar has, a crawler that "views"
# three thousand products in an afternoon, a purchase that was cancelled an hour later. A model trained on
# that learns the mess. This lesson finds the mess with pandas, fixes it step by step with `minishop.data`,
# and keeps an exact **account** of every row it removes and why — then turns the clean table into what a
# sequential recommender reads: chronological item sequences, a leakage-free split, negatives and padded
# batches.
#
# **Learning goals.** After this lesson you can
# 1. find duplicates, malformed timestamps, inconsistent labels, bots, cancellations and messy categories with pandas;
# 2. clean them with `minishop.data.preprocess`'s steps, and check the accounting $\text{rows in} = \text{rows out} + \sum_{\text{reasons}} \text{dropped}$ at every step;
# 3. explain why $k$-core filtering must be repeated until a fixed point, and write the loop;
# 4. build chronological sequences, split them leave-one-out or by time, and say where each one leaks;
# 5. sample negatives a user never touched, and left-pad sequences into a batch.
#
# **Prerequisites.** Lesson 1 (the shop's files and the interactions table); pandas boolean masks,
# `value_counts`, `groupby`; NumPy arrays.
#
# **Study time:** about 3 hours (see lessons/README.md).

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import minishop
from minishop import data
from minishop.data import preprocess
from checks import REPO_ROOT, hint, use
from checks.lesson02 import check_k_core_loop, check_n_bot_rows, check_pad_left, check_quiz

minishop.manual_seed(0)  # minishop's generator (sample_negatives uses it when no rng is given)
rng = np.random.default_rng(0)  # ours
SHOP = REPO_ROOT / "data" / "shop"

# %% [markdown]
# ## 1. Finding the mess
#
# First we look at the raw file as text, with no parsing, so that nothing is hidden from us.

# %%
raw = pd.read_csv(SHOP / "events.csv.gz", dtype=str, keep_default_na=False)  # (107265, 6), every cell a str
print(raw.shape)

# 1. exact duplicates: the same row twice (a retried log write)
print("exact duplicate rows:", int(raw.duplicated().sum()))

# 2. timestamps that do not parse in the expected format
stamps = pd.to_datetime(raw["timestamp"], format="%Y-%m-%d %H:%M:%S", errors="coerce")  # NaT when malformed
print("malformed timestamps:", int(stamps.isna().sum()), "e.g.", raw.loc[stamps.isna(), "timestamp"].unique()[:4].tolist())

# 3. one event written many ways
print("event spellings:", sorted(raw["event"].unique()))

# %% [markdown]
# Now the behavioural mess, which no parser catches. How many events does each user have?

# %%
events_per_user = raw["user_id"].value_counts()  # most active first
print(events_per_user.head(8))
buyers = set(raw.loc[raw["event"].str.strip().str.lower() == "purchase", "user_id"])
print("do the 6 busiest accounts ever buy?", [user in buyers for user in events_per_user.index[:6]])
busiest_buyer = next(user for user in events_per_user.index if user in buyers)
print(f"the busiest account that buys: {busiest_buyer} with {events_per_user[busiest_buyer]:,} events")

# %% [markdown]
# A handful of accounts have thousands of events and never buy anything, far more than the busiest account
# that does buy (printed above). These are **bots** (crawlers, price scrapers): their "views" are not interest, and they would teach the model
# that every product follows every other one.
#
# And purchases that did not stick: a `cancel` or `return` event carries the `order_id` of its purchase.

# %%
kind = raw["event"].str.strip().str.lower()
undone = raw[kind.isin(["cancel", "return"])]
print(undone["event"].str.strip().str.lower().value_counts().to_dict())
order = undone["order_id"].iloc[0]
print(raw[raw["order_id"] == order])

# %% [markdown]
# Finally the catalogue: the same category written several ways splits one category into many.

# %%
products = pd.read_csv(SHOP / "products.csv", dtype=str, keep_default_na=False)
print("distinct category strings:", products["category"].nunique())
print(products.loc[products["category"].str.contains("phones", case=False), "category"].value_counts())

# %% [markdown]
# ## 2. Loading: refuse or count, never ignore
#
# minishop's loader checks every field. By default (`errors="raise"`) it stops at the first malformed line
# and tells you exactly where it is — the right behaviour for data you did not expect to be broken:

# %%
try:
    data.load(format="shop")
except data.DataFormatError as error:
    print(error)

# %% [markdown]
# Here we know the shop has a few broken dates, so we skip them — and the report counts them:

# %%
shop = data.load(format="shop", errors="skip")
print(shop.report)

# %% [markdown]
# ## 3. Cleaning step by step, with accounting
#
# Each step in `minishop.data.preprocess` takes a table and returns `(new table, Report)`. A report says how
# many rows came in, how many went out, and how many were dropped **for each reason**; `Report.check()`
# verifies the accounting equation
#
# $$\text{rows}_\text{in} = \text{rows}_\text{out} + \sum_{r \,\in\, \text{reasons}} \text{dropped}_r .$$
#
# Chaining steps in a `PipelineReport` also checks that each step starts with the rows the previous one
# ended with, so the equation holds for the whole pipeline: nothing is ever lost silently.
#
# We start with the two label fixes, which drop nothing: event names and category paths.

# %%
pipeline = data.PipelineReport()
pipeline.add(shop.report)
frame = shop.interactions  # user, item, timestamp, event, session, order_id

frame, report = preprocess.normalise_events(frame)  # ' View ' -> 'view'
pipeline.add(report)
print(report)
print("event names now:", sorted(frame["event"].unique()))

items, category_report = preprocess.normalise_categories(shop.items)  # '  ELECTRONICS>phones ' -> 'electronics > phones'
print(category_report)
print("distinct categories:", shop.items["category"].nunique(), "->", items["category"].nunique())

# %% [markdown]
# (The note counts fewer rewritten names than section 1 counted odd spellings: the loader already strips
# the spaces around every field, so `' view'` arrives as `'view'`.)
#
# Next, exact duplicates: two identical rows are one event logged twice. Note the order of the steps —
# we normalise the event names **first**, so that `view` and `VIEW` at the same second by the same user
# are recognised as duplicates.

# %%
frame, report = preprocess.drop_missing(frame)
pipeline.add(report)
deduped, report = preprocess.deduplicate(frame)
pipeline.add(report)
print(report)

# %% [markdown]
# ### Exercise 1 — find the bots' rows yourself (1 point)
# Our rule for a bot: **a user with more than 1,000 events** (in the deduplicated table `deduped`). Set
# `n_bot_rows` to the number of rows of `deduped` that belong to such users (a Python int). Use
# `value_counts` on the `user` column, then a boolean mask. The check compares it with minishop's
# `preprocess.drop_bots`.

# %%
n_bot_rows = None  # your code here

# %%
check_n_bot_rows(n_bot_rows, deduped)

# %% [markdown]
# A threshold rule is crude — a very active real shopper could cross it, and a slow bot would not — but it is
# **stated** and **counted**, so anyone reading the report can argue with it. Checking that the flagged
# accounts never buy (section 1) is a good sanity test of such a rule.
#
# Then cancellations and returns: the purchase did not satisfy the shopper, so we drop it *and* the
# cancel/return row. Then we keep only the events a next-item model learns from, and collapse consecutive
# events of a user on the same item (view → add to cart → purchase of one product is one step of the
# history, not three).

# %%
without_bots, bots_report = preprocess.drop_bots(deduped, max_events=1000)
pipeline.add(bots_report)
frame = without_bots
for step in (preprocess.handle_cancellations, preprocess.keep_events, preprocess.collapse_repeats):
    frame, report = step(frame)
    pipeline.add(report)
    print(report)

# %% [markdown]
# ## 4. $k$-core filtering: repeat until nothing changes
#
# A user with two events, or an item bought once, gives a model almost nothing to learn from and makes
# evaluation noisy. A **$k$-core** keeps only users with at least $k_u$ interactions and items with at least
# $k_i$. The catch: dropping rare items shortens some users' histories below $k_u$; dropping those users makes
# some items rare again. One pass is not enough. The filter is repeated until a **fixed point**, where every
# remaining user and item satisfies its minimum.
#
# With $k = 20$ on our cleaned table, one pass (items, then users) leaves items below 20:

# %%
k = 20
item_count = frame["item"].map(frame["item"].value_counts())  # (rows,) the count of each row's item
one_pass = frame[item_count >= k]
user_count = one_pass["user"].map(one_pass["user"].value_counts())
one_pass = one_pass[user_count >= k]
print("after one pass: items with fewer than", k, "rows:", int((one_pass["item"].value_counts() < k).sum()),
      "| users:", int((one_pass["user"].value_counts() < k).sum()))

# %% [markdown]
# ### Exercise 2 — $k$-core to a fixed point (2 points)
# Write `k_core_loop(frame, k)` that repeats the pass above (drop rows of items with fewer than `k` rows,
# then rows of users with fewer than `k` rows) **until a pass removes nothing**, and returns the filtered
# table (keep pandas' index: do not reset it). The check compares the rows you keep with minishop's
# `preprocess.k_core` for $k = 20$ and $k = 5$.

# %%
def k_core_loop(frame, k):
    """Rows of `frame` left when every item and every user has at least k rows."""
    return None  # your code here


# %%
check_k_core_loop(k_core_loop, frame)

# %% [markdown]
# (The result does not depend on whether a pass filters users or items first: the $k$-core is the *largest*
# sub-table in which everybody meets the minimum, and both orders converge to it.)
#
# The shop's default is a gentle 3-core. minishop's step reports how many rounds it took:

# %%
frame, report = preprocess.k_core(frame, min_user_count=3, min_item_count=3)
pipeline.add(report)
print(report)

# %% [markdown]
# ## 5. The whole account
#
# Every row of the file is either in the clean table or counted under a reason. `PipelineReport.check()`
# verifies it, and `data.prepare()` runs the same pipeline in one call:

# %%
pipeline.check()
dropped = pipeline.dropped  # {"step: reason": rows}
print(f"{pipeline.rows_in:,} rows in = {pipeline.rows_out:,} out + {sum(dropped.values()):,} dropped")
prepared = data.prepare()  # load, clean, 3-core, remap ids, sequences, leave-one-out split
print("prepare() keeps the same rows:", prepared.report.rows_out == pipeline.rows_out)

steps = [r for r in pipeline.steps if r.n_dropped]  # a waterfall: one bar per step that dropped rows
fig, ax = plt.subplots(figsize=(10, 4))
for i, r in enumerate(steps):
    ax.bar(i, r.rows_out, color="tab:blue")
    ax.bar(i, r.n_dropped, bottom=r.rows_out, color="tab:red")
    ax.text(i, r.rows_in, f"−{r.n_dropped:,}", ha="center", va="bottom", fontsize=9)
ax.bar(len(steps), pipeline.rows_out, color="tab:green")
ax.set_xticks(range(len(steps) + 1), [r.step.split(" (")[0] for r in steps] + ["clean"], rotation=20, ha="right")
ax.set_ylabel("rows")
ax.set_title("Where the rows went: kept (blue), dropped by each step (red)")
plt.tight_layout()
plt.show()
largest = sorted(steps, key=lambda r: r.n_dropped, reverse=True)
for r in largest[:2]:
    print(f"{r.step}: {r.n_dropped:,} rows, {r.n_dropped / pipeline.rows_in:.0%} of the raw rows")

# %% [markdown]
# The two biggest cuts are printed above: collapsing consecutive repeats (a user viewing, carting and
# buying one product is one step, not three) and the bots — a handful of accounts with a large share of
# the raw rows.
#
# ## 6. From rows to sequences
#
# A model wants integers, not `"U00017"` and `"P0042"`. `remap_ids` gives users and items contiguous ids
# starting at **1** — id 0 is kept for *padding* — and `to_sequences` sorts each user's rows by time
# (a *stable* sort: events with the same timestamp keep their file order) into a list, oldest first.

# %%
table, user_ids, item_ids, report = data.remap_ids(frame)
sequences = data.to_sequences(table)  # {user index: [item index, ...]}, oldest first
print(report)
user = 1
print(f"user {user} ({user_ids.ids[user]}):", sequences[user][:12], "...")
print("decoded:", item_ids.decode(sequences[user][:5]))
print("same sequences as prepare():", sequences == prepared.sequences)

lengths = np.array([len(s) for s in sequences.values()])  # (n_users,)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.hist(lengths, bins=np.logspace(np.log10(3), np.log10(lengths.max() + 1), 30))
ax.set_xscale("log")
ax.axvline(np.median(lengths), color="k", ls=":", label=f"median {np.median(lengths):.0f}")
ax.set_xlabel("sequence length (items)")
ax.set_ylabel("users")
ax.set_title("History lengths are long-tailed too")
ax.legend()
plt.show()

# %% [markdown]
# ## 7. Splits, and why leakage matters
#
# We evaluate a recommender by hiding an interaction and asking the model to predict it. If information
# about the hidden interaction reaches the training data, the score measures memory, not prediction:
# that is **leakage**, and it makes offline results look better than the model will do in the shop.
#
# **Leave-one-out** (used by SASRec and most sequential-recommendation papers): for each user with
# $n \ge 3$ items, the last item is the test target, the one before it the validation target, and the first
# $n-2$ are training input. To predict the test item the model reads everything before it.

# %%
split = data.leave_one_out(sequences, n_items=len(item_ids))
print(split)
history = sequences[user]
print("train + [valid] + [test] is the whole history:", split.train[user] + [split.valid[user], split.test[user]] == history)
print("input to predict the test item:", (split.train[user] + [split.valid[user]])[-6:], "-> target", split.test[user])

# %% [markdown]
# The test *event* is never part of the training input. The test *item* may still appear earlier in the
# same history, and that is fine: a shopper who bought coffee beans in March and again in May has the March
# purchase in their past for real (refills are something the model should learn).

# %%
last_in_train = sum(split.test[u] in split.train[u] for u in split.test)
print(f"test item seen earlier in the user's own history: {last_in_train:,} of {len(split.test):,} users")

# %% [markdown]
# Leave-one-out has a subtler leak: it cuts **each user's** timeline, not the shop's. A user's last event
# may be in March while other users' training events run until December, so the model is trained on the
# shop's future — next season's bestsellers — relative to many test events. Let us measure it:

# %%
ordered = table.sort_values(["user_idx", "timestamp"], kind="stable")
from_end = ordered.groupby("user_idx").cumcount(ascending=False)  # 0 = the user's last event
train_times = np.sort(ordered.loc[from_end >= 2, "timestamp"].to_numpy())  # (n_train,)
test_times = ordered.loc[from_end == 0, "timestamp"].to_numpy()  # (n_users,)
later = 1 - np.searchsorted(train_times, test_times, side="right") / len(train_times)  # (n_users,)
print(f"test events with training rows after them: {np.mean(later > 0):.1%}; "
      f"on average {later.mean():.1%} of the training rows are later than the test event")

# %% [markdown]
# A **temporal split** cuts the shop's timeline once: everything before a date trains, the next period
# validates, the last period tests. Nothing in training happens after anything in test — at a price: some
# test users have no history in training at all (*cold start*), and there is less training data.

# %%
train_rows, valid_rows, test_rows, (valid_start, test_start) = data.temporal_split(table, 0.1, 0.1)
print(f"train until {valid_start}, validate until {test_start}, test after")
print("latest training row is before the first test row:", train_rows["timestamp"].max() < test_rows["timestamp"].min())
print("test users with no training history:", len(set(test_rows["user"]) - set(train_rows["user"])), "of",
      test_rows["user"].nunique())

# %% [markdown]
# Both splits are used; what matters is to say which, and to compare models on the same one. minishop
# uses leave-one-out by default because published results (lesson 9) use it.
#
# ## 8. Negative sampling
#
# Many losses and the *sampled* metrics contrast the true next item with items the user did **not** interact
# with, called **negatives**. Drawing them uniformly from the catalogue is cheap; drawing them in proportion to
# popularity gives harder negatives. `sample_negatives` draws `n` per user and rejects any item in the user's
# own history:

# %%
users = [1, 2, 3]
positives = [set(sequences[u]) for u in users]  # each user's own items (forbidden as negatives)
negatives = data.sample_negatives(positives, n_items=len(item_ids), n_negatives=6, rng=rng)  # (3, 6)
print(negatives)
print("no negative is in its user's history:", all(not set(row) & pos for row, pos in zip(negatives.tolist(), positives)))
weights = data.popularity(sequences.values(), n_items=len(item_ids))  # (n_items + 1,), 0 for padding
hard = data.sample_negatives(positives, len(item_ids), 6, rng=rng, weights=weights)
print("mean popularity of uniform negatives:", weights[negatives].mean().round(1),
      "| of popularity-sampled ones:", weights[hard].mean().round(1))

# %% [markdown]
# ## 9. Left padding: a batch of histories
#
# A batch is a rectangle `(B, T)`, but histories have different lengths. We keep each history's **last**
# $T$ items (the recent past predicts the next item best) and fill the front with the padding id 0. Padding
# on the **left** puts every user's most recent item in the last column, where a causal model reads it
# (lesson 5's padding mask hides the zeros).
#
# ### Exercise 3 — `pad_left` by hand (2 points)
# Write `pad_left(sequences, max_len)` returning an int64 array `(len(sequences), max_len)`: row $b$
# holds the last `max_len` items of `sequences[b]` right-aligned, with 0 before them. It is checked against
# `minishop.data.pad_left`, including an empty history and one longer than `max_len`.

# %%
def pad_left(sequences, max_len):
    """(B, max_len) int64, left-padded with 0; long sequences keep their last max_len items."""
    return None  # your code here


# %%
check_pad_left(pad_left, [split.train[u] for u in (1, 2, 3, 4)])

# %% [markdown]
# A batch of eight shoppers' histories, left-padded to $T = 12$ with your `pad_left` (or minishop's): each
# row is one shopper, the most recent item is in the last column, and the grey cells are padding (id 0).

# %%
pad_left = use("pad_left", data.pad_left, yours=pad_left)
batch = pad_left([split.train[u] for u in range(1, 9)], 12)  # (B=8, T=12)
fig, ax = plt.subplots(figsize=(8, 3.6))
ax.imshow(batch == 0, cmap="Greys", vmin=0, vmax=2.5, aspect="auto")
for (b, t), item in np.ndenumerate(batch):
    ax.text(t, b, str(item) if item else "pad", ha="center", va="center", fontsize=7,
            color="gray" if item == 0 else "black")
ax.set_xticks(range(12), [f"t-{11 - t}" if t < 11 else "latest" for t in range(12)], fontsize=7)
ax.set_yticks(range(8), [f"shopper {u}" for u in range(1, 9)], fontsize=7)
ax.set_title("left padding: every history ends in the last column")
plt.show()

# %% [markdown]
# ## Quiz (3 points)
# 1. After every cleaning step, the pipeline checks (a) that no row was dropped; (b) that the ids start at 1;
#    (c) rows in = rows out + rows dropped, by reason.
# 2. One pass of a $k$-core filter (items, then users) (a) always reaches the $k$-core; (b) can leave items
#    below $k$, so it is repeated until nothing changes; (c) drops every user with fewer than $k$ items only.
# 3. Leave-one-out trains on (a) other users' later events, which a temporal split avoids; (b) the test event
#    itself; (c) nothing after the year 2023.
#
# Answer with letters, e.g. `{"1": "a", "2": "a", "3": "a"}`.

# %%
answers = {"1": None, "2": None, "3": None}  # your answers here

# %%
check_quiz(answers)

# %% [markdown]
# ## Reflection
# 1. The bot rule is "more than 1,000 events". Name one real shopper it would wrongly drop and one bot it
#    would miss. What other signal from section 1 could make the rule better?
# 2. Why pad on the left rather than on the right for a model that predicts the next item?
#
# ## Summary
# - Look at the raw data as text first: duplicates, unparseable dates, inconsistent labels, bots and undone
#   purchases are all visible with a few pandas lines.
# - Clean with small, named steps that **count** what they drop: $\text{rows in} = \text{rows out} +
#   \sum \text{dropped}$, checked at every step and for the whole pipeline.
# - $k$-core filtering must be iterated to a fixed point.
# - Sequences are chronological (stable sort); ids start at 1, 0 is padding.
# - Leave-one-out never trains on the test event but trains on other users' future; a temporal split avoids
#   that at the cost of cold-start users. Say which one you use.
# - Negatives are items the user never touched; batches are left-padded.
# - **Yours from now on:** `pad_left` (the padded batch above already ran it, if it passed).
#
# **Next:** lesson 3 turns text into tokens — and items into tokens of their own.
