"""The sequential recommender itself: causality, padding, tied scores, gradients, losses and batches."""

import numpy as np
import pytest

import minishop
from minishop import Tensor
from minishop.recsys.objectives import (LOSSES, bce_loss, cross_entropy_loss, make_batch, sample_unseen,
                                        sampled_softmax_loss)
from minishop.recsys.model import SequentialRecommender

N_ITEMS, D, MAX_LEN = 23, 12, 9


@pytest.fixture
def float64():
    minishop.set_default_dtype("float64")
    yield
    minishop.set_default_dtype("float32")


def make_model(dropout=0.0, n_heads=3, norm_first=True, seed=3):
    minishop.manual_seed(seed)
    return SequentialRecommender(N_ITEMS, d_model=D, n_blocks=2, n_heads=n_heads, max_len=MAX_LEN,
                                 dropout=dropout, norm_first=norm_first).eval()


@pytest.mark.parametrize("norm_first", [True, False])
def test_output_at_t_does_not_depend_on_later_items(norm_first):
    model = make_model(norm_first=norm_first)
    rng = np.random.default_rng(0)
    items = rng.integers(1, N_ITEMS + 1, size=(4, 7))  # (B, T), no padding
    changed = items.copy()
    changed[:, 4:] = rng.integers(1, N_ITEMS + 1, size=(4, 3))  # rewrite the future after t = 3
    before, after = model(items).numpy(), model(changed).numpy()  # (B, T, D)
    np.testing.assert_allclose(before[:, :4], after[:, :4], rtol=1e-5, atol=1e-6)
    assert np.abs(before[:, 4:] - after[:, 4:]).max() > 1e-3  # ... and the future itself did change


def test_padding_does_not_change_real_outputs():
    model = make_model()
    history = [5, 17, 2, 9]
    alone = model(np.array([history]))  # (1, 4, D), no padding at all
    padded = model(np.array([[0, 0, 0, 0, 0] + history]))  # (1, 9, D), five padding columns in front
    np.testing.assert_allclose(padded.numpy()[0, 5:], alone.numpy()[0], rtol=1e-5, atol=1e-6)
    # in a batch with a longer history, the same user gets the same scores
    together = model.score([history, [3, 1, 4, 1, 5, 9, 2, 6]])[0]
    np.testing.assert_allclose(together, model.score([history])[0], rtol=1e-5, atol=1e-5)


def test_padding_rows_are_zero_before_the_final_norm():
    model = make_model()
    items = np.array([[0, 0, 4, 6], [1, 2, 3, 4]])
    hidden = model(items).numpy()  # (2, 4, D): LayerNorm of zero rows = its bias, the same for every pad row
    np.testing.assert_allclose(hidden[0, 0], hidden[0, 1])
    np.testing.assert_allclose(hidden[0, 0], model.final_norm.bias.numpy(), atol=1e-6)


def test_scores_are_dot_products_with_the_tied_item_embeddings():
    model = make_model()
    histories = [[3, 4], [7, 8, 9, 1], [2]]
    scores = minishop.to_numpy(model.score(histories, batch_size=2))  # two batches
    assert scores.shape == (3, N_ITEMS + 1) and scores.dtype == np.float32
    assert np.all(np.isneginf(scores[:, 0]))  # padding is never a candidate
    last = model(model.pad_histories(histories)).numpy()[:, -1]  # (3, D)
    expected = last @ model.item_embedding.weight.numpy().T  # (3, n_items + 1)
    np.testing.assert_allclose(scores[:, 1:], expected[:, 1:], rtol=1e-5, atol=1e-5)


def test_score_uses_only_the_last_max_len_items_and_restores_training_mode():
    model = make_model().train()
    long = list(range(1, 21))  # 20 items > max_len 9
    np.testing.assert_allclose(model.score([long]), model.score([long[-MAX_LEN:]]), rtol=1e-6)
    assert model.training


def test_attention_explanation_covers_the_real_history():
    model = make_model()
    items, weights = model.attention_to_history([4, 11, 4, 20])
    assert items == [4, 11, 4, 20]
    assert weights.shape == (4,) and np.all(weights >= 0)
    np.testing.assert_allclose(weights.sum(), 1.0, rtol=1e-5)  # the newest position's row, padding excluded


def test_make_batch_shifts_targets_and_lists_real_positions():
    rng = np.random.default_rng(1)
    batch = make_batch([[5, 6, 7], [9, 10, 11, 12, 13], [4]], N_ITEMS, max_len=3, objective="ce", rng=rng)
    # histories cut to their last max_len + 1 = 4 items; inputs and targets shifted by one; T = 3
    np.testing.assert_array_equal(batch.items, [[0, 5, 6], [10, 11, 12], [0, 0, 0]])
    np.testing.assert_array_equal(batch.targets, [[0, 6, 7], [11, 12, 13], [0, 0, 0]])
    np.testing.assert_array_equal(batch.positions, [1, 2, 3, 4, 5])  # flat (row * T + column) of real targets
    assert batch.negatives is None and len(batch) == 3


