"""Checks of lesson 4 (embeddings). Expected values come from minishop's embedding and its backward.

Pieces saved for later lessons:  one_hot(ids, V) -> (N, V);  embedding_backward(ids, G, V) -> (V, D);
cosine(a, b) -> float.
"""

import numpy as np

import minishop.functional as F
from minishop import Tensor

from . import check_function, quiz, register

LESSON = "lesson04"
register("one_hot", 1, ("Row n is all zeros except a single 1, in the column given by ids[n].",
                        "The shape is (number of ids, V): one row per id, one column per possible id."), LESSON)
register("embedding_backward", 2, ("Row v of the gradient collects the rows of G at every position whose id is v.",
                                   "An id that appears twice must receive BOTH rows: a plain assignment keeps only one.",
                                   "Ids that never appear keep a zero row."), LESSON)
register("cosine", 1, ("The dot product of the two vectors, divided by the product of their LENGTHS.",
                       "A length is a norm (the square root of the sum of squares), not a squared norm."), LESSON)
register("quiz 04", 3, ("Sections 1 (one-hot), 2 (the scatter-add) and 3-4 (similarity) have the answers.",), LESSON)

rng = np.random.default_rng(4)  # seeded: every run checks the same inputs


def library_cosine(a, b):
    return float(np.dot(a, b) / np.sqrt(np.dot(a, a) * np.dot(b, b)))


def _lookup(ids, table):
    return F.embedding(Tensor(table), ids).numpy()  # (N, D): minishop's lookup


def _product_equals_lookup(ids, table):
    """`expected` for one_hot: onehot(ids) @ table must equal minishop's lookup of the same ids."""
    def compare(encoded):
        encoded = np.asarray(encoded)
        if encoded.shape != (len(ids), table.shape[0]):
            return f"expected shape {(len(ids), table.shape[0])} (ids, V), got {encoded.shape}"
        if not np.isin(encoded, (0, 1)).all():
            return "a one-hot matrix holds only zeros and ones"
        if not np.allclose(encoded @ table, _lookup(ids, table)):
            row = int(np.argmax(np.abs(encoded @ table - _lookup(ids, table)).sum(axis=1)))
            return f"onehot(ids) @ E does not pick the right row for position {row} (id {ids[row]})"
        return None
    return compare


def check_one_hot(one_hot):
    cases = [(np.array([4, 1, 4, 0]), rng.standard_normal((6, 3))),
             (np.array([9, 0, 3, 3, 7]), rng.standard_normal((10, 5)))]
    return check_function("one_hot", one_hot, [((ids, table.shape[0]), _product_equals_lookup(ids, table))
                                               for ids, table in cases])


def _autograd_embedding_grad(ids, G, V):
    table = Tensor(np.zeros((V, G.shape[1])), requires_grad=True)
    (F.embedding(table, ids) * Tensor(G)).sum().backward()  # L = Σ Y ⊙ G, so dL/dY = G
    return table.grad


def check_embedding_backward(embedding_backward):
    cases = [(np.array([4, 1, 4, 0]), rng.standard_normal((4, 3)), 6),
             (np.array([2, 2, 2, 5, 0, 2]), rng.standard_normal((6, 4)), 7)]
    return check_function("embedding_backward", embedding_backward,
                          [((ids, G, V), _autograd_embedding_grad(ids, G, V)) for ids, G, V in cases])


def check_cosine(cosine):
    a, b = rng.standard_normal(7), rng.standard_normal(7)
    pairs = [(np.array([1.0, 0.0]), np.array([0.0, 3.0])), (np.array([1.0, 2.0, 2.0]), np.array([2.0, 4.0, 4.0])),
             (np.array([3.0, -4.0]), np.array([-3.0, 4.0])), (a * 5.0, b), (np.array([1.0, 0.0]), np.array([1.0, 1.0]))]
    return check_function("cosine", cosine, [((x, y), library_cosine(x, y)) for x, y in pairs], atol=1e-9)


QUIZ = {"1": "a", "2": "c", "3": "b"}


def check_quiz(answers):
    """Questions in the lesson's quiz cell; answers are letters."""
    return quiz("quiz 04", answers, QUIZ)
