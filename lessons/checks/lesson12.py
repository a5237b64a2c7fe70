"""Checks for lesson 12 (responsible recommenders), against `minishop.data.preprocess.pseudonymise` and
`minishop.eval.coverage`.

The pseudonym is checked on several raw ids against the library's salted hash (an unsalted hash, or the salt
after the id, is rejected); coverage against `minishop.eval.coverage` on the lesson's own top-10 lists; the
popularity penalty against its formula on scores and counts where log and log1p differ.
"""

import numpy as np
import pandas as pd

from minishop.data.preprocess import pseudonymise
from minishop.eval import coverage

from . import check_close, check_function, quiz


def check_pseudonym(pseudonym, salt):
    """One pseudonym per raw id against pseudonymise's column, for ids of different shapes."""
    raw_ids = ["U00042", "U31013", "alice@example.com", "0"]
    expected = pseudonymise(pd.DataFrame({"user": raw_ids}), salt=salt)[0]["user"].tolist()
    return check_function(
        "pseudonym",
        lambda ids: None if pseudonym(ids[0], salt) is None else [pseudonym(raw, salt) for raw in ids],
        [((raw_ids,), lambda got: None if list(got) == expected else
          f"expected {expected}, got {list(got)}")],
        points=2, save=False,
        hints=("The salt comes FIRST, then the id, in one string that is encoded as UTF-8 before hashing.",
               "SHA-256 from hashlib; keep the first 16 characters of the hexadecimal digest."),
    )


def check_coverage(model_coverage, top_lists, n_items):
    """The share of the catalogue in at least one top-10 list, against minishop.eval.coverage."""
    return check_close(
        "model_coverage", model_coverage, coverage(top_lists, n_items), points=1, atol=1e-9,
        hints=("Count each recommended item once, however many lists it appears in: the distinct ids.",
               "Divide by the catalogue's size n_items, not by the number of lists or of slots."),
    )


def check_penalised(penalised):
    """scores - lam * log(1 + counts), for a row and a batch, with counts where log and log1p differ."""
    counts = np.array([0.0, np.e - 1, np.e ** 2 - 1])
    rng = np.random.default_rng(120)
    batch, batch_counts = rng.standard_normal((4, 6)), rng.integers(0, 50, size=6).astype(float)
    cases = [((np.array([3.0, 2.0, 1.0]), counts, 1.0), np.array([3.0, 1.0, -1.0])),
             ((np.array([[3.0, 2.0, 1.0], [0.0, 0.0, 0.0]]), counts, 0.5), np.array([[3.0, 1.5, 0.0], [0.0, -0.5, -1.0]])),
             ((batch, batch_counts, 0.3), batch - 0.3 * np.log1p(batch_counts)),
             ((np.array([1.0, 2.0]), np.array([5.0, 7.0]), 0.0), np.array([1.0, 2.0]))]
    return check_function(
        "penalised", penalised, cases,
        points=2,
        hints=("A penalty LOWERS the score of popular items, and an item never bought (count 0) is not penalised.",
               "log(1 + n) is np.log1p(n); broadcasting a (N,) array against (..., N) scores does the rest."),
    )


def check_quiz(answers):
    """Lesson 12's quiz: one letter per question."""
    return quiz("quiz12", answers, {1: "b", 2: "a", 3: "c", 4: "b"}, points=2,
                hints=("Each question matches a section: privacy (1, 2), bias (3), explanations (4).",))
