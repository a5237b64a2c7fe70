# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 2 — Cleaning and preprocessing: solutions
#
# The solved exercises of `02_cleaning_preprocessing.ipynb`, each with the setup it needs and the same
# check as the lesson. Try the exercises first!

# %%
import sys

import numpy as np

sys.path.insert(0, "..")  # lessons/, where checks.py lives (this notebook runs in lessons/solutions/)
import minishop
from minishop import data
from minishop.data import preprocess
from checks import check_equal, check_function, check_true

minishop.manual_seed(0)
rng = np.random.default_rng(0)

shop = data.load(format="shop", errors="skip")
frame, _ = preprocess.normalise_events(shop.interactions)
frame, _ = preprocess.drop_missing(frame)
deduped, _ = preprocess.deduplicate(frame)

# %% [markdown]
# ### Exercise 1 — find the bots' rows yourself

# %%
counts = deduped["user"].value_counts()  # events per user
bots = counts[counts > 1000].index
n_bot_rows = int(deduped["user"].isin(bots).sum())

# %%
without_bots, bots_report = preprocess.drop_bots(deduped, max_events=1000)
check_equal(n_bot_rows, bots_report.n_dropped, name="n_bot_rows",
            hint="counts = deduped['user'].value_counts(); bots = counts[counts > 1000].index; "
                 "then deduped['user'].isin(bots).sum()")

# %% [markdown]
# ### Exercise 2 — $k$-core to a fixed point

# %%
frame = without_bots
for step in (preprocess.handle_cancellations, preprocess.keep_events, preprocess.collapse_repeats):
    frame, _ = step(frame)


def k_core_loop(frame, k):
    """Rows of `frame` left when every item and every user has at least k rows."""
    while True:
        rare_item = frame["item"].map(frame["item"].value_counts()) < k  # (rows,)
        frame = frame[~rare_item]
        rare_user = frame["user"].map(frame["user"].value_counts()) < k
        frame = frame[~rare_user]
        if not rare_item.any() and not rare_user.any():
            return frame  # a pass removed nothing: fixed point


# %%
expected_20, _ = preprocess.k_core(frame, min_user_count=20, min_item_count=20)
expected_5, _ = preprocess.k_core(frame, min_user_count=5, min_item_count=5)
same_rows = lambda ours, theirs: ours.index.sort_values().equals(theirs.index.sort_values())
check_true(k_core_loop(frame, 20), lambda kept: same_rows(kept, expected_20) and same_rows(k_core_loop(frame, 5), expected_5),
           "your k-core keeps different rows from minishop's preprocess.k_core (for k=20 or k=5)",
           name="k_core_loop", hint="wrap the pass in `while True:` and `break` when neither mask removed a row")

# %% [markdown]
# ### Exercise 3 — `pad_left` by hand

# %%
frame, _ = preprocess.k_core(frame, min_user_count=3, min_item_count=3)
table, user_ids, item_ids, _ = data.remap_ids(frame)
split = data.leave_one_out(data.to_sequences(table), n_items=len(item_ids))


def pad_left_numpy(sequences, max_len):
    """(B, max_len) int64, left-padded with 0; long sequences keep their last max_len items."""
    out = np.zeros((len(sequences), max_len), dtype=np.int64)  # (B, T)
    for b, items in enumerate(sequences):
        tail = list(items)[-max_len:]  # the most recent max_len items
        out[b, max_len - len(tail):] = tail
    return out


# %%
cases = [[[5, 6, 7], [8], []], [split.train[u] for u in (1, 2, 3, 4)], [list(range(1, 30))]]
check_function(pad_left_numpy, [((seqs, T), data.pad_left(seqs, T)) for seqs, T in zip(cases, (4, 10, 7))],
               hint="np.zeros((B, max_len), dtype=np.int64); for each row, tail = seq[-max_len:], "
                    "then out[b, max_len - len(tail):] = tail")
