# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 9 — Evaluating recommendations honestly
#
# Lesson 8 ended with numbers: the validation NDCG@10 of each small model, printed after its training. Is
# such a number good? It depends on three choices that
# papers often leave in the small print: **which metric**, **against which candidates** the held-out item is
# ranked, and **compared with what**. This lesson makes each choice explicit. We compute the metrics by hand,
# see why ties must count against the model, measure three simple baselines with the *same* evaluator, and
# then watch the popular "100 sampled negatives" protocol inflate every number — and even change which model
# looks best. We end with what accuracy does not show: how much of the catalogue gets recommended at all.
#
# **Learning goals.** After this lesson you can
# 1. compute HR@K, NDCG@K and MRR@K from the ranks of held-out items, by hand and in NumPy;
# 2. rank a target among candidates with pessimistic tie-breaking, and explain why a constant scorer must
#    score zero;
# 3. build and evaluate the most-popular, Markov and item-kNN baselines with `minishop.eval`;
# 4. explain why the sampled protocol (target + 100 random negatives) inflates metrics, predict by how much,
#    and show it changing the order of models;
# 5. measure coverage and popularity bias of recommendation lists, and plot a model against its baselines.
#
# **Prerequisites.** Lesson 2 (leave-one-out splits), lesson 8 (the recommender and `fit_recommender`);
# NumPy; logarithms; the binomial distribution helps but is not required.
#
# **Study time:** about 2.5 hours (the notebook itself runs in well under two minutes).
#
# **Your code, later:** your `metrics_at_k` and `pessimistic_ranks` score your own model in lesson 13,
# next to `minishop.eval`, once they pass.

# %%
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy loads: small matrices, one BLAS thread is fastest

import math

import matplotlib.pyplot as plt
import numpy as np

import minishop
from minishop.data import prepare
from minishop.eval import (ItemKNNRecommender, MarkovRecommender, PopularRecommender, evaluate, evaluate_all,
                           format_table, hit_rate, mrr, ndcg, ranks_from_scores)
from minishop.eval import protocols
from checks import hint  # noqa: F401  (hint(name, 2) shows the next hint of an exercise)
from checks.lesson09 import (check_expected_sampled_rank, check_metrics_at_k, check_pessimistic_ranks, check_quiz,
                             check_transitions_from)

minishop.manual_seed(0)  # minishop's generator: parameter initialisation, dropout
rng = np.random.default_rng(0)  # ours, for the NumPy experiments
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. From ranks to metrics
#
# Leave-one-out evaluation hides each user's last item (the **target**), asks the recommender to score every
# candidate item after the rest of the history, and records the **rank** $r_u$ of the target: 1 if it was
# scored highest. Every accuracy metric is an average over the $U$ users of a function of $r_u$, cut at the
# list length $K$ (the user only sees $K$ recommendations), with $[\cdot]$ = 1 if true, else 0:
#
# $$\mathrm{HR@}K = \frac1U\sum_u [r_u \le K],\qquad
# \mathrm{NDCG@}K = \frac1U\sum_u \frac{[r_u \le K]}{\log_2(r_u + 1)},\qquad
# \mathrm{MRR@}K = \frac1U\sum_u \frac{[r_u \le K]}{r_u}.$$
#
# - **Hit rate** only asks *whether* the target made the list.
# - **NDCG** (normalised discounted cumulative gain) also rewards putting it *high*: a hit at rank 1 is worth
#   1, at rank 3 worth $1/\log_2 4 = 0.5$, at rank 10 worth $0.29$. With a single relevant item the ideal
#   list scores exactly 1, so the "normalised" divides by 1.
# - **MRR** (mean reciprocal rank) discounts faster: rank 2 is worth one half.
#
# By hand, for five users with ranks $(1, 3, 12, 2, 50)$ and $K = 10$: three hits, so HR@10 $= 3/5 = 0.6$;
# NDCG@10 $= (1 + 0.5 + 0 + 0.631 + 0)/5 = 0.426$; MRR@10 $= (1 + \tfrac13 + 0 + \tfrac12 + 0)/5 = 0.367$.

# %%
ranks = np.array([1, 3, 12, 2, 50])
print(f"HR@10 {hit_rate(ranks, 10):.4f}   NDCG@10 {ndcg(ranks, 10):.4f}   MRR@10 {mrr(ranks, 10):.4f}   (minishop.eval)")

