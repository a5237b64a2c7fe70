# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 13 — Capstone: solutions
#
# The capstone with its two exercises solved, the reflection answered and the quiz filled in. Run the
# solutions of lessons 5–9 first, so that the model is made of their pieces.
#
#
# In lessons 5 to 9 you wrote the pieces of a sequential recommender: attention, a GELU op, LayerNorm, a transformer
# block, the SASRec forward pass with tied scores, Adam, a training loop, pessimistic ranks and the
# ranking metrics. Each one, once it passed its check, was saved. This lesson puts **your** pieces together
# — the library fills in only where yours has not passed yet, and says so — trains the model on the bundled
# shop, and judges it the honest way: full ranking against the most-popular list and the Markov chain.
# The bar is the one lesson 9 set: beat the Markov chain on full-ranking NDCG@10.
#
# **Learning goals.** After this lesson you can
# 1. assemble a recommender from your own functions and name which parts are yours;
# 2. write the scorer the evaluator calls (`score(histories)`), with padding that can never be recommended;
# 3. compute full-ranking metrics yourself and get the same numbers as `minishop.eval`;
# 4. train, evaluate and report a model against baselines with a training curve and a bar chart, and say
#    what the comparison does and does not show.
#
# **Prerequisites.** Lessons 5 (attention), 7 (Adam), 8 (block, forward pass, training loop) and 9
# (ranks, metrics, baselines, protocols) — ideally with their exercises solved, so that the model is yours.
#
# **Study time:** about 2 hours (the notebook itself runs in well under two minutes).

# %%
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy loads: small matrices, one BLAS thread

import math
import sys
import time

import matplotlib.pyplot as plt
import numpy as np

sys.path.insert(0, "..")  # lessons/, where the checks live (this notebook runs in lessons/solutions/)
import minishop
from minishop.data import prepare
from minishop.eval import MarkovRecommender, PopularRecommender, evaluate_all, format_table, protocols
from minishop.recsys import SequentialRecommender
from checks import hint, use, used  # noqa: F401  (hint(name, 2) shows the next hint of an exercise)
from checks.lesson13 import (PIECES, assemble, check_beats_markov, check_full_ranking_metrics, check_quiz,
                             check_recommend_scores, library_full_ranking_metrics, library_recommend_scores)

minishop.manual_seed(0)
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. Your pieces
#
# `assemble()` asks for every piece by name. A piece is yours if it passed its check in an earlier lesson
# (your code was saved then, in `.minishop_progress/` beside the notebooks); otherwise the library's
# version stands in. Lesson 5's multi-head attention (with your `attention` and `softmax` inside) and lesson
# 6's `gelu` op were checked on minishop Tensors, with gradients, so they can train here.

# %%
pieces = assemble()
multi_head_attention, layer_norm = pieces["multi_head_attention"], pieces["layer_norm"]
pre_ln_block = pieces["pre_ln_block"]
sasrec_scores, adam_step, train_loop = pieces["sasrec_scores"], pieces["adam_step"], pieces["train_loop"]
pessimistic_ranks, metrics_at_k = pieces["pessimistic_ranks"], pieces["metrics_at_k"]
print("\nwhose piece is which:")
whose = used()

# %%
lesson_of = {"multi_head_attention": 5, "gelu": 6, **{name: lesson for name, lesson, _ in PIECES}}
names = list(lesson_of)
colors = ["tab:green" if whose.get(name) == "yours" else "lightgray" for name in names]
fig, ax = plt.subplots(figsize=(8, 3.2))
ax.barh(range(len(names)), [1] * len(names), color=colors, edgecolor="gray")
for row, name in enumerate(names):
    owner = "yours" if whose.get(name) == "yours" else "the library's"
    ax.text(0.5, row, f"{name} (lesson {lesson_of[name]}): {owner}", ha="center", va="center", fontsize=9)
ax.set_yticks([])
ax.set_xticks([])
ax.invert_yaxis()
ax.set_title("the capstone model, piece by piece (green: your code)")
plt.show()

# %% [markdown]
# ## 2. The scorer the evaluator calls
#
# `minishop.eval` accepts any object with a `score(histories)` method that returns a `(B, n_items + 1)`
# array of scores of every item for the next purchase after each history (column 0 is padding).
#
# ### Exercise 1 — your `recommend_scores`
# Write `recommend_scores(model, histories)` for a `SequentialRecommender` `model` (its weights) and a list of
# histories (lists of item ids, oldest first): keep the newest `model.max_len` items of each, left-pad them
# with 0 into one `(B, T)` int array (`T` = the longest kept history), run **your** `sasrec_scores`, take
# the scores after the newest item, set column 0 to `-inf` and return a NumPy array (`minishop.to_numpy`).
# Run it under `with minishop.no_grad():` (no graph is needed to score). It is checked against
# `SequentialRecommender.score` with the same weights.

