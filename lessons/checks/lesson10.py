"""Checks for lesson 10 (language for the shop), against `minishop.text.sampling` and `minishop.eval.text_metrics`.

Temperature and the nucleus are checked against `next_token_probs` on logits that include very large ones
(a softmax without the max shift overflows) and on nuclei whose boundary token must be kept; macro-F1 against
`text_metrics.macro_f1` on confusion matrices with unbalanced classes (where it differs from accuracy).
"""

import numpy as np

from minishop.eval import text_metrics
from minishop.text.sampling import next_token_probs, softmax

from . import check_function, quiz


def check_with_temperature(with_temperature, logits):
    """softmax(z / T) against next_token_probs(z, temperature=T), on the lesson's logits and on huge ones."""
    rng = np.random.default_rng(100)
    z = rng.standard_normal(7) * 3
    huge = np.array([800.0, 795.0, -20.0, 780.0])  # exp(800) overflows without the max shift
    cases = [(logits, 1.0), (logits, 0.5), (z, 3.0), (huge, 0.7)]
    return check_function(
        "with_temperature", with_temperature,
        [((x, T), next_token_probs(x, temperature=T)) for x, T in cases],
        points=2, atol=1e-9, rtol=1e-6,
        hints=("T divides the logits before the softmax: a small T sharpens, a large T flattens.",
               "Subtract the largest (scaled) logit before exponentiating, or exp(800) overflows to inf."),
    )


def check_nucleus(nucleus, logits):
    """Top-p filtering against next_token_probs(z, top_p=p), including the token that crosses p."""
    rng = np.random.default_rng(101)
    z = rng.standard_normal(9) * 2
    probs = np.array([0.5, 0.3, 0.15, 0.05])  # p = 0.6 needs the first two: the one crossing p is kept
    cases = [(softmax(logits), 0.8), (softmax(logits), 0.3), (softmax(z), 0.95), (probs, 0.6), (probs, 0.4)]
    expected = [next_token_probs(np.log(p), top_p=top_p) for p, top_p in cases]
    return check_function(
        "nucleus", nucleus,
        [((p, top_p), want) for (p, top_p), want in zip(cases, expected)],
        points=2, atol=1e-9, rtol=1e-6,
        hints=("Sort the probabilities from the largest down and add them up: keep tokens until the running total "
               "REACHES p — the token that crosses p is kept too.",
               "Always keep at least one token; set the others to 0 and divide by the sum of what you kept."),
    )


def _confusion(rng, n_classes, n, skew):
    weights = np.array(skew, dtype=float) / np.sum(skew)
    true = rng.choice(n_classes, size=n, p=weights)
    predicted = np.where(rng.random(n) < 0.6, true, rng.integers(0, n_classes, size=n))
    for c in range(n_classes):  # every class occurs in truth and prediction
        true[c], predicted[c] = c, c
    return text_metrics.confusion_matrix(true, predicted, n_classes), text_metrics.macro_f1(true, predicted, n_classes)


def check_macro_f1(macro_f1):
    """Macro-F1 from a confusion matrix against text_metrics.macro_f1, on unbalanced classes."""
    rng = np.random.default_rng(102)
    cases = [_confusion(rng, 5, 300, [1, 1, 2, 6, 10]), _confusion(rng, 3, 80, [8, 1, 1])]
    return check_function(
        "macro_f1", macro_f1,
        [((matrix,), want) for matrix, want in cases],
        points=2, atol=1e-9, rtol=1e-9,
        hints=("One F1 per class, then their plain (unweighted) mean: a rare class counts as much as a common one.",
               "Rows are the true classes and columns the predicted ones: class c's true count is row c's sum, its "
               "predicted count is column c's sum, and its hits are the diagonal entry."),
    )


def check_quiz(answers):
    """Lesson 10's quiz: one letter per question."""
    return quiz("quiz10", answers, {1: "b", 2: "a", 3: "c", 4: "b"}, points=2,
                hints=("Each question matches a section: sampling (2), the cache (3), the classifier's metrics (4).",))
