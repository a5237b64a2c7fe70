"""Metrics for the language tasks, and the n-gram baselines a language model must beat.

Classification (review sentiment, star rating):

- accuracy          = correct / total
- confusion matrix  C[i, j] = number of examples of true class i predicted as class j
- macro-F1          = mean over classes c of F1_c = 2 P_c R_c / (P_c + R_c), with precision
                      P_c = C[c, c] / sum_i C[i, c] and recall R_c = C[c, c] / sum_j C[c, j].
                      Every class counts the same, so a model that always says "positive" scores
                      badly even when most reviews are positive. A class never predicted and never
                      present is left out of the mean; one with no true positives has F1 = 0.

Language modelling:

- perplexity = exp(mean negative log-likelihood per predicted token): "as unsure as a uniform choice
  among that many tokens". Lower is better; a uniform guess over V tokens scores V.
- UnigramLM: p(w) from token counts with add-one (Laplace) smoothing, ignoring all context.
- BigramLM:  p(w | v) = lam * count(v, w) / count(v) + (1 - lam) * p_unigram(w)
             (Jelinek-Mercer interpolation, so an unseen pair still has probability;
             after a context v never seen in training, p(w | v) = p_unigram(w)).

Everything here runs on the host (NumPy), whatever the array backend.
"""

import math

from minishop import backend

np = backend.np


def confusion_matrix(true, predicted, n_classes):
    """(C, C) int matrix: row = true class, column = predicted class."""
    true, predicted = np.asarray(true, dtype=np.int64), np.asarray(predicted, dtype=np.int64)
    if true.shape != predicted.shape:
        raise ValueError(f"confusion_matrix: true has shape {true.shape}, predicted has {predicted.shape}")
    counts = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(counts, (true, predicted), 1)  # small host arrays: clarity over speed
    return counts


def accuracy(true, predicted):
    """The fraction of examples whose predicted class is the true class."""
    true, predicted = np.asarray(true), np.asarray(predicted)
    return float((true == predicted).mean())


def macro_f1(true, predicted, n_classes):
    """The unweighted mean of per-class F1 over the classes that occur (in truth or prediction)."""
    counts = confusion_matrix(true, predicted, n_classes)
    hits = np.diag(counts).astype(np.float64)  # (C,)
    predicted_totals = counts.sum(axis=0)  # (C,) how often each class was predicted
    true_totals = counts.sum(axis=1)  # (C,) how often each class is the truth
    present = (predicted_totals + true_totals) > 0
    f1 = 2 * hits / np.maximum(predicted_totals + true_totals, 1)  # 2PR/(P+R) = 2 TP / (pred + true)
    return float(f1[present].mean())


def classification_report(true, predicted, class_names):
    """A dict with accuracy, macro_f1, the confusion matrix (nested lists) and the class names."""
    n_classes = len(class_names)
    return {
        "accuracy": accuracy(true, predicted),
        "macro_f1": macro_f1(true, predicted, n_classes),
        "confusion_matrix": confusion_matrix(true, predicted, n_classes).tolist(),
        "classes": list(class_names),
        "n_examples": int(len(true)),
    }


def perplexity(total_negative_log_likelihood, n_tokens):
    """exp(total NLL / number of predicted tokens)."""
    if n_tokens <= 0:
        raise ValueError(f"perplexity: n_tokens={n_tokens}, expected at least one predicted token")
    return math.exp(total_negative_log_likelihood / n_tokens)


class UnigramLM:
    """p(w) = (count(w) + 1) / (N + V): token frequencies with add-one smoothing, no context."""

    def __init__(self, vocab_size):
        self.vocab_size = vocab_size
        self.log_probs = None  # (V,)

    def fit(self, sequences):
        """Count the predicted tokens (everything after the first token) of each id sequence."""
        counts = np.zeros(self.vocab_size, dtype=np.float64)
        for ids in sequences:
            counts += np.bincount(np.asarray(ids[1:], dtype=np.int64), minlength=self.vocab_size)
        self.log_probs = np.log((counts + 1.0) / (counts.sum() + self.vocab_size))
        return self

    def perplexity(self, sequences):
        """Perplexity on each sequence's tokens after the first (the first is given, like <bos>)."""
        targets = np.concatenate([np.asarray(ids[1:], dtype=np.int64) for ids in sequences])
        return perplexity(-self.log_probs[targets].sum(), len(targets))


class BigramLM:
    """p(w | v) = lam * count(v, w) / count(v) + (1 - lam) * p_unigram(w)."""

    def __init__(self, vocab_size, lam=0.7):
        self.vocab_size = vocab_size
        self.lam = lam
        self.unigram = UnigramLM(vocab_size)
        self.pair_counts = {}  # {(v, w): count}, sparse: most pairs never occur
        self.context_counts = np.zeros(vocab_size, dtype=np.float64)  # count(v) as a context

    def fit(self, sequences):
        """Count consecutive pairs (v, w) in every id sequence."""
        self.unigram.fit(sequences)
        for ids in sequences:
            for previous, token in zip(ids[:-1], ids[1:]):
                key = (int(previous), int(token))
                self.pair_counts[key] = self.pair_counts.get(key, 0) + 1
                self.context_counts[previous] += 1
        return self

    def log_prob(self, previous, token):
        """log p(token | previous)."""
        seen = self.context_counts[previous]
        unigram = math.exp(self.unigram.log_probs[token])
        if not seen:  # a context never seen in training: only the unigram can say anything
            return math.log(unigram)
        bigram = self.pair_counts.get((int(previous), int(token)), 0) / seen
        return math.log(self.lam * bigram + (1 - self.lam) * unigram)

    def perplexity(self, sequences):
        """Perplexity on each sequence's tokens after the first, each predicted from the one before it."""
        total, count = 0.0, 0
        for ids in sequences:
            for previous, token in zip(ids[:-1], ids[1:]):
                total -= self.log_prob(previous, token)
                count += 1
        return perplexity(total, count)


def best_bigram(train_sequences, valid_sequences, vocab_size, lams=(0.3, 0.5, 0.7, 0.8, 0.9, 0.95)):
    """The BigramLM whose interpolation weight scores best on `valid_sequences`.

    Choosing lam on the very data we report on flatters the baseline, never our model: the comparison
    stays conservative.
    """
    model = BigramLM(vocab_size).fit(train_sequences)
    best = None
    for lam in lams:
        model.lam = lam
        score = model.perplexity(valid_sequences)
        if best is None or score < best[1]:
            best = (lam, score)
    model.lam = best[0]
    return model
