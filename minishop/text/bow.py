"""The bag-of-words baseline: TF-IDF features and a softmax (multinomial logistic) regression.

Before a transformer reads a review word by word, the question to ask is how far plain word counts get.
This file answers it with the classic recipe, written out on the backend arrays:

1. `TfidfVectorizer` turns a text into a vector with one entry per vocabulary word (or word pair):
       tfidf(t, d) = (1 + log count(t, d)) * idf(t),   idf(t) = log((1 + N) / (1 + df(t))) + 1
   where N is the number of training documents and df(t) how many contain t; each row is then scaled to
   unit length. Word order is thrown away: "not good, bad" and "not bad, good" look the same.
2. `LogisticRegression` learns W (V, C) and b (C,) so that softmax(x W + b) predicts the class:
       loss = sum_i s_i * -log softmax(x_i W + b)[y_i] + (l2 / 2) ||W||^2
       dloss/dlogits_i = s_i * (softmax(x_i W + b) - onehot(y_i))     (softmax cross-entropy's gradient)
       dW = x^T dlogits + l2 W,   db = sum_i dlogits_i
   where s_i is example i's share of the batch (1/B, or proportional to 1/frequency of its class when
   `balanced`, so rare classes count as much as common ones), and takes Adam steps on mini-batches.
   No autograd is needed: the gradient above is the whole model.

Documents are stored sparsely (the indices and values of their non-zero features) and turned into a dense
(B, V) array one mini-batch at a time, so memory grows with the text, not with N * V.
"""

import json
import math
from collections import Counter

from minishop import backend
from minishop.tokenizers.words import split_words

np = backend.np

FORMAT = "minishop-bag-of-words"


def words(text, ngrams=1):
    """Lower-cased words of `text` (the same units as minishop.tokenizers.words), plus word pairs "a b" when
    ngrams=2."""
    tokens = split_words(text)
    if ngrams >= 2:
        tokens = tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:])]
    return tokens


class TfidfVectorizer:
    """Text -> sparse TF-IDF row over the `max_features` most frequent terms of the training texts."""

    def __init__(self, max_features=20000, min_count=2, ngrams=2):
        self.max_features = max_features
        self.min_count = min_count
        self.ngrams = ngrams
        self.vocabulary = {}  # term -> column
        self.idf = None  # (V,) host array

    def fit(self, texts):
        """Choose the vocabulary (most frequent terms, ties alphabetical) and their idf weights."""
        document_frequency = Counter()
        for text in texts:
            document_frequency.update(set(words(text, self.ngrams)))
        kept = [(term, df) for term, df in document_frequency.items() if df >= self.min_count]
        kept.sort(key=lambda pair: (-pair[1], pair[0]))
        kept = kept[: self.max_features]
        self.vocabulary = {term: column for column, (term, _) in enumerate(kept)}
        df = np.array([count for _, count in kept], dtype=np.float64)  # (V,)
        self.idf = np.log((1 + len(texts)) / (1 + df)) + 1
        return self

    def transform(self, texts):
        """A list of (columns, values) host arrays, one pair per text, each row of unit length."""
        rows = []
        for text in texts:
            counts = Counter(term for term in words(text, self.ngrams) if term in self.vocabulary)
            columns = np.array([self.vocabulary[term] for term in counts], dtype=np.int64)
            values = np.array([1 + math.log(c) for c in counts.values()], dtype=np.float64) * self.idf[columns]
            norm = np.sqrt((values**2).sum())
            rows.append((columns, values / norm if norm > 0 else values))
        return rows

    def dense(self, rows):
        """Stack sparse rows into a dense (B, V) backend array of the default dtype."""
        matrix = np.zeros((len(rows), len(self.vocabulary)), dtype=backend.default_dtype())
        for i, (columns, values) in enumerate(rows):
            matrix[i, columns] = values
        return backend.asarray(matrix)


