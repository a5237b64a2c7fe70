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

sys.path.insert(0, "..")  # lessons/, where the checks package lives (this notebook runs in lessons/solutions/)
import minishop
from minishop import data
from minishop.data import preprocess
from checks.lesson02 import check_k_core_loop, check_n_bot_rows, check_pad_left, check_quiz

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
check_n_bot_rows(n_bot_rows, deduped)

# %% [markdown]
# ### Exercise 2 — $k$-core to a fixed point

# %%
frame, _ = preprocess.drop_bots(deduped, max_events=1000)
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
check_k_core_loop(k_core_loop, frame)

# %% [markdown]
# ### Exercise 3 — `pad_left` by hand

# %%
frame, _ = preprocess.k_core(frame, min_user_count=3, min_item_count=3)
table, user_ids, item_ids, _ = data.remap_ids(frame)
split = data.leave_one_out(data.to_sequences(table), n_items=len(item_ids))


def pad_left(sequences, max_len):
    """(B, max_len) int64, left-padded with 0; long sequences keep their last max_len items."""
    out = np.zeros((len(sequences), max_len), dtype=np.int64)  # (B, T)
    for b, items in enumerate(sequences):
        tail = list(items)[-max_len:]  # the most recent max_len items
        out[b, max_len - len(tail):] = tail
    return out


# %%
check_pad_left(pad_left, [split.train[u] for u in (1, 2, 3, 4)])

# %% [markdown]
# ## Quiz

# %%
answers = {"1": "c", "2": "b", "3": "a"}

# %%
check_quiz(answers)

# %% [markdown]
# ## Reflection — answers
# 1. **The bot rule.** A shopkeeper buying stock for a small business, or a real shopper who browses a lot
#    over the year, can pass 1,000 events; a scraper that makes 900 requests, or spreads its traffic over
#    several accounts, stays under it. Section 1's other signal — the flagged accounts *never buy* — can be
#    combined with the count (many events AND no purchase), as can the speed of events (many per minute).
# 2. **Left padding.** A causal model predicts the next item from the LAST position. With left padding the
#    most recent item is always in the last column, so one position, the same for every row, holds the
#    prediction; with right padding it sits at a different column for each shopper (and the model must be
#    told where). Padding is also kept away from the positions that matter by the padding mask.
