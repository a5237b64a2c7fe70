# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 12 — Responsible recommenders: privacy, bias and explanations
#
# A recommender is trained on what people did, and it decides what people see. So three questions come
# with it, whatever its NDCG. **Privacy:** what do we keep about shoppers, and could someone recognise
# them in it? **Bias:** does the model keep pushing the same few best-sellers, so that the rest of the
# catalogue is never shown? **Explanations:** when we tell a shopper "because you bought …", is that
# actually why? This lesson measures each one on the bundled shop, with the tools `minishop` gives.
#
# **Learning goals.** After this lesson you can
# 1. pseudonymise user ids with a salted hash (`minishop.data.preprocess.pseudonymise`), say why an unsalted
#    hash is not enough, and show that a history itself can identify a shopper;
# 2. list what a recommender does not need to keep;
# 3. measure popularity bias and catalogue coverage of a trained model against baselines, and trade a
#    little NDCG for exposure with a simple re-ranking;
# 4. produce "because you bought …" explanations from attention weights, and test them by removing items
#    (occlusion) — and say why attention is not necessarily explanation.
#
# **Prerequisites.** Lessons 2 (cleaning, `prepare`), 8 (training the recommender) and 9 (NDCG, baselines,
# coverage and popularity); lesson 5 (attention weights).
#
# **Study time:** about 2 hours (the notebook itself runs in well under two minutes).

# %%
import hashlib
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import minishop
from minishop.data import prepare
from minishop.data.preprocess import pseudonymise
from minishop.eval import ItemKNNRecommender, MarkovRecommender, PopularRecommender, coverage, evaluate
from minishop.eval.metrics import item_counts, most_popular_items, popularity_bias
from minishop.eval.protocols import evaluation_cases, top_k
from minishop.recsys.training import RecommenderConfig, fit_recommender
from minishop.recsys.explain import explain, format_recommendations, recommend_for_user
from checks import REPO_ROOT, hint  # noqa: F401  (hint(name, 2) shows the next hint of an exercise)
from checks.lesson12 import check_coverage, check_penalised, check_pseudonym, check_quiz

minishop.manual_seed(0)  # minishop's generator: parameter initialisation, dropout
rng = np.random.default_rng(0)  # ours, for sampling users and items
np.set_printoptions(precision=3, suppress=True)

# %% [markdown]
# ## 1. Privacy: what we hold about a shopper
#
# Here is one row of the cleaned interactions and one row of the shop's user table:

# %%
prepared = prepare()  # the bundled shop, cleaned and split leave-one-out (lesson 2)
events = prepared.interactions
print(events[["user", "item", "timestamp", "event", "session", "order_id"]].head(3).to_string(), "\n")
users = pd.read_csv(REPO_ROOT / "data" / "shop" / "users.csv")
print(users.head(3).to_string())

# %% [markdown]
# The recommender needs **only the order of items in each history**: `prepared.sequences` maps a user
# *index* (1, 2, …) to a list of item indices. Everything else is a liability we would have to protect:
#
# | field | needed to train? | risk |
# |---|---|---|
# | raw user id (`U00042`, an e-mail, a loyalty number) | no — an index will do | links the data back to a person |
# | exact timestamps | no — only their order | times of day and holidays are identifying |
# | session and order ids | no | join keys into payment and delivery systems |
# | country, sign-up date (users.csv) | no | quasi-identifiers: combined, they narrow a person down |
# | review text | not for recommending | names, places, health details written by the shopper |
#
# **Data minimisation** (GDPR art. 5(1)(c)) says: keep what the purpose needs, no more. When raw ids must
# still be joined across files, replace them by **pseudonyms**.
#
# ### Why a plain hash is not a pseudonym
# A hash such as SHA-256 cannot be inverted directly — but the *set of possible ids* is small. Shop ids
# look like `U` plus five digits: 100,000 candidates. Hash them all once and every "anonymous" hash can be
# looked up:

