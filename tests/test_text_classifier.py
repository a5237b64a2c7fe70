"""ReviewClassifier: gradients, padding, attention weights for explanations, and overfitting a tiny batch."""

import numpy as np
import pytest

import minishop
from minishop.text.classifier import ReviewClassifier, sentiment_of_rating
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


@pytest.mark.parametrize("pooling", ["mean", "cls", "attention", "max", "mean+max"])
def test_loss_gradients_pass_gradcheck(float64, pooling):
    minishop.manual_seed(1)
    model = ReviewClassifier(VOCAB, CLASSES, d_model=6, n_blocks=2, n_heads=2, max_len=7, dropout=0.0,
                             pooling=pooling, d_ff=5)
    if pooling == "attention":  # away from its zero start, where the weights are uniform
        model.pool_query.data[...] = np.random.default_rng(7).normal(0, 1.0, size=6)
    ids, padding, labels = _batch()
    ids[:, 1] = ids[:, 0]  # repeated ids inside a review
    names, params = zip(*model.named_parameters())

    def loss(*_):
        return model.loss(ids, padding, labels, label_smoothing=0.1)

    result = minishop.gradcheck(loss, list(params), names=names)
    assert result.passed and result.max_rel_error < 1e-6


@pytest.mark.parametrize("pooling", ["mean", "attention", "max", "mean+max"])
def test_padding_does_not_change_the_prediction(float64, pooling):
    minishop.manual_seed(2)
    model = ReviewClassifier(VOCAB, CLASSES, d_model=8, n_blocks=2, n_heads=2, max_len=12, dropout=0.0,
                             pooling=pooling).eval()
    if pooling == "attention":
        model.pool_query.data[...] = np.random.default_rng(8).normal(0, 1.0, size=8)
    ids, padding, _ = _batch()
    longer_ids = np.concatenate([ids, np.full((4, 3), 5)], axis=1)  # 3 more padding slots holding junk ids
    longer_padding = np.concatenate([padding, np.ones((4, 3), dtype=bool)], axis=1)
    np.testing.assert_allclose(model(longer_ids, longer_padding).data, model(ids, padding).data, atol=1e-12)


@pytest.mark.parametrize("pooling, norm_first", [("mean", True), ("cls", True), ("mean", False)])
def test_explain_gives_the_forward_logits_and_proper_attention(float64, pooling, norm_first):
    minishop.manual_seed(3)
    model = ReviewClassifier(VOCAB, CLASSES, d_model=8, n_blocks=3, n_heads=4, max_len=9, dropout=0.2, pooling=pooling,
                             norm_first=norm_first)
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


def test_attention_pooling_starts_as_the_mean_and_then_weights_tokens_by_their_score(float64):
    minishop.manual_seed(9)
    attention = ReviewClassifier(VOCAB, CLASSES, d_model=8, n_blocks=1, n_heads=2, max_len=9, dropout=0.0,
                                 pooling="attention").eval()
    mean = ReviewClassifier(VOCAB, CLASSES, d_model=8, n_blocks=1, n_heads=2, max_len=9, dropout=0.0,
                            pooling="mean").eval()
    mean.load_state_dict({k: v for k, v in attention.state_dict().items() if k != "pool_query"})
    ids, padding, _ = _batch(seed=10)
    np.testing.assert_allclose(attention(ids, padding).data, mean(ids, padding).data, atol=1e-12)  # q = 0

    query = np.random.default_rng(11).normal(0, 1.0, size=8)
    attention.pool_query.data[...] = query
    hidden = attention.encoder(ids, key_padding_mask=padding).data  # (B, T, D)
    scores = np.where(padding, -np.inf, hidden @ query)  # written out with NumPy
    expected = np.exp(scores - scores.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    importance = attention.token_importance(ids, padding)
    np.testing.assert_allclose(importance, expected, atol=1e-12)
    pooled = (hidden * expected[:, :, None]).sum(axis=1)  # (B, D)
    logits = pooled @ attention.head.weight.data + attention.head.bias.data
    np.testing.assert_allclose(attention(ids, padding).data, logits, atol=1e-12)


def test_max_and_mean_max_pooling_match_numpy_over_the_real_tokens(float64):
    minishop.manual_seed(14)
    model = ReviewClassifier(VOCAB, CLASSES, d_model=8, n_blocks=1, n_heads=2, max_len=9, dropout=0.0,
                             pooling="mean+max").eval()
    ids, padding, _ = _batch(seed=15)
    hidden = model.encoder(ids, key_padding_mask=padding).data  # (B, T, D)
    hidden_real = np.where(padding[:, :, None], np.nan, hidden)  # padding out of the reduction
    mean, top = np.nanmean(hidden_real, axis=1), np.nanmax(hidden_real, axis=1)  # (B, D) each
    assert not np.allclose(top, hidden.max(axis=1))  # padding states would have won somewhere
    logits = np.concatenate([mean, top], axis=1) @ model.head.weight.data + model.head.bias.data  # (B, C)
    np.testing.assert_allclose(model(ids, padding).data, logits, atol=1e-12)
    assert model.head.weight.shape == (16, CLASSES)
    max_only = ReviewClassifier(VOCAB, CLASSES, d_model=8, n_blocks=1, n_heads=2, max_len=9, pooling="max").eval()
    max_only.load_state_dict({**model.state_dict(), "head.weight": model.head.weight.data[8:]})
    expected = top @ model.head.weight.data[8:] + model.head.bias.data
    np.testing.assert_allclose(max_only(ids, padding).data, expected, atol=1e-12)


def test_zero_blocks_is_a_bag_of_embeddings_with_attention_pooling(float64):
    minishop.manual_seed(12)
    model = ReviewClassifier(VOCAB, CLASSES, d_model=8, n_blocks=0, n_heads=2, max_len=9, pooling="attention")
    ids, padding, labels = _batch(seed=13)
    assert model.loss(ids, padding, labels).item() > 0 and model.token_importance(ids, padding).shape == (4, 7)
    with pytest.raises(ValueError, match="n_blocks=0"):  # max pooling without blocks: nothing to read
        ReviewClassifier(VOCAB, CLASSES, d_model=8, n_blocks=0, n_heads=2, pooling="max").token_importance(
            ids, padding)


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
    with pytest.raises(ValueError, match="pooling='sum'.*attention"):
        ReviewClassifier(VOCAB, CLASSES, pooling="sum")
