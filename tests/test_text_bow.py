"""The bag-of-words baseline: TF-IDF features and hand-written logistic regression."""

from pathlib import Path

import numpy as np

from minishop import backend
from minishop.data import labelled
from minishop.text.bow import BagOfWordsClassifier, LogisticRegression, TfidfVectorizer, words

FIXTURES = Path(__file__).parent / "fixtures" / "text"


def test_words_and_pairs():
    assert words("Don't BUY it!", ngrams=2) == ["don't", "buy", "it", "don't buy", "buy it"]


def test_tfidf_rows_have_unit_length_and_rare_terms_weigh_more():
    texts = ["good mug good", "good lamp", "bad lamp"]
    vectorizer = TfidfVectorizer(min_count=1, ngrams=1).fit(texts)
    dense = backend.to_numpy(vectorizer.dense(vectorizer.transform(texts)))
    assert dense.shape == (3, 4)
    np.testing.assert_allclose(np.linalg.norm(dense, axis=1), 1.0, rtol=1e-6)
    vocab = vectorizer.vocabulary
    assert vectorizer.idf[vocab["mug"]] > vectorizer.idf[vocab["good"]]


def test_hand_written_gradient_matches_finite_differences(float64):
    rng = np.random.default_rng(0)
    x = backend.asarray(rng.normal(size=(7, 5)))
    y = backend.asarray(rng.integers(0, 3, size=7))
    weights = backend.asarray(rng.uniform(0.5, 2.0, size=7))
    model = LogisticRegression(5, 3, l2=0.1)
    model.W[...] = backend.asarray(rng.normal(size=(5, 3)))
    model.b[...] = backend.asarray(rng.normal(size=3))
    _, (dW, db) = model.loss_and_gradients(x, y, weights)
    for parameter, analytic in ((model.W, dW), (model.b, db)):
        numeric = np.zeros(parameter.shape)
        for index in np.ndindex(parameter.shape):
            saved = parameter[index].copy()
            parameter[index] = saved + 1e-6
            plus, _ = model.loss_and_gradients(x, y, weights)
            parameter[index] = saved - 1e-6
            minus, _ = model.loss_and_gradients(x, y, weights)
            parameter[index] = saved
            numeric[index] = (plus - minus) / 2e-6
        np.testing.assert_allclose(backend.to_numpy(analytic), numeric, rtol=1e-6, atol=1e-9)


def test_learns_the_fixture_sentences_and_generalises_to_new_ones():
    data = labelled.load_tsv(FIXTURES / "sentences.tsv")
    model = BagOfWordsClassifier(n_classes=2, min_count=1, epochs=20)
    losses = model.fit(data.texts, data.label_ids())
    assert losses[-1] < 0.2 * losses[0]
    assert (model.predict(data.texts) == np.array(data.label_ids())).mean() == 1.0
    new = ["The lamp is wonderful. I love it.", "The mug is awful. Waste of money."]
    assert model.predict(new).tolist() == [1, 0]