# %%
def sha(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


leaked = [sha(user) for user in users["user_id"][:5]]  # what an unsalted export would contain
start = time.perf_counter()
lookup = {sha(f"U{n:05d}"): f"U{n:05d}" for n in range(100_000)}  # hash every possible id
print(f"hashed all 100,000 possible ids in {time.perf_counter() - start:.2f} s")
print("recovered:", [lookup.get(h) for h in leaked])

# %% [markdown]
# A **salt** fixes this: hash $\operatorname{sha256}(\text{salt} \,\|\, \text{id})$ with a long random secret
# salt that never leaves the company. Without the salt, guessing ids no longer helps; with it, the same
# id always maps to the same pseudonym, so files still join. `minishop.data.preprocess.pseudonymise(frame,
# salt)` does exactly this (the first 16 hexadecimal digits of the digest), and
# `prepare(pseudonymise_salt=...)` applies it inside the pipeline.

# %%
salt = "k3Wv-9qTz-lesson12"  # in real life: a long random secret from a vault, never in the code
hidden, report = pseudonymise(events[["user", "item"]].head(6), salt=salt)
print(hidden.to_string())
print(report.notes)

# %% [markdown]
# ### Exercise 1 — a salted pseudonym
# Write `pseudonym(raw_id, salt)` returning the same string as minishop's `pseudonymise` for one id:
# the first 16 hexadecimal characters of the SHA-256 digest of `salt + raw_id` (encoded as UTF-8).
# Read `minishop/data/preprocess.py` if in doubt.

# %%
def pseudonym(raw_id, salt):
    """The salted pseudonym of one raw id (a str of 16 hex digits)."""
    return None  # your code here


# %%
check_pseudonym(pseudonym, salt)  # against minishop.data.preprocess.pseudonymise, on several ids

# %% [markdown]
# ### Pseudonymous is not anonymous
# Pseudonyms hide *who* a history belongs to, not the history. A history is a fingerprint: anyone who knows
# a few things you looked at (a colleague, a shared screenshot, a review you signed) can find your row, as
# Narayanan & Shmatikov did with the "anonymised" Netflix prize data (2008). Let us measure it: for each
# shopper, pick $m$ random items from their history and count how many shoppers' histories contain all $m$.

# %%
n_users, n_items = prepared.n_users, prepared.n_items
bought = np.zeros((n_users + 1, n_items + 1), dtype=bool)  # (users, items) True if in the history
for user, items in prepared.sequences.items():
    bought[user, items] = True

unique_share = []
for m in range(1, 6):
    unique = 0
    for user, items in prepared.sequences.items():
        known = rng.choice(np.unique(items), size=min(m, len(set(items))), replace=False)  # what an attacker knows
        matches = bought[:, known].all(axis=1).sum()  # shoppers consistent with that knowledge
        unique += matches == 1
    unique_share.append(unique / n_users)
    print(f"knowing {m} item(s): {unique_share[-1]:.0%} of shoppers are singled out")

# %% [markdown]
# One or two items hide a shopper in a crowd; with five, the share printed above is singled out — whatever
# their id looks like (and real catalogues, with thousands of items, are far more revealing). So pseudonymised
# histories are still **personal data**: keep them access-controlled, delete them on request, and publish
# only aggregates. (Formal guarantees need more, e.g. differential privacy, beyond this course.)
#
# ## 2. Bias: who gets shown?
#
# Shop data is **long-tailed**: a few items collect a large share of the interactions.

# %%
counts = item_counts(prepared.split.train, n_items)[1:]  # (n_items,) training interactions per item
by_count = np.sort(counts)[::-1]
top_decile = int(np.ceil(0.1 * n_items))
print(f"the top 10% of items ({top_decile}) hold {by_count[:top_decile].sum() / counts.sum():.0%} of the interactions")

# %% [markdown]
# A model trained to reproduce the data can amplify this: popular items are the safest guess, they win more
# training signal, they get recommended more, so they are bought more and appear even more in the next
# training data — a **feedback loop**. Two numbers describe the recommended lists (lesson 9):
#
# $$\text{coverage@}K = \frac{|\bigcup_u \text{top}_K(u)|}{|\mathcal I|},\qquad
# \text{popularity@}K = \frac{1}{UK}\sum_u \sum_{i \in \text{top}_K(u)} [i \in \mathcal P] ,$$
#
# where $\mathcal P$ is a set of most popular items; minishop's evaluator uses the top 1%. Our catalogue
# has only a few hundred items (`n_items`), so we also use the top 10% and compare with the 10% a uniform
# spread would give.
#
# We train a smaller version of lesson 8's model (one block instead of two, width 32, the last 20 items)
# for a few epochs, then collect the top-10 lists of every test user from it and from the three baselines.

# %%
config = RecommenderConfig(d_model=32, n_blocks=1, n_heads=1, max_len=20, dropout=0.2, loss="ce", batch_size=128,
                           epochs=4, lr=1e-2, warmup_steps=5, eval_every=4, patience=0, progress=False, seed=0)
model, result = fit_recommender(prepared, config)
print(f"trained {result.epochs_run} epochs in {result.seconds:.0f} s, validation NDCG@10 = {result.best_metric:.3f}")

split = prepared.split
recommenders = {
    "model": model,
    "popular": PopularRecommender().fit(split.train, n_items),
    "markov": MarkovRecommender().fit(split.train, n_items),
    "itemknn": ItemKNNRecommender().fit(split.train, n_items),
}
test_users, test_histories, test_targets = evaluation_cases(split, "test")


def top_lists(recommender, histories, k=10):
    """Each user's top-k item ids (U, k), items already in the history excluded."""
    scores = np.array(recommender.score(histories), dtype=np.float64)  # (U, n_items + 1)
    scores[:, 0] = -np.inf  # padding
    for row, history in enumerate(histories):
        scores[row, history] = -np.inf  # already seen
    return top_k(scores, k)  # (U, k) item ids, best first


popular_10 = most_popular_items(split.train, n_items, share=0.1)  # the top-10% item ids
lists = {name: top_lists(r, test_histories) for name, r in recommenders.items()}
summary = pd.DataFrame({
    name: {"NDCG@10": evaluate(r, split, ks=(10,), progress=False)["NDCG@10"],
           "coverage@10": coverage(lists[name], n_items),
           "top-10% share": popularity_bias(lists[name], popular_10)}
    for name, r in recommenders.items()}).T
print(summary.round(3))

# %% [markdown]
# ### Exercise 2 — coverage by hand
# Compute `model_coverage`: the share of the catalogue (`n_items` items) that appears in at least one of the
# model's top-10 lists `lists["model"]` (shape `(U, 10)`). The check compares with `minishop.eval.coverage`.

# %%
model_coverage = None  # your code here

# %%
check_coverage(model_coverage, lists["model"], n_items)  # against minishop.eval.coverage

# %% [markdown]
# Coverage only asks whether an item is shown *once*. How evenly exposure is spread is better seen by
# counting how often each item is recommended, sorted from the most to the least recommended:

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
left.bar(range(n_items), by_count, width=1.0, color="gray")
left.set_yscale("log")
left.set_xlabel("items, most interacted first")
left.set_ylabel("training interactions")
left.set_title("the long tail of the shop")
for name, top in lists.items():
    exposure = np.sort(np.bincount(top.ravel(), minlength=n_items + 1)[1:])[::-1]  # (n_items,)
    right.plot(np.cumsum(exposure) / exposure.sum(), label=name)
right.plot(np.arange(1, n_items + 1) / n_items, "k:", label="perfectly even")
right.set_xlabel("items, most recommended first")
right.set_ylabel("cumulative share of top-10 slots")
right.set_title("how concentrated are the recommendations?")
right.legend()
plt.show()

# %% [markdown]
# The popularity baseline shows the same handful of items to everybody. The trained model spreads its
# recommendations much more widely — on this shop the next item depends strongly on the last one
# (complements), which pushes it away from best-sellers — yet its curve still rises faster than the even
# line: some items get many times their share of exposure.
#
# ### A re-ranking that trades accuracy for exposure
# A simple, common fix penalises popularity at ranking time, without retraining:
#
# $$s'_i = s_i - \lambda \log(1 + n_i),$$
#
# where $s_i$ is the model's score and $n_i$ the item's training count. $\lambda = 0$ is the model; a large
# $\lambda$ favours the tail. (More principled versions calibrate the exposure of each popularity group —
# Abdollahpouri et al. 2019, Steck 2018 — but the trade-off is the same.)
#
# ### Exercise 3 — the penalised scores
# Write `penalised(scores, counts, lam)` returning $s - \lambda \log(1 + n)$ for a row or a batch of scores
# `(…, N)` and counts `(N,)` (broadcasting does the rest; `np.log1p` is $\log(1+x)$).

# %%
def penalised(scores, counts, lam):
    """Popularity-penalised scores: scores - lam * log(1 + counts)."""
    return None  # your code here


# %%
check_penalised(penalised)  # against the formula, where log and log1p differ

# %% [markdown]
# minishop's evaluator accepts anything with a `score(histories)` method, so the re-ranked model is a tiny
# wrapper, and NDCG, coverage and popularity come from the same code as before:

# %%
class PopularityPenalised:
    """The model's scores minus lam * log(1 + training count) of each item."""

    def __init__(self, model, counts, lam):
        self.model, self.lam = model, lam
        self.log_counts = np.log1p(np.concatenate([[0], counts]))  # (n_items + 1,), column 0 = padding

    def score(self, histories):
        return np.asarray(self.model.score(histories), dtype=np.float64) - self.lam * self.log_counts


lams = [0.0, 0.25, 0.5, 1.0, 2.0, 4.0]
trade_off = []
for lam in lams:
    reranked = PopularityPenalised(model, counts, lam)
    top = top_lists(reranked, test_histories)
    trade_off.append({"lambda": lam, "NDCG@10": evaluate(reranked, split, ks=(10,), progress=False)["NDCG@10"],
                      "top-10% share": popularity_bias(top, popular_10),
                      "coverage@5": coverage(top[:, :5], n_items)})
trade_off = pd.DataFrame(trade_off)
print(trade_off.round(3))

fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(trade_off["top-10% share"], trade_off["NDCG@10"], "o-")
for _, row in trade_off.iterrows():
    ax.annotate(f"  λ={row['lambda']:g}", (row["top-10% share"], row["NDCG@10"]), fontsize=8)
ax.axvline(0.1, color="gray", ls=":", label="even exposure (10%)")
ax.set_xlabel("share of top-10 slots going to the top-10% items")
ax.set_ylabel("test NDCG@10 (full ranking)")
ax.set_title("popularity penalty: accuracy against exposure")
ax.legend()
plt.show()

# %% [markdown]
# A small $\lambda$ moves exposure towards the tail for almost no NDCG; a large one starts to cost accuracy.
# Where to stop is a business and fairness decision (sellers of tail items, shoppers' diversity, long-term
# effects of the feedback loop), not something NDCG alone can answer — offline NDCG is itself measured on
# data the old recommender shaped.
#
# ## 3. Explanations: "because you bought …"
#
# `minishop.recsys.explain` explains a recommendation with the last attention layer: the newest position's
# attention weights over the history say which past items the model "looked at" most.

# %%
example_user = prepared.user_ids[test_users[0]]
recommendation = recommend_for_user(model, prepared, example_user, k=3)
print("\n".join(format_recommendations(recommendation, prepared)))

# %% [markdown]
# Look at the reason given, and at what the shopper looked at last (their history ends the list above). Is
# the most attended item what prompted the recommendations? Often it is not — the list follows the newest
# items, while the attention rests on something older.
#
# ### Attention is not (necessarily) explanation
# Attention weights say where the last block *read from*; they do not say what would change if an item were
# not there. Earlier blocks have already mixed the items together, the residual connection carries the
# newest item's own vector around attention, and the output is scored by a dot product after a feed-forward
# layer (Jain & Wallace 2019; Wiegreffe & Pinter 2019). The honest test is an **intervention**: remove one
# item from the history and measure how much the score of the recommended item drops,
#
# $$\Delta_j = s(r \mid h) - s(r \mid h \setminus h_j) .$$
#
# If attention explained the recommendation, the most attended item would have the largest $\Delta$.
# We run this for 200 test users, every item of their (last 20) history.

# %%
def occlusion_drops(model, history, item):
    """Score drop of `item` when each position of the history (its last max_len items) is removed."""
    recent = list(history)[-model.max_len:]
    variants = [recent[:j] + recent[j + 1:] for j in range(len(recent))]  # one item removed each
    full = np.asarray(model.score([recent]), dtype=np.float64)[0, item]
    without = np.asarray(model.score(variants), dtype=np.float64)[:, item]  # (len(recent),)
    return full - without


attention_all, drops_all, agree, newest_wins, ranks_of_top = [], [], 0, 0, []
sample = rng.choice(len(test_users), size=200, replace=False)
for index in sample:
    history = test_histories[index]
    recommended = int(top_lists(model, [history], k=1)[0, 0])
    items, weights = model.attention_to_history(history)  # the last max_len items and their weights
    drops = occlusion_drops(model, history, recommended)
    attention_all.append(weights)
    drops_all.append(drops)
    agree += int(np.argmax(weights) == np.argmax(drops))
    newest_wins += int(np.argmax(drops) == len(drops) - 1)
    ranks_of_top.append(int((drops > drops[np.argmax(weights)]).sum()) + 1)  # rank of the attended item by effect

attention_flat, drops_flat = np.concatenate(attention_all), np.concatenate(drops_all)
newest = np.concatenate([np.arange(len(w)) == len(w) - 1 for w in attention_all])  # True at each newest item
print(f"the most attended item is also the most influential for {agree / len(sample):.0%} of users")
print(f"median rank of the most attended item by influence: {np.median(ranks_of_top):.0f} "
      f"(of ~{np.mean([len(w) for w in attention_all]):.0f} items)")
print(f"the newest item is the most influential for {newest_wins / len(sample):.0%} of users")
print(f"correlation of attention weight and score drop over all items: {np.corrcoef(attention_flat, drops_flat)[0, 1]:.2f}")

fig, ax = plt.subplots(figsize=(6, 4))
ax.scatter(attention_flat[~newest], drops_flat[~newest], s=5, alpha=0.4, label="older items")
ax.scatter(attention_flat[newest], drops_flat[newest], s=9, alpha=0.7, color="tab:red", label="the newest item")
ax.legend(loc="center right")
ax.axhline(0, color="gray", lw=0.8)
ax.set_xlabel("attention weight from the newest position (last block)")
ax.set_ylabel("score drop when the item is removed")
ax.set_title("attention against the effect of removing an item")
plt.show()

# %% [markdown]
# Read the numbers above before the picture. Attention and influence are related — but far from the same:
# for many users the most attended item is *not* the one whose removal hurts the recommendation most, and
# some heavily attended items barely matter (or even *raise* the score when removed). The most influential
# item is most often the **newest** one (the third printed line), and the largest drops in the picture
# tend to come from removing it, whatever attention it got: the newest item also reaches the output
# through the residual path, which attention weights do not show.
#
# So what should a shop say? Two honest options:
#
# - keep "because you bought …" but choose the reason by **occlusion** (what actually moves the score),
#   at the cost of one extra forward pass per history item — cheap for 20 items;
# - or word the attention-based reason as a hint ("related to your recent …"), as `minishop.recsys.explain`'s
#   docstring does, and never present it as the model's reasoning.
#
# ## Reflection
# 1. Which columns of the raw events would you delete *before* the data reaches the team training the
#    model? Which would the data protection officer still worry about afterwards?
# 2. The salt leaks. What can an attacker do now, and what must you do?
# 3. Why might a popularity penalty that lowers offline NDCG still raise sales? Why might it not?
# 4. Design an explanation test for a recommender without attention (e.g. item-kNN). Is occlusion enough?

# %% [markdown]
# ## Quiz
# Answer each question with the letter of one choice, then run the check.
#
# 1. A plain SHA-256 of a shop id is not a safe pseudonym because (a) SHA-256 is broken, (b) the set of possible ids is small enough to hash them all, (c) it is too long.
# 2. Pseudonymised purchase histories are (a) still personal data, (b) anonymous, (c) safe to publish.
# 3. A popularity penalty $s - \lambda \log(1 + n)$ with a large $\lambda$ (a) always raises NDCG, (b) changes nothing, (c) moves exposure to the tail at a cost in accuracy.
# 4. The honest test of "because you bought X" is (a) the attention weight of X, (b) how much the score drops when X is removed, (c) the popularity of X.

# %%
quiz_answers = {1: None, 2: None, 3: None, 4: None}  # your answers: "a", "b" or "c"

# %%
check_quiz(quiz_answers)