# %% [markdown]
# ### Exercise 1 — the three metrics
# Write `metrics_at_k(ranks, k)` returning the array `[HR@k, NDCG@k, MRR@k]` for an integer array of ranks
# (counted from 1), using the formulas above. It is checked against `minishop.eval.hit_rate`, `ndcg` and
# `mrr` on random ranks.

# %%
def metrics_at_k(ranks, k):
    """np.array([HR@k, NDCG@k, MRR@k]) for ranks (U,) counted from 1."""
    return None  # your code here


# %%
check_metrics_at_k(metrics_at_k)  # against minishop.eval's hit_rate, ndcg and mrr

# %% [markdown]
# ## 2. From scores to ranks: ties count against the model
#
# A recommender produces **scores**; the evaluator turns them into a rank. The natural definition counts the
# candidates scored strictly higher than the target: $r = 1 + \#\{c : s_c > s_{\text{target}}\}$. But look at
# what it does to a model that has learned nothing and scores every item 0: no item is *strictly* higher, so
# every target gets rank 1 and the useless model gets HR@10 = 1.
#
# Real models produce ties too: a collapsed model, scores rounded to low precision, items never seen in
# training whose embeddings never moved. So minishop breaks ties **pessimistically** — a candidate *tied*
# with the target ranks above it:
#
# $$r = 1 + \#\{c \ne \text{target} : s_c \ge s_{\text{target}}\}.$$
#
# A constant scorer then gets the worst possible rank. (Random tie-breaking is also fair on average, but
# noisy; pessimistic is deterministic and never flatters.)
#
# ### Exercise 2 — pessimistic ranks
# Write `pessimistic_ranks(scores, targets, candidates)`: `scores` is `(B, N)` (one row per user), `targets`
# `(B,)` the column of each user's target, `candidates` a bool `(B, N)` that is `True` where a column competes
# with the target (the target's own column is `False`). Return the `(B,)` integer ranks. It is checked
# against `minishop.eval.ranks_from_scores`, on scores full of ties.

# %%
def pessimistic_ranks(scores, targets, candidates):
    """(B,) ranks from 1: 1 + number of competing candidates scored >= the target."""
    return None  # your code here


# %%
check_pessimistic_ranks(pessimistic_ranks)  # against minishop.eval.ranks_from_scores, on many ties

# %% [markdown]
# Now the real evaluator on the bundled shop. `minishop.eval.evaluate` accepts anything with a
# `score(histories)` method returning `(B, n_items + 1)` scores (column 0 is padding). A constant scorer:

# %%
prepared = prepare()  # the bundled shop, split leave-one-out (lesson 2)
split, n_items = prepared.split, prepared.n_items
print(prepared)


class ConstantRecommender:
    """Scores every item 0: knows nothing."""

    def score(self, histories):
        return np.zeros((len(histories), n_items + 1))  # (B, n_items + 1)


constant = evaluate(ConstantRecommender(), split, stage="test", ks=(10,), progress=False)
print({name: constant[name] for name in ("NDCG@10", "HR@10", "MRR@10")})

# %% [markdown]
# Zero, as it should be. With the optimistic `>` the same scorer would have reported HR@10 = 1.0.
#
# ## 3. Baselines, under the same evaluator
#
# A number means something only next to a simple method measured **the same way** (same split, same
# candidates, same ties). minishop has three:
#
# - **Most popular**: $\operatorname{score}(i) = \#\text{training interactions with } i$ — the same list for
#   everybody. Any model must beat it, or it has learned nothing personal.
# - **First-order Markov**: $\operatorname{score}(i \mid a) = \#(a \to i)$, how often $i$ directly followed
#   the user's last item $a$ in training (ties and unknown $a$ fall back to popularity).
# - **Item-kNN**: $\operatorname{score}(i \mid \text{history}) = \sum_{j} \delta^{\text{age}(j)}\cos(i, j)$
#   over the last few distinct items $j$, with
#   $\cos(i, j) = \frac{\#\text{users with both } i \text{ and } j}{\sqrt{\#\text{users with } i \cdot \#\text{users with } j}}$
#   and a decay $\delta = 0.5$ per step back in time.
#
# ### Exercise 3 — Markov transition counts
# Write `transitions_from(a, train)`: an integer array of shape `(n_items + 1,)` whose entry $i$ is the number
# of times item $i$ came **directly after** item `a` in the training sequences `train` (a dict user → list of
# item ids, oldest first). It is checked against `MarkovRecommender`, whose score is that count plus a
# popularity tie-breaker below 1 (so its integer part is the count).

