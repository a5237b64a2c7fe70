"""ReviewClassifier: gradients, padding, attention weights for explanations, and overfitting a tiny batch."""

import numpy as np
import pytest

import minishop
from minishop.models.classifier import ReviewClassifier, sentiment_of_rating
from minishop.optim import Adam

VOCAB, CLASSES = 29, 3


def _batch(seed=0, B=4, T=7):
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, VOCAB, size=(B, T))
    lengths = np.array([7, 5, 3, 6])[:B]
    padding = np.arange(T)[None, :] >= lengths[:, None]  # (B, T) True after each review's end
    ids[padding] = 0
    labels = rng.integers(0, CLASSES, size=B)
    return ids, padding, labels


@pytest.mark.parametrize("pooling", ["mean", "cls"])
def test_loss_gradients_pass_gradcheck(float64, pooling):
    minishop.manual_seed(1)
    model = ReviewClassifier(VOCAB, CLASSES, d_model=6, n_blocks=2, n_heads=2, max_len=7, dropout=0.0,
                             pooling=pooling, d_ff=5)
    ids, padding, labels = _batch()
    ids[:, 1] = ids[:, 0]  # repeated ids inside a review
    names, params = zip(*model.named_parameters())

    def loss(*_):
        return model.loss(ids, padding, labels, label_smoothing=0.1)

    result = minishop.gradcheck(loss, list(params), names=names)
    assert result.passed and result.max_rel_error < 1e-6


def test_padding_does_not_change_the_prediction(float64):
    minishop.manual_seed(2)
    model = ReviewClassifier(VOCAB, CLASSES, d_model=8, n_blocks=2, n_heads=2, max_len=12, dropout=0.0).eval()
    ids, padding, _ = _batch()
    longer_ids = np.concatenate([ids, np.full((4, 3), 5)], axis=1)  # 3 more padding slots holding junk ids
    longer_padding = np.concatenate([padding, np.ones((4, 3), dtype=bool)], axis=1)
    np.testing.assert_allclose(model(longer_ids, longer_padding).data, model(ids, padding).data, atol=1e-12)


@pytest.mark.parametrize("pooling", ["mean", "cls"])
def test_explain_gives_the_forward_logits_and_proper_attention(float64, pooling):
    minishop.manual_seed(3)
    model = ReviewClassifier(VOCAB, CLASSES, d_model=8, n_blocks=3, n_heads=4, max_len=9, dropout=0.2, pooling=pooling)
    ids, padding, _ = _batch(seed=4)
    logits, weights = model.explain(ids, padding)
    assert model.training  # explain() restores the mode it found
    np.testing.assert_allclose(logits.data, model.eval()(ids, padding).data, atol=1e-12)
    assert len(weights) == 3 and weights[0].shape == (4, 4, 7, 7)
    for w in weights:
        np.testing.assert_allclose(w.sum(axis=-1), 1.0, atol=1e-12)
        assert np.all(w[np.broadcast_to(padding[:, None, None, :], w.shape)] < 1e-12)  # no weight on padding
    importance = model.token_importance(ids, padding)
    np.testing.assert_allclose(importance.sum(axis=1), 1.0, atol=1e-12)
    assert np.all(importance[padding] == 0)


def test_overfits_a_tiny_batch_to_near_zero_loss():
    minishop.manual_seed(5)
    model = ReviewClassifier(VOCAB, 5, d_model=32, n_blocks=2, n_heads=4, max_len=9, dropout=0.0)
    ids, padding, _ = _batch(seed=6)
    labels = np.array([4, 0, 2, 1])
    optimizer = Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(80):
        optimizer.zero_grad()
        loss = model.loss(ids, padding, labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[0] > 1.0 and losses[-1] < 0.02
    assert model(ids, padding).data.argmax(axis=1).tolist() == labels.tolist()


def test_sentiment_of_rating():
    assert [sentiment_of_rating(r) for r in (1, 2, 3, 4, 5)] == [0, 0, 1, 2, 2]
    with pytest.raises(ValueError, match="rating=0"):
        sentiment_of_rating(0)
    with pytest.raises(ValueError, match="pooling='max'"):
        ReviewClassifier(VOCAB, CLASSES, pooling="max")
