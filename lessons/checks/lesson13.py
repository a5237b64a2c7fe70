"""Checks for lesson 13 (the capstone): your pieces assembled, your scorer, your evaluation, and the verdict.

`assemble()` asks `use()` for every piece of the recommender (lessons 5, 7, 8 and 9): the learner's where it
passed its check, the library's where not, and says which. The checks compare the learner's scorer with
`SequentialRecommender.score` (same weights) and the learner's full-ranking metrics with `minishop.eval`;
the last one asks whether the trained model beats the Markov chain on full-ranking NDCG@10.
"""

import numpy as np

import minishop
import minishop.functional as F
from minishop.eval import MarkovRecommender, evaluate, protocols, ranks_from_scores

from . import check_function, check_true, quiz, use
from .lesson07 import library_adam_step
from .lesson08 import (attention_piece, library_layer_norm, library_pre_ln_block, library_sasrec_scores,
                       library_train_loop, tiny_recommender)
from .lesson09 import library_metrics_at_k

# what each piece is, in the order a reader meets them: (name, lesson, fallback)
PIECES = [
    ("layer_norm", 8, library_layer_norm),
    ("pre_ln_block", 8, library_pre_ln_block),
    ("sasrec_scores", 8, library_sasrec_scores),
    ("adam_step", 7, library_adam_step),
    ("train_loop", 8, library_train_loop),
    ("pessimistic_ranks", 9, ranks_from_scores),
    ("metrics_at_k", 9, library_metrics_at_k),
]


def assemble():
    """{name: function} for every piece of the capstone model: yours where it passed, else the library's."""
    chosen = {"multi_head_attention": attention_piece(), "gelu": use("gelu", F.gelu)}  # lessons 5 and 6
    for name, _, fallback in PIECES:
        chosen[name] = use(name, fallback)
    return chosen


def library_recommend_scores(model, histories):
    """SequentialRecommender.score: (B, n_items + 1) host scores after each history, column 0 = -inf."""
    return minishop.to_numpy(model.score(histories))


def check_recommend_scores(recommend_scores):
    """Against SequentialRecommender.score (same weights), with short, empty-free and too-long histories."""
    model = tiny_recommender(seed=130)
    histories = [[4, 17, 9], [3, 30, 30, 8, 1, 37, 2, 2, 5, 11], [6], [12, 13]]  # one longer than max_len = 7
    cases = [((model, histories), library_recommend_scores(model, histories)),
             ((model, histories[2:]), library_recommend_scores(model, histories[2:]))]
    hints = ("Keep each history's newest model.max_len items, left-pad them with 0 into one (B, T) int array, "
             "and score them with your sasrec_scores.",
             "The scores for the NEXT item are those after the newest item: the last column of the positions.",
             "Column 0 is padding: it must never be recommended, so give it -inf. Return a NumPy array "
             "(minishop.to_numpy).")
    with np.errstate(invalid="ignore"):  # comparing column 0's -inf with -inf computes inf - inf
        return check_function("recommend_scores", recommend_scores, cases, points=3, atol=1e-4, rtol=1e-4,
                              hints=hints)


def check_full_ranking_metrics(full_ranking_metrics, split, n_items):
    """[HR@10, NDCG@10, MRR@10] of the Markov chain on the validation items, against minishop.eval.evaluate."""
    markov = MarkovRecommender().fit(split.train, n_items)
    _, histories, targets = protocols.evaluation_cases(split, "valid")
    scores = minishop.to_numpy(markov.score(histories))  # (U, n_items + 1)
    reference = evaluate(markov, split, stage="valid", ks=(10,), progress=False)
    expected = np.array([reference["HR@10"], reference["NDCG@10"], reference["MRR@10"]])
    return check_function(
        "full_ranking_metrics", full_ranking_metrics,
        [((scores, histories, targets), expected)],
        points=3, atol=1e-9, rtol=1e-9,
        hints=("Every item competes with the target except column 0 (padding), the items already in the "
               "user's history, and the target itself.",
               "Build a bool (U, n_items + 1) `candidates` array, then your pessimistic_ranks and your "
               "metrics_at_k at k = 10 do the rest."),
    )


def check_beats_markov(results, whose):
    """Your model's full-ranking test NDCG@10 must beat the Markov chain's; blank while no piece is yours."""
    if not any(w == "yours" for w in whose.values()):
        results = None  # the library's model would pass: not your work yet

    def verdict(results):
        mine, markov = results["yours"]["full"]["NDCG@10"], results["markov"]["full"]["NDCG@10"]
        if mine > markov:
            return ""
        return f"your model's full NDCG@10 is {mine:.4f}, the Markov chain's {markov:.4f}: not above it yet"

    return check_true(
        "beats_markov", results, verdict, "",
        points=4,
        hints=("Check that the training loss fell well below ln |I|; if not, a piece is wrong or the learning "
               "rate too small.",
               "More epochs, or a learning rate between 3e-3 and 1e-2, usually help; keep the whole lesson "
               "under two minutes."),
    )


def check_quiz(answers):
    """Lesson 13's quiz: one letter per question."""
    return quiz("quiz13", answers, {1: "b", 2: "c", 3: "a"}, points=2,
                hints=("Think about what each protocol ranks the target against, and what a baseline is for.",))


def library_full_ranking_metrics(scores, histories, targets, k=10):
    """[HR@k, NDCG@k, MRR@k] under full ranking with minishop.eval's own candidates and ranks."""
    ranks, _ = protocols.full_ranking(scores, histories, targets, exclude_history=True, k_max=k)
    return library_metrics_at_k(minishop.to_numpy(ranks), k)