# %%
def transitions_from(a, train):
    """(n_items + 1,) int counts of a -> i transitions in the training sequences."""
    return None  # your code here


# %%
check_transitions_from(transitions_from, split.train, n_items)  # against MarkovRecommender's counts

# %% [markdown]
# Now the contenders. We fit the three baselines and train two small SASRec models exactly as in lesson 8
# — one with full softmax cross-entropy, one with SASRec's BCE and one sampled negative — for 10 short epochs
# each. Then `evaluate_all` scores each recommender **once** and ranks every user's test item under both
# protocols (next section).

# %%
from minishop.recsys.training import RecommenderConfig, fit_recommender

recommenders = {
    "popular": PopularRecommender().fit(split.train, n_items),
    "markov": MarkovRecommender().fit(split.train, n_items),
    "itemknn": ItemKNNRecommender().fit(split.train, n_items),
}
for loss in ("ce", "bce"):
    config = RecommenderConfig(d_model=32, n_blocks=2, n_heads=1, max_len=20, dropout=0.2, loss=loss, epochs=10,
                               lr=5e-3, warmup_steps=20, eval_every=10, patience=0, seed=0, progress=False)
    recommenders[f"sasrec-{loss}"], _ = fit_recommender(prepared, config)

results = {name: evaluate_all(recommender, split, stage="test", ks=(10,), seed=0, progress=False)
           for name, recommender in recommenders.items()}
print(format_table(results, metrics=("NDCG@10", "HR@10", "MRR@10"), protocols=("full",), model="sasrec-ce"))
print("order by full NDCG@10:", " > ".join(sorted(results, key=lambda name: -results[name]["full"]["NDCG@10"])))

# %% [markdown]
# The table's last line says whether the CE model beats every baseline under the honest protocol; the
# line below prints the order of all five. Popularity is far behind: on this shop, what you look at next depends on what you just looked at — and, which the Markov
# chain cannot see, on the brands and price level a shopper's whole history shows.
#
# ## 4. Full ranking versus 100 sampled negatives
#
# Ranking the target against *every* item costs a score per item per user. SASRec's paper (and many others)
# instead ranks the target against **100 items drawn at random** from those the user never touched. That
# changes the question. Suppose the target's full rank is $r$: $r - 1$ of the $n$ other candidate items beat
# (or tie) it. A random negative beats it with probability $p = (r-1)/n$, so with $m = 100$ negatives the
# sampled rank is $1 + \operatorname{Binomial}(m, p)$, on average
#
# $$\mathbb E[r_{\text{sampled}}] = 1 + m\,\frac{r - 1}{n}.$$
#
# A sampled **hit@10** needs fewer than 10 of the 100 negatives to beat the target: roughly, the target must
# be in the top **10% of the catalogue**, whatever the catalogue's size. Our shop has ~350 candidates per
# user, so the sampled protocol is about 3.5× easier than the full one; Amazon Games has 23,715 items, and
# there a target at full rank 237 — hopelessly outside any list a shopper sees — is a sampled hit at
# rank ≈ 2. Krichene & Rendle ("On Sampled Metrics for Item Recommendation", KDD 2020) showed that sampled
# metrics are not just inflated but can **disagree with the full metric about which model is better**.
#
# ### Exercise 4 — the expected sampled rank
# Write `expected_sampled_rank(full_rank, n_others, n_negatives=100)`: the expected rank of the target among
# itself and `n_negatives` items drawn uniformly with replacement from `n_others` other items, of which
# `full_rank - 1` beat it. The check **simulates** it with minishop's own sampler
# (`minishop.eval.protocols.sample_negatives`) and rank function on 20,000 users.

# %%
def expected_sampled_rank(full_rank, n_others, n_negatives=100):
    """E[1 + number of the n_negatives sampled items that beat the target]."""
    return None  # your code here


# %%
check_expected_sampled_rank(expected_sampled_rank)  # against a simulation with minishop's own sampler

# %% [markdown]
# Here is the same effect on real users: the full rank and the sampled rank of each user's test item under
# the CE model, computed with the evaluator's own building blocks.