class LogisticRegression:
    """softmax(x W + b) trained with Adam on mini-batches; the gradient is written out by hand."""

    def __init__(self, n_features, n_classes, l2=1e-4, lr=0.05, epochs=30, batch_size=64, balanced=True):
        xp = backend.xp()
        dtype = backend.default_dtype()
        self.W = xp.zeros((n_features, n_classes), dtype=dtype)  # (V, C)
        self.b = xp.zeros((n_classes,), dtype=dtype)  # (C,)
        self.l2, self.lr, self.epochs, self.batch_size = l2, lr, epochs, batch_size
        self.balanced = balanced  # weight classes by 1/frequency, so rare ratings count as much as common ones

    def logits(self, x):
        """x (B, V) -> (B, C)."""
        return x @ self.W + self.b

    def predict_proba(self, x):
        """x (B, V) -> class probabilities (B, C)."""
        z = self.logits(x)
        z = z - z.max(axis=1, keepdims=True)  # stable softmax: shifting logits changes nothing
        e = backend.xp().exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def fit(self, vectorizer, rows, labels, seed=0):
        """Train on sparse `rows` (from vectorizer.transform) with integer `labels`; returns the loss curve."""
        xp = backend.xp()
        n_classes = self.W.shape[1]
        labels = np.asarray(labels, dtype=np.int64)
        counts = np.bincount(labels, minlength=n_classes).astype(np.float64)
        class_weight = len(labels) / (n_classes * np.maximum(counts, 1)) if self.balanced else np.ones(n_classes)
        moments = [(xp.zeros_like(p), xp.zeros_like(p)) for p in (self.W, self.b)]
        order_rng = np.random.default_rng(seed)
        step, losses = 0, []
        for _ in range(self.epochs):
            epoch_loss = 0.0
            order = order_rng.permutation(len(rows))
            for start in range(0, len(rows), self.batch_size):
                index = order[start : start + self.batch_size]
                x = vectorizer.dense([rows[i] for i in index])  # (B, V)
                y = backend.asarray(labels[index])  # (B,)
                w = backend.asarray(class_weight[labels[index]].astype(x.dtype))  # (B,)
                loss, grads = self.loss_and_gradients(x, y, w)
                epoch_loss += loss * len(index)
                step += 1
                self._adam_step(grads, moments, step)
            losses.append(epoch_loss / len(rows))
        return losses

    def loss_and_gradients(self, x, y, weights):
        """Weighted mean cross-entropy + L2 penalty on x (B, V), labels y (B,), example weights (B,),
        and its gradients (dW (V, C), db (C,)), derived by hand as in the module docstring."""
        xp = backend.xp()
        probs = self.predict_proba(x)  # (B, C)
        rows = xp.arange(x.shape[0])
        share = weights / weights.sum()  # (B,) each example's share of the weighted mean
        loss = float(-(share * xp.log(probs[rows, y])).sum() + 0.5 * self.l2 * (self.W**2).sum())
        d_logits = probs.copy()
        d_logits[rows, y] -= 1  # softmax - onehot
        d_logits *= share[:, None]  # (B, C)
        return loss, (x.T @ d_logits + self.l2 * self.W, d_logits.sum(axis=0))

    def _adam_step(self, grads, moments, step, beta1=0.9, beta2=0.999, eps=1e-8):
        """One Adam update of W and b in place: m, v are running means of g and g^2, bias-corrected."""
        for parameter, grad, (m, v) in zip((self.W, self.b), grads, moments):
            m *= beta1
            m += (1 - beta1) * grad
            v *= beta2
            v += (1 - beta2) * grad * grad
            m_hat = m / (1 - beta1**step)
            v_hat = v / (1 - beta2**step)
            parameter -= self.lr * m_hat / (backend.xp().sqrt(v_hat) + eps)