# %%
def recommend_scores(model, histories):
    """(B, n_items + 1) NumPy scores of every item after each history; column 0 is -inf."""
    kept = [list(history)[-model.max_len:] for history in histories]  # the newest max_len items
    T = max(1, max(len(history) for history in kept))
    items = np.zeros((len(kept), T), dtype=np.int64)  # (B, T) left-padded with 0
    for row, history in enumerate(kept):
        items[row, T - len(history):] = history
    with minishop.no_grad():
        scores = minishop.to_numpy(sasrec_scores(model, items))[:, -1, :]  # (B, n_items + 1) after the newest
    scores[:, 0] = -np.inf  # padding is never recommended
    return scores


# %%
check_recommend_scores(recommend_scores)  # same weights -> same scores as SequentialRecommender.score

# %% [markdown]
# ## 3. Training your model on the shop
#
# A small recipe that trains in seconds: width 32, two blocks, the last 20 items of each history, no
# dropout, learning rate 5e-3, eight epochs of batches of 128 histories. Your `train_loop` runs it with your
# `sasrec_scores` and your `adam_step`.

# %%
prepared = prepare()  # the bundled shop, split leave-one-out (lesson 2)
split, n_items = prepared.split, prepared.n_items
recipe = dict(d_model=32, n_blocks=2, n_heads=1, max_len=20, dropout=0.0)
epochs, lr, batch_size = 8, 5e-3, 128

minishop.manual_seed(0)
model = SequentialRecommender(n_items, **recipe)  # the parameters; the computation is your code
histories = [split.train[user] for user in sorted(split.train)]
start = time.perf_counter()
losses = train_loop(model, sasrec_scores, adam_step, histories, epochs, lr, batch_size, 0)
seconds = time.perf_counter() - start
steps_per_epoch = math.ceil(len(histories) / batch_size)
print(f"{len(losses)} steps in {seconds:.1f} s; loss {losses[0]:.3f} -> {losses[-1]:.3f} "
      f"(ln |I| = {math.log(n_items):.3f} before training)")

# %% [markdown]
# ## 4. Your own evaluation
#
# Lesson 9's full protocol: each user's test item competes with **every** item except padding, the items
# already in the user's history and itself; ties count against the model.
#
# ### Exercise 2 — full-ranking metrics with your pieces
# Write `full_ranking_metrics(scores, histories, targets, k=10)` returning `np.array([HR@k, NDCG@k, MRR@k])`
# for `scores` of shape `(U, n_items + 1)`, the users' `histories` and their `targets` `(U,)`: build the
# bool `candidates` array described above, then use your `pessimistic_ranks` and your `metrics_at_k`. It is
# checked against `minishop.eval.evaluate` on the Markov chain's validation scores.

# %%
def full_ranking_metrics(scores, histories, targets, k=10):
    """np.array([HR@k, NDCG@k, MRR@k]) under full ranking, history items excluded."""
    rows = np.arange(len(targets))
    candidates = np.ones(scores.shape, dtype=bool)  # (U, n_items + 1)
    candidates[:, 0] = False  # padding
    for row, history in enumerate(histories):
        candidates[row, list(history)] = False  # what the user already has
    candidates[rows, targets] = False  # the target does not compete with itself
    return metrics_at_k(pessimistic_ranks(scores, targets, candidates), k)


# %%
check_full_ranking_metrics(full_ranking_metrics, split, n_items)  # against minishop.eval.evaluate

# %% [markdown]
# ## 5. The verdict
#
# Your model against the two baselines of lesson 9, on the **test** items, under both protocols, by
# `minishop.eval` (and by your own metrics, when exercise 2 passed). `evaluate_all` needs an object with a
# `score` method; a two-line wrapper gives it your scorer (the library's until exercise 1 passes).

# %%
class YourRecommender:
    def __init__(self, model, scorer):
        self.model, self.scorer = model, scorer

    def score(self, histories):  # (B, n_items + 1)
        with minishop.no_grad():
            return self.scorer(self.model, histories)


scorer = use("recommend_scores", library_recommend_scores, yours=recommend_scores)
recommenders = {"yours": YourRecommender(model.eval(), scorer),
                "markov": MarkovRecommender().fit(split.train, n_items),
                "popular": PopularRecommender().fit(split.train, n_items)}
results = {name: evaluate_all(r, split, stage="test", ks=(10,), seed=0, progress=False)
           for name, r in recommenders.items()}