# %%
_, histories, targets = protocols.evaluation_cases(split, "test")
scores = protocols.score_batch(recommenders["sasrec-ce"], histories, n_items)  # (U, n_items + 1)
full_ranks, _ = protocols.full_ranking(scores, histories, targets, exclude_history=True, k_max=10)
negatives = protocols.sample_negatives(histories, targets, n_items, 100, seed=0)  # (U, 100)
sampled_ranks, _ = protocols.sampled_ranking(scores, targets, negatives, k_max=10)
n_others = n_items - np.mean([len(set(h) - {t}) for h, t in zip(histories, targets)]) - 1  # ≈ unseen items

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
jitter = rng.uniform(-0.2, 0.2, size=(2, len(full_ranks)))
left.scatter(full_ranks + jitter[0], sampled_ranks + jitter[1], s=4, alpha=0.3)
line = np.arange(1, full_ranks.max() + 1)
left.plot(line, 1 + 100 * (line - 1) / n_others, "k--", label=r"$1 + 100\,(r-1)/n$")
left.axhline(10.5, color="tab:red", lw=1, label="sampled top 10")
left.axvline(10.5, color="tab:green", lw=1, label="full top 10")
left.set_xscale("log")
left.set_yscale("log")
left.set_xlabel("full rank (all items)")
left.set_ylabel("sampled rank (target + 100 negatives)")
left.legend()
left.set_title("The same targets, ranked two ways")
ks = np.arange(1, 51)
right.plot(ks, [hit_rate(full_ranks, k) for k in ks], label="full HR@K")
right.plot(ks, [hit_rate(sampled_ranks, k) for k in ks], label="sampled HR@K")
right.set_xlabel("K")
right.set_ylabel("hit rate")
right.set_ylim(0, 1.02)
right.legend()
right.set_title("SASRec (CE) on the test items")
plt.tight_layout()
plt.show()
print(f"full HR@10 {hit_rate(full_ranks, 10):.3f}   sampled HR@10 {hit_rate(sampled_ranks, 10):.3f}   "
      f"full HR@{round(0.1 * n_others)} {hit_rate(full_ranks, round(0.1 * n_others)):.3f}")
worse = int((sampled_ranks > full_ranks).sum())
print(f"{worse} of {len(full_ranks)} targets rank worse after sampling than in the full ranking")

# %% [markdown]
# Sampling removes most competitors, so almost every point lies below the diagonal and the points follow
# the dashed line of the formula. *Almost*: the last line above counts the targets that rank **worse** after
# sampling. The 100 negatives are drawn **with replacement**, and each copy counts: a target beaten by one
# item in the full ranking (rank 2) that draws that item three times gets sampled rank 4. The formula
# $1 + m(r-1)/n$ is an average, not a bound. A target at full rank 30 is typically a sampled top-10 hit. On the
# right, the sampled HR@10 is close to the full HR@K at $K \approx 10\%$ of the catalogue (printed above),
# as the formula predicts.
#
# Now all five recommenders under both protocols, side by side:

# %%
print(format_table(results, metrics=("NDCG@10", "HR@10"), model="sasrec-ce"))
for protocol in ("full", "sampled"):
    order = sorted(results, key=lambda name: -results[name][protocol]["HR@10"])
    print(f"order by {protocol:7s} HR@10: {' > '.join(order)}")

# %% [markdown]
# Every number grows under sampling, the weak ones most of all — so the gaps between methods shrink.
# Compare the two printed orders: where they differ, a model "beats" another under the sampled protocol and
# loses to it under the full one. That is Krichene & Rendle's warning in our own data (with other seeds or
# settings the swapped pair may differ, which is the point: the sampled order is not to be trusted). minishop reports both protocols, always labelled, so that results compare with
# published tables (which mostly use the sampled one) — but decisions should be made on the full ranking.
#
# ## 5. What accuracy does not show: coverage and popularity bias
#
# Two recommenders with the same NDCG can serve very different shops: one that shows everybody the same ten
# bestsellers, one that spreads attention over the catalogue. Two numbers describe the recommended lists
# themselves (top-$K$ list $L_u$ of each user, catalogue $I$):
#
# $$\mathrm{coverage@}K = \frac{\left|\bigcup_u L_u\right|}{|I|},\qquad
# \mathrm{popularity@}K = \frac{\sum_u |L_u \cap \text{Top}_{1\%}|}{U K},$$
#
# where $\text{Top}_{1\%}$ are the 1% most-interacted items in training. Most-popular is the extreme:
# everybody gets the same list minus what they already have, so a few dozen items fill all the slots (it
# would be exactly 10 items, coverage $10/|I|$, if history items were not excluded).