class BagOfWordsClassifier:
    """TfidfVectorizer + LogisticRegression behind a fit / predict interface on raw texts."""

    def __init__(self, n_classes, max_features=20000, ngrams=2, min_count=2, **regression_options):
        self.n_classes = n_classes
        self.vectorizer = TfidfVectorizer(max_features, min_count, ngrams)
        self.regression_options = regression_options
        self.regression = None

    def fit(self, texts, labels, seed=0):
        """Learn the vocabulary from `texts`, then the weights; returns the loss per epoch."""
        self.vectorizer.fit(texts)
        rows = self.vectorizer.transform(texts)
        self.regression = LogisticRegression(len(self.vectorizer.vocabulary), self.n_classes, **self.regression_options)
        return self.regression.fit(self.vectorizer, rows, labels, seed=seed)

    def predict(self, texts, batch_size=512):
        """The most probable class of each text, as a host int array."""
        rows = self.vectorizer.transform(texts)
        predictions = []
        for start in range(0, len(rows), batch_size):
            x = self.vectorizer.dense(rows[start : start + batch_size])
            predictions.append(backend.to_numpy(self.regression.logits(x).argmax(axis=1)))
        return np.concatenate(predictions)

    def predict_proba(self, texts, batch_size=512):
        """Class probabilities (N, C) of the texts, as a host float64 array."""
        rows = self.vectorizer.transform(texts)
        outputs = [backend.to_numpy(self.regression.predict_proba(self.vectorizer.dense(rows[start : start + batch_size])))
                   for start in range(0, len(rows), batch_size)]
        return np.concatenate(outputs).astype(np.float64) if outputs else np.zeros((0, self.n_classes))

    def explain(self, text):
        """[(term, share)] of the text's terms that pushed towards its predicted class k: x_t (W_tk - mean_j W_tj),
        the positive parts normalised to sum to 1 (the logits are a sum over terms, so each term's part is exact)."""
        columns, values = self.vectorizer.transform([text])[0]
        if len(columns) == 0:
            return []
        W = backend.to_numpy(self.regression.W).astype(np.float64)  # (V, C)
        k = int(self.predict_proba([text])[0].argmax())
        pushed = np.maximum(values * (W[columns, k] - W[columns].mean(axis=1)), 0.0)  # (terms,)
        shares = pushed / pushed.sum() if pushed.sum() > 0 else np.full(len(columns), 1 / len(columns))
        terms = {column: term for term, column in self.vectorizer.vocabulary.items()}
        return [(terms[int(c)], float(share)) for c, share in zip(columns, shares)]

    def save(self, path):
        """Write the vocabulary, idf and weights as JSON (a run's bow.json)."""
        vectorizer = self.vectorizer
        document = {"format": FORMAT, "n_classes": self.n_classes, "max_features": vectorizer.max_features,
                    "min_count": vectorizer.min_count, "ngrams": vectorizer.ngrams,
                    "terms": sorted(vectorizer.vocabulary, key=vectorizer.vocabulary.get),
                    "idf": vectorizer.idf.tolist(), "W": backend.to_numpy(self.regression.W).tolist(),
                    "b": backend.to_numpy(self.regression.b).tolist()}
        with open(path, "w", encoding="utf-8") as file:
            json.dump(document, file)

    @classmethod
    def load(cls, path):
        """A BagOfWordsClassifier from save()'s JSON file."""
        with open(path, encoding="utf-8") as file:
            document = json.load(file)
        if document.get("format") != FORMAT:
            raise ValueError(f"{path}: not a bag-of-words model file (format {document.get('format')!r})")
        model = cls(document["n_classes"], document["max_features"], document["ngrams"], document["min_count"])
        model.vectorizer.vocabulary = {term: column for column, term in enumerate(document["terms"])}
        model.vectorizer.idf = np.array(document["idf"], dtype=np.float64)
        model.regression = LogisticRegression(len(document["terms"]), document["n_classes"])
        dtype = backend.default_dtype()
        model.regression.W = backend.asarray(np.array(document["W"], dtype=dtype).reshape(len(document["terms"]),
                                                                                   document["n_classes"]))
        model.regression.b = backend.asarray(np.array(document["b"], dtype=dtype))
        return model