print(format_table(results, metrics=("NDCG@10", "HR@10"), model="yours"))
if not any(owner == "yours" for owner in whose.values()):
    print("(no piece of this model is yours yet: 'yours' above is the library's model, assembled the same way)")

# %%
measure = use("full_ranking_metrics", library_full_ranking_metrics, yours=full_ranking_metrics)
_, test_histories, test_targets = protocols.evaluation_cases(split, "test")
hr, ndcg, mrr = measure(recommenders["yours"].score(test_histories), test_histories, test_targets)
print(f"full ranking on the test items: HR@10 {hr:.4f}  NDCG@10 {ndcg:.4f}  MRR@10 {mrr:.4f} "
      f"(minishop.eval: NDCG@10 {results['yours']['full']['NDCG@10']:.4f})")

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4))
left.plot(np.arange(1, len(losses) + 1) / steps_per_epoch, losses)
left.axhline(math.log(n_items), color="gray", ls=":", label="ln |I| (untrained)")
left.set_xlabel("epoch")
left.set_ylabel("training loss (full softmax CE)")
left.set_title("your training loop")
left.legend()
bars = [("full", "NDCG@10"), ("full", "HR@10"), ("sampled", "NDCG@10"), ("sampled", "HR@10")]
width = 0.27
for i, (name, color) in enumerate(zip(results, ["tab:green", "tab:olive", "tab:gray"])):
    right.bar(np.arange(len(bars)) + (i - 1) * width, [results[name][p][m] for p, m in bars], width,
              label=name, color=color)
right.set_xticks(np.arange(len(bars)), [f"{p}\n{m}" for p, m in bars])
right.set_ylabel("test metric (higher is better)")
right.set_title("your model against the baselines")
right.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# ### The check: does your model beat the Markov chain?
# On full-ranking test NDCG@10. (While no piece of the model — or its scorer — is yours, this check waits:
# a model made only of the library's pieces is not your work.)

# %%
whose["recommend_scores"] = "yours" if scorer is recommend_scores else "library"  # the scorer is a piece too
check_beats_markov(results, whose)

# %% [markdown]
# ## 6. What the comparison shows, and what it does not
#
# - One split, one seed, one shop. Before claiming "better", train with other seeds and look at the spread
#   (lesson 9's reflection), and compare on the validation items before touching the test items.
# - The sampled columns are larger and closer together: report them only to compare with papers.
# - Beating Markov on NDCG says nothing about coverage, popularity bias or whether the explanations are
#   faithful (lesson 12).
#
# ## Reflection — answers
# 1. First the loss at step 0: far from $\ln |I|$ means a broken forward pass (a missing $\sqrt D$, positions
#    from the left, untied scores). A loss that starts right but does not fall points at the loop or the
#    optimizer: gradients not cleared, `p.data` not updated, Adam without bias correction. Each piece's check
#    isolates it: swap one of yours for the library's (`use` falls back when a piece is removed from the
#    store) and see which swap fixes the curve.
# 2. The pieces built from small Tensor operations: `layer_norm` as mean, subtract, square, mean, power,
#    divide, multiply, add records about ten graph nodes and as many temporary arrays, where the library's
#    fused `layer_norm` is one node with a hand-derived backward; the same for a softmax written as max,
#    subtract, exp, sum, divide. Same numbers, more memory traffic and Python overhead.
# 3. Full softmax over 23,715 items costs an $(N \times 23{,}716)$ score matrix per batch: use the sampled
#    softmax or BCE with negatives, longer histories (`max_len` 50–200), a wider model, dropout against
#    over-fitting, more epochs with warm-up, and validation early stopping; evaluate on a sample of users if
#    full ranking of every user is too slow.
#
# ## Summary
# - The recommender is a few functions you wrote: `layer_norm`, `pre_ln_block`, `sasrec_scores`,
#   `adam_step`, `train_loop`, and lesson 9's `pessimistic_ranks` and `metrics_at_k` to judge it.
# - The evaluator needs one method, `score(histories)`; padding gets `-inf`.
# - Full ranking, pessimistic ties, baselines measured the same way: the honest comparison.
#
# ## Quiz
# Answer each question with the letter of one choice, then run the check.
#
# 1. The bar to clear on this shop is (a) most popular, (b) the Markov chain, (c) the sampled NDCG of a paper.
# 2. Column 0 of the scores gets -inf because (a) it is the target, (b) it is the newest item, (c) it is padding.
# 3. Your model and a baseline should be compared (a) by the same evaluator on the same split, (b) on their training losses, (c) under different protocols.

# %%
quiz_answers = {1: "b", 2: "c", 3: "a"}

# %%
check_quiz(quiz_answers)