# %%
print(f"{'recommender':12s} {'coverage@10':>12s} {'popularity@10':>14s} {'full NDCG@10':>13s}")
for name, result in results.items():
    full = result["full"]
    print(f"{name:12s} {full['coverage@10']:12.3f} {full['popularity@10']:14.3f} {full['NDCG@10']:13.4f}")

# %% [markdown]
# Read the table: the personal models (Markov, item-kNN, SASRec) recommend most of the catalogue to someone
# and fill few of their slots with the bestsellers; most-popular fills far more slots with them and never
# shows most of the catalogue. Coverage is not a goal in itself — a random recommender has perfect
# coverage and no accuracy — but a model whose lists concentrate on the head of the catalogue starves the
# long tail of exposure, and that feeds back into what becomes popular (lesson 12).
#
# ## 6. The model against its baselines
#
# One picture for the report: the accuracy metrics of every recommender under the honest protocol, and the
# same NDCG@10 under both protocols.

# %%
names = list(results)
colors = ["tab:gray", "tab:olive", "tab:cyan", "tab:blue", "tab:orange"]
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4))
metric_names = ["NDCG@10", "HR@10", "MRR@10"]
width = 0.16
for i, (name, color) in enumerate(zip(names, colors)):
    values = [results[name]["full"][metric] for metric in metric_names]
    left.bar(np.arange(3) + (i - 2) * width, values, width, label=name, color=color)
left.set_xticks(np.arange(3), [f"full {metric}" for metric in metric_names])
left.set_ylabel("test metric (higher is better)")
left.set_title("Full ranking: model vs baselines")
left.legend(fontsize=8)
for i, (name, color) in enumerate(zip(names, colors)):
    values = [results[name][protocol]["NDCG@10"] for protocol in ("full", "sampled")]
    right.bar(np.arange(2) + (i - 2) * width, values, width, label=name, color=color)
right.set_xticks(np.arange(2), ["full NDCG@10 (all items)", "sampled NDCG@10 (100 negatives)"])
right.set_title("The same models, two protocols")
right.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Reflection
# 1. A paper reports HR@10 = 0.85 on a catalogue of 100,000 items with 100 sampled negatives. Roughly where
#    in the full ranking must the targets be? Is 0.85 impressive?
# 2. `evaluate(..., exclude_history=True)` removes the user's past items from the candidates. When is that
#    right (a shop selling durable goods) and when is it wrong (groceries, re-watched videos)?
# 3. Our CE model beats the Markov chain by the margin printed in section 3. What would you check before claiming it
#    is better (hint: how many users, how much would the numbers move with another seed)?
#
# ## Summary
# - HR@K, NDCG@K and MRR@K are averages of a function of the target's rank: hit, $1/\log_2(r+1)$, $1/r$.
# - Ties go against the model ($\ge$, not $>$): a constant scorer scores zero.
# - Baselines (popular, Markov, item-kNN) measured by the same evaluator are the only meaningful yardstick;
#   on this shop the Markov chain is the one to beat.
# - With $m$ sampled negatives, $\mathbb E[r_{\text{sampled}}] = 1 + m(r-1)/n$: sampled metrics inflate
#   everything, shrink the gaps and can reorder models. Decide on full ranking; report sampled only to
#   compare with papers, labelled.
# - Coverage and popularity@K describe *what* gets recommended, which accuracy alone hides.
#
# **Next:** lesson 10 turns from items to words: generating product descriptions and reading reviews.

# %% [markdown]
# ## Quiz
# Answer each question with the letter of one choice, then run the check.
#
# 1. A model scores every item 0. With pessimistic ties its HR@10 is (a) 1, (b) 10 / |I|, (c) 0.
# 2. A target at full rank 31 among 300 other items, ranked against 100 sampled negatives, has an expected rank of about (a) 31, (b) 11, (c) 2.
# 3. The baseline to beat on this shop, because what comes next depends on what came just before, is (a) the Markov chain, (b) most popular, (c) a constant scorer.
# 4. A random recommender has (a) high NDCG and low coverage, (b) perfect coverage and no accuracy, (c) high popularity@10.

# %%
quiz_answers = {1: None, 2: None, 3: None, 4: None}  # your answers: "a", "b" or "c"

# %%
check_quiz(quiz_answers)
