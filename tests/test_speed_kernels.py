"""The fast kernels against their plain readings, finite differences (float64) and PyTorch.

Each fast path keeps a plain NumPy reading beside it (its docstring names it); these tests hold the fast
one to that reading. Shapes all differ (rows, features, classes) so a swapped axis fails.
"""

import warnings

import numpy as np
import pytest
import torch

import minishop
import minishop.functional as F
from minishop import Tensor, gradcheck, no_grad
from minishop.fused_cross_entropy import linear_cross_entropy
from minishop.recsys import SequentialRecommender, cross_entropy_loss, make_batch, sampled_softmax_loss


def _inputs(n_rows, width, n_classes, seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    hidden = Tensor(rng.standard_normal((n_rows, width)).astype(dtype), requires_grad=True)
    weight = Tensor(rng.standard_normal((n_classes, width)).astype(dtype), requires_grad=True)
    targets = rng.integers(0, n_classes, size=n_rows)
    return hidden, weight, targets


# ----- linear_cross_entropy: cross_entropy(h @ W.T, t) without the (N, C) scores ----------------------------
@pytest.mark.parametrize("chunk_elements", [1, 13 * 4, 13 * 5 + 7, 1 << 22])  # one row, 4 rows, ragged, all
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_linear_cross_entropy_matches_the_plain_reading(chunk_elements, reduction):
    hidden, weight, targets = _inputs(11, 6, 13, seed=0, dtype=np.float32)
    fused = linear_cross_entropy(hidden, weight, targets, reduction=reduction, chunk_elements=chunk_elements,
                                 min_rows=1)
    fused.backward()
    fused_grads = hidden.grad.copy(), weight.grad.copy()
    hidden.grad = weight.grad = None
    plain = F.cross_entropy(hidden @ weight.transpose(), targets, reduction=reduction)
    plain.backward()
    assert fused.dtype == np.float32
    np.testing.assert_allclose(fused.item(), plain.item(), rtol=1e-5)
    np.testing.assert_allclose(fused_grads[0], hidden.grad, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(fused_grads[1], weight.grad, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("chunk_elements", [9, 1 << 22])
def test_linear_cross_entropy_gradcheck_float64(chunk_elements):
    hidden, weight, targets = _inputs(5, 4, 9, seed=1)
    targets[1] = targets[3]  # a repeated target: its row of W gets two contributions

    def loss(h, w):  # times 3: a g != 1 reaches backward
        return linear_cross_entropy(h, w, targets, chunk_elements=chunk_elements, min_rows=1) * 3.0

    assert gradcheck(loss, [hidden, weight]).passed


def test_linear_cross_entropy_matches_pytorch_on_large_scores():
    hidden, weight, targets = _inputs(7, 5, 31, seed=2)
    hidden.data *= 30  # scores in the hundreds: only the max-shifted form survives exp()
    loss = linear_cross_entropy(hidden, weight, targets, chunk_elements=31 * 3, min_rows=1)
    loss.backward()
    h, w = (torch.tensor(t.data, requires_grad=True) for t in (hidden, weight))
    reference = torch.nn.functional.cross_entropy(h @ w.T, torch.tensor(targets))
    reference.backward()
    np.testing.assert_allclose(loss.item(), reference.item(), rtol=1e-12)
    np.testing.assert_allclose(hidden.grad, h.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(weight.grad, w.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_linear_cross_entropy_rows_outside_the_unshifted_range_match_pytorch():
    """exp(z) is first tried without the max-shift; rows whose scores would overflow (hundreds) or sit all far
    below zero take the shifted path, beside ordinary rows of the same block. No overflow warning escapes."""
    hidden, weight, targets = _inputs(6, 5, 37, seed=5)
    weight.data[:, 0] = 4.0 + 0.1 * weight.data[:, 0]  # every item has a large first feature ...
    hidden.data[1] = [-27.5, 0.0, 0.0, 0.0, 0.0]  # ... so row 1 scores about -110 for every item
    hidden.data[3] *= 40.0  # row 3: scores in the hundreds
    for dtype in (np.float64, np.float32):
        h, w = (Tensor(t.data.astype(dtype), requires_grad=True) for t in (hidden, weight))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            loss = linear_cross_entropy(h, w, targets, chunk_elements=37 * 4, min_rows=1)  # blocks of 3 rows
            loss.backward()
        th, tw = (torch.tensor(t.data, requires_grad=True) for t in (h, w))
        reference = torch.nn.functional.cross_entropy(th @ tw.T, torch.tensor(targets))
        reference.backward()
        rtol = 1e-12 if dtype == np.float64 else 2e-5
        np.testing.assert_allclose(loss.item(), reference.item(), rtol=rtol)
        np.testing.assert_allclose(h.grad, th.grad.numpy(), rtol=rtol * 10, atol=rtol * 1e-2)
        np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=rtol * 10, atol=rtol * 1e-2)


@pytest.mark.parametrize("scale", [1.0, 6.0, 40.0, -110.0])  # ordinary, large, overflowing, all far below zero
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_exp_scores_is_the_max_shifted_exponential(scale, dtype):
    """The block kernel against its plain reading: top = z.max(1), e = exp(z - top), up to each row's
    constant (the fast path may shift by 0): same softmax e / sum(e), same logsumexp top + log(sum(e))."""
    from minishop.fused_cross_entropy import _exp_scores

    rng = np.random.default_rng(6)
    h, W = rng.standard_normal((4, 7)), rng.standard_normal((29, 7))
    t = np.array([3, 0, 28, 3])
    z = (h @ W.T) * scale if scale > 0 else h @ W.T + scale  # (4, 29)
    h = h * scale if scale > 0 else np.hstack([h, np.ones((4, 1))])  # the same z from the kernel's matmul
    W = W if scale > 0 else np.hstack([W, np.full((29, 1), scale)])
    h, W, e = h.astype(dtype), W.astype(dtype), np.empty((4, 29), dtype)
    top, sums, target_scores = _exp_scores(h, W, t, e)
    plain = np.exp(z - z.max(axis=1, keepdims=True))
    rtol = 1e-12 if dtype == np.float64 else 1e-4  # float32: z itself carries |z| * 1e-7
    np.testing.assert_allclose(e / sums, plain / plain.sum(axis=1, keepdims=True), rtol=rtol, atol=1e-30)
    np.testing.assert_allclose(top + np.log(sums), z.max(axis=1, keepdims=True) + np.log(plain.sum(1, keepdims=True)),
                               rtol=rtol)
    np.testing.assert_allclose(target_scores, z[np.arange(4), t], rtol=rtol)


def test_linear_cross_entropy_without_graph_and_with_one_input_frozen():
    hidden, weight, targets = _inputs(6, 3, 8, seed=3)
    with_graph = linear_cross_entropy(hidden, weight, targets).item()
    with no_grad():
        assert linear_cross_entropy(hidden, weight, targets).item() == pytest.approx(with_graph, rel=1e-12)
    frozen = Tensor(weight.data)  # no gradient wanted for W: only dh is computed
    linear_cross_entropy(hidden, frozen, targets).backward()
    h, w = torch.tensor(hidden.data, requires_grad=True), torch.tensor(weight.data)
    torch.nn.functional.cross_entropy(h @ w.T, torch.tensor(targets)).backward()
    np.testing.assert_allclose(hidden.grad, h.grad.numpy(), rtol=1e-10)
    assert frozen.grad is None


def test_linear_cross_entropy_rejects_bad_input():
    hidden, weight, targets = _inputs(4, 3, 5, seed=4)
    with pytest.raises(ValueError, match=r"targets=.*\[0, 5\)"):
        linear_cross_entropy(hidden, weight, np.array([0, 1, 5, 2]))
    with pytest.raises(ValueError, match="one per row"):
        linear_cross_entropy(hidden, weight, targets[:3])
    with pytest.raises(ValueError, match=r"hidden \(N, D\) and weight \(C, D\)"):
        linear_cross_entropy(hidden, weight.transpose(), targets)
    with pytest.raises(ValueError, match="integer"):
        linear_cross_entropy(hidden, weight, targets.astype(float))
    with pytest.raises(ValueError, match="reduction"):
        linear_cross_entropy(hidden, weight, targets, reduction="none")


def test_recommender_cross_entropy_loss_is_the_full_softmax():
    """The recommender's "ce" objective, fused, gives the plain full-softmax numbers and gradients."""
    minishop.manual_seed(0)
    model = SequentialRecommender(n_items=17, d_model=8, n_blocks=1, max_len=6, dropout=0.0)
    histories = [[1, 2, 3, 4], [5, 6, 7], [8, 9, 10, 11, 12, 13, 14], [15, 16, 17, 3]]
    batch = make_batch(histories, 17, 6, "ce", np.random.default_rng(0))
    fused = cross_entropy_loss(model, batch, chunk_elements=17 * 3)
    fused.backward()
    fused_grads = [p.grad.copy() for p in model.parameters()]
    model.zero_grad()
    hidden = model(batch.items).reshape(-1, 8)[batch.positions]  # (N, D)
    logits = hidden @ model.item_embedding.weight[1:].transpose()  # (N, n_items)
    plain = F.cross_entropy(logits, batch.targets.reshape(-1)[batch.positions] - 1)
    plain.backward()
    np.testing.assert_allclose(fused.item(), plain.item(), rtol=1e-5)
    for fast, slow in zip(fused_grads, (p.grad for p in model.parameters())):
        np.testing.assert_allclose(fast, slow, rtol=1e-4, atol=1e-6)


# ----- keep_mask: dropout's mask from random bits instead of random floats ------------------------------------
@pytest.mark.parametrize("keep", [0.5, 0.75, 0.125, 0.8])  # bits, bytes, bytes, floats (0.8 * 256 is not whole)
def test_keep_mask_keeps_each_element_with_probability_keep(keep):
    minishop.manual_seed(3)
    shape = (1001, 2003)  # 2,005,003 elements (not a multiple of 8): off by 1/256 shows at 5 sigma
    mask = F.keep_mask(shape, keep, np.float32)
    assert mask.shape == shape and mask.dtype == bool
    sigma = (keep * (1 - keep) / mask.size) ** 0.5
    assert abs(mask.mean() - keep) < 5 * sigma
    flat = mask.reshape(-1)[: mask.size // 8 * 8].reshape(-1, 8).astype(float)
    assert np.all(np.abs(flat.mean(axis=0) - keep) < 5 * sigma * 8 ** 0.5)  # each bit of a byte is fair
    both = (flat[:, :-1] * flat[:, 1:]).mean()  # neighbours independent: P(both kept) = keep^2
    assert abs(both - keep * keep) < 5 * sigma * 3
    assert not np.array_equal(F.keep_mask(shape, keep, np.float32), mask)  # a fresh draw each call


def test_dropout_from_bits_scales_and_masks_its_gradient():
    minishop.manual_seed(4)
    x = Tensor(np.ones((50, 64), np.float32), requires_grad=True)
    y = F.dropout(x, p=0.5)
    assert set(np.unique(y.data)) == {0.0, 2.0}
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, y.data)  # dy/dx = mask / (1 - p), exactly the output here


# ----- layer_norm's backward with fewer temporaries ----------------------------------------------------------
@pytest.mark.parametrize("affine", ["none", "weight", "frozen weight"])
def test_layer_norm_backward_matches_torch(affine):
    rng = np.random.default_rng(5)
    x = Tensor(rng.standard_normal((3, 4, 6)), requires_grad=True)
    w = Tensor(rng.standard_normal(6), requires_grad=affine == "weight")
    b = Tensor(rng.standard_normal(6), requires_grad=True)
    g = rng.standard_normal((3, 4, 6))
    args = (None, None) if affine == "none" else (w, b)
    (F.layer_norm(x, *args) * Tensor(g)).sum().backward()
    tx, tw, tb = (torch.tensor(t.data, requires_grad=True) for t in (x, w, b))
    targs = (None, None) if affine == "none" else (tw, tb)
    (torch.nn.functional.layer_norm(tx, (6,), *targs, eps=1e-5) * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-9, atol=1e-12)
    if affine == "weight":
        np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=1e-9, atol=1e-12)
    if affine != "none":
        np.testing.assert_allclose(b.grad, tb.grad.numpy(), rtol=1e-9, atol=1e-12)


# ----- sampled softmax with popularity negatives and the logQ correction --------------------------------------
def test_sampled_softmax_with_log_q_subtracts_the_log_probability_of_every_candidate():
    minishop.manual_seed(1)
    n_items = 12
    model = SequentialRecommender(n_items=n_items, d_model=8, n_blocks=1, max_len=5, dropout=0.0)
    histories = [[1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11, 12]]
    probabilities = np.r_[0.0, np.arange(1, n_items + 1, dtype=float)]
    probabilities /= probabilities.sum()  # item i drawn with probability proportional to i
    batch = make_batch(histories, n_items, 5, "sampled", np.random.default_rng(0), n_negatives=30,
                       negative_probabilities=probabilities)
    assert batch.negatives.min() >= 1 and np.allclose(np.exp(batch.log_q), probabilities)
    loss = sampled_softmax_loss(model, batch).item()
    hidden = model(batch.items).data.reshape(-1, 8)[batch.positions]  # (N, D)
    table = model.item_embedding.weight.data
    positives = batch.targets.reshape(-1)[batch.positions]
    scores = np.concatenate([(hidden * table[positives]).sum(1, keepdims=True), hidden @ table[batch.negatives].T], 1)
    candidates = np.concatenate([positives[:, None], np.tile(batch.negatives, (len(positives), 1))], 1)  # (N, 1 + K)
    scores -= np.log(probabilities[candidates])
    scores[:, 1:][batch.negatives[None, :] == positives[:, None]] = -1e9  # accidental hits
    expected = -torch.log_softmax(torch.tensor(scores), 1)[:, 0].mean().item()
    assert loss == pytest.approx(expected, rel=1e-5)
    uniform = make_batch(histories, n_items, 5, "sampled", np.random.default_rng(0), n_negatives=30)
    assert uniform.log_q is None