def test_bce_negatives_are_never_items_the_user_touched():
    rng = np.random.default_rng(2)
    histories = [list(range(1, 21)), [1, 2, 3], [22, 23, 21, 1]]  # user 0 touched 20 of 23 items
    rows = np.repeat(np.arange(3), 400)
    negatives = sample_unseen(histories, rows, N_ITEMS, rng)
    for row, item in zip(rows, negatives):
        assert 1 <= item <= N_ITEMS and item not in histories[row]
    assert set(negatives[rows == 0]) == {21, 22, 23}  # all its unseen items get drawn
    with pytest.raises(ValueError, match="bought almost all"):
        sample_unseen([list(range(1, N_ITEMS + 1))], np.array([0]), N_ITEMS, rng)


def test_bce_loss_matches_a_hand_computation():
    model = make_model()
    rng = np.random.default_rng(4)
    batch = make_batch([[3, 5, 8, 2], [7, 1]], N_ITEMS, MAX_LEN, "bce", rng)
    hidden = model(batch.items).numpy().reshape(-1, D)[batch.positions]  # (N, D)
    table = model.item_embedding.weight.numpy()
    pos = (hidden * table[batch.targets.reshape(-1)[batch.positions]]).sum(1)
    neg = (hidden * table[batch.negatives]).sum(1)
    expected = np.mean(np.log1p(np.exp(-pos))) + np.mean(np.log1p(np.exp(neg)))
    np.testing.assert_allclose(bce_loss(model, batch).item(), expected, rtol=1e-5)


def test_chunked_cross_entropy_equals_one_block_and_a_hand_computation():
    model = make_model()
    rng = np.random.default_rng(5)
    batch = make_batch([[3, 5, 8, 2, 11], [7, 1, 19]], N_ITEMS, MAX_LEN, "ce", rng)
    hidden = model(batch.items).numpy().reshape(-1, D)[batch.positions]  # (N, D)
    logits = hidden @ model.item_embedding.weight.numpy()[1:].T  # (N, n_items)
    logits = logits - logits.max(1, keepdims=True)
    log_p = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    expected = -log_p[np.arange(len(hidden)), batch.targets.reshape(-1)[batch.positions] - 1].mean()
    one_block = cross_entropy_loss(model, batch).item()
    chunked = cross_entropy_loss(model, batch, chunk_elements=2 * N_ITEMS).item()  # 2 rows per chunk
    np.testing.assert_allclose([one_block, chunked], [expected, expected], rtol=1e-5)


def test_sampled_softmax_masks_accidental_hits():
    model = make_model()
    batch = make_batch([[3, 5, 8]], N_ITEMS, MAX_LEN, "sampled", np.random.default_rng(6), n_negatives=4)
    batch.negatives = np.array([5, 8, 12, 13])  # targets 5 and 8 also drawn as negatives
    hidden = model(batch.items).numpy().reshape(-1, D)[batch.positions]  # (2, D)
    table = model.item_embedding.weight.numpy()
    expected = []
    for h, target in zip(hidden, [5, 8]):
        others = [n for n in batch.negatives if n != target]  # the accidental hit is left out
        logits = np.array([h @ table[target]] + [h @ table[n] for n in others])
        expected.append(np.log(np.exp(logits - logits.max()).sum()) + logits.max() - logits[0])
    np.testing.assert_allclose(sampled_softmax_loss(model, batch).item(), np.mean(expected), rtol=1e-5)


@pytest.mark.parametrize("objective", sorted(LOSSES))
def test_gradients_of_each_objective_pass_gradcheck(float64, objective):
    minishop.manual_seed(7)
    model = SequentialRecommender(7, d_model=4, n_blocks=2, n_heads=2, max_len=5, dropout=0.0).eval()
    batch = make_batch([[1, 2, 3, 4], [5, 2, 6, 7], [2, 3]], 7, 5, objective, np.random.default_rng(8),
                       n_negatives=3)
    names, parameters = zip(*model.named_parameters())

    def loss(*_):
        return LOSSES[objective](model, batch)  # gradcheck perturbs the parameters in place

    result = minishop.gradcheck(loss, list(parameters), names=list(names))
    assert result.max_rel_error < 1e-6
    assert all(isinstance(p, Tensor) and p.dtype == np.float64 for p in parameters)
