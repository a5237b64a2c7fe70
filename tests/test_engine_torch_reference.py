"""The fused ops against PyTorch in float64: forward values and input gradients agree to 1e-9.

Also numerically hard inputs (logits shifted by +100 or scaled by 1000), where a naive softmax
overflows: results must be finite and still match.
"""

import numpy as np
import pytest

import minishop.functional as F
from minishop import Tensor

torch = pytest.importorskip("torch", reason="PyTorch is the reference for these tests (pip install torch==2.13.0)")

TOL = dict(rtol=1e-9, atol=1e-12)


def pair(values):
    """The same float64 values as a minishop leaf and a torch leaf."""
    values = np.asarray(values, dtype=np.float64)
    return Tensor(values.copy(), requires_grad=True), torch.tensor(values, requires_grad=True)


def backward_both(ours, theirs, seed=0):
    """Backpropagate the same random upstream gradient through both outputs."""
    upstream = np.random.default_rng(seed).standard_normal(ours.shape)
    ours.backward(upstream)
    theirs.backward(torch.tensor(upstream))


def assert_same(ours_out, theirs_out, ours_in, theirs_in):
    np.testing.assert_allclose(ours_out.data, theirs_out.detach().numpy(), **TOL)
    for a, b in zip(ours_in, theirs_in):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), **TOL)


RNG = np.random.default_rng(42)
LOGITS = RNG.standard_normal((3, 5, 7))  # (B, T, C)
HARD_LOGITS = {"normal": LOGITS, "shifted_by_100": LOGITS + 100.0, "scaled_by_1000": LOGITS * 1000.0}
TARGETS = np.array([[2, 0, -100, 6, 1], [3, -100, 3, 3, 0], [4, 1, 5, -100, 2]])  # (B, T), padding -100


@pytest.mark.parametrize("kind", list(HARD_LOGITS))
@pytest.mark.parametrize("axis", [-1, 1])
def test_softmax_and_log_softmax_match_torch(kind, axis):
    for ours_fn, torch_fn in [(F.softmax, torch.softmax), (F.log_softmax, torch.log_softmax)]:
        x, tx = pair(HARD_LOGITS[kind])
        out, tout = ours_fn(x, axis=axis), torch_fn(tx, dim=axis)
        backward_both(out, tout)
        assert np.isfinite(out.data).all() and np.isfinite(x.grad).all()
        assert_same(out, tout, [x], [tx])


@pytest.mark.parametrize("kind", list(HARD_LOGITS))
@pytest.mark.parametrize("smoothing", [0.0, 0.15])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_matches_torch(kind, smoothing, reduction):
    z, tz = pair(HARD_LOGITS[kind])
    loss = F.cross_entropy(z, TARGETS, ignore_index=-100, label_smoothing=smoothing, reduction=reduction)
    tloss = torch.nn.functional.cross_entropy(
        tz.reshape(-1, 7), torch.tensor(TARGETS.reshape(-1)), ignore_index=-100,
        label_smoothing=smoothing, reduction=reduction,
    )
    if reduction == "none":
        tloss = tloss.reshape(3, 5)
        backward_both(loss, tloss)
    else:
        loss.backward()
        tloss.backward()
    assert np.isfinite(loss.data).all() and np.isfinite(z.grad).all()
    np.testing.assert_allclose(loss.data, tloss.detach().numpy(), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(z.grad, tz.grad.numpy(), **TOL)
    np.testing.assert_array_equal(z.grad[TARGETS == -100], 0.0)  # padding gets no gradient


def test_cross_entropy_custom_ignore_index_matches_torch():
    z, tz = pair(LOGITS[0])  # (5, 7)
    targets = np.array([0, 3, 0, 6, 2])
    F.cross_entropy(z, targets, ignore_index=0, label_smoothing=0.3).backward()
    torch.nn.functional.cross_entropy(tz, torch.tensor(targets), ignore_index=0, label_smoothing=0.3).backward()
    np.testing.assert_allclose(z.grad, tz.grad.numpy(), **TOL)


@pytest.mark.parametrize("weight", [None, (4, 1), (6,)])
@pytest.mark.parametrize("scale", [1.0, 1000.0])
def test_bce_with_logits_matches_torch(weight, scale):
    rng = np.random.default_rng(3)
    x, tx = pair(rng.standard_normal((4, 6)) * scale)
    y = (rng.random((4, 6)) > 0.5).astype(np.float64)
    w = None if weight is None else (rng.random(weight) > 0.3).astype(np.float64) + 0.25
    loss = F.binary_cross_entropy_with_logits(x, y, weight=w)
    # torch's weighted "mean" divides by the element count; ours divides by sum(w): compute that from "none"
    per_element = torch.nn.functional.binary_cross_entropy_with_logits(tx, torch.tensor(y), reduction="none")
    tw = torch.ones(4, 6, dtype=torch.float64) if w is None else torch.tensor(w).expand(4, 6)
    tloss = (per_element * tw).sum() / tw.sum()
    loss.backward()
    tloss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(x.grad).all()
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-9)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), **TOL)


def test_bce_sum_and_none_match_torch():
    rng = np.random.default_rng(4)
    for reduction in ["sum", "none"]:
        x, tx = pair(rng.standard_normal((3, 5)) * 20)
        y = rng.random((3, 5))
        out = F.binary_cross_entropy_with_logits(x, y, reduction=reduction)
        tout = torch.nn.functional.binary_cross_entropy_with_logits(tx, torch.tensor(y), reduction=reduction)
        backward_both(out, tout) if reduction == "none" else (out.backward(), tout.backward())
        assert_same(out, tout, [x], [tx])


@pytest.mark.parametrize("with_bias", [True, False])
def test_linear_matches_torch(with_bias):
    rng = np.random.default_rng(9)
    x, tx = pair(rng.standard_normal((2, 3, 4)))
    w, tw = pair(rng.standard_normal((4, 6)))  # (in, out): torch's weight is its transpose
    b, tb = pair(rng.standard_normal(6))
    out = F.linear(x, w, b if with_bias else None)
    tout = torch.nn.functional.linear(tx, tw.T, tb if with_bias else None)
    backward_both(out, tout)
    assert_same(out, tout, [x, w, b][:2 + with_bias], [tx, tw, tb][:2 + with_bias])


def test_layer_norm_matches_torch():
    rng = np.random.default_rng(5)
    x, tx = pair(rng.standard_normal((2, 3, 7)) * 4 + 1)
    w, tw = pair(rng.standard_normal(7))
    b, tb = pair(rng.standard_normal(7))
    out = F.layer_norm(x, w, b, eps=1e-5)
    tout = torch.nn.functional.layer_norm(tx, (7,), tw, tb, eps=1e-5)
    backward_both(out, tout)
    assert_same(out, tout, [x, w, b], [tx, tw, tb])


def test_gelu_tanh_matches_torch():
    x, tx = pair(np.random.default_rng(6).standard_normal((4, 9)) * 3)
    out, tout = F.gelu(x), torch.nn.functional.gelu(tx, approximate="tanh")
    backward_both(out, tout)
    assert_same(out, tout, [x], [tx])


def test_large_logits_give_exact_probabilities():
    x = Tensor(np.array([[1000.0, 0.0, -1000.0]]), requires_grad=True)
    probabilities = F.softmax(x)
    np.testing.assert_array_equal(probabilities.data, [[1.0, 0.0, 0.0]])
    loss = F.cross_entropy(x, np.array([1]))
    assert loss.item() == pytest.approx(1000.0)
    loss.backward()
    np.testing.assert_allclose(x.grad, [[1.0, -1.0, 0.0]])
    bce = F.binary_cross_entropy_with_logits(Tensor(np.array([1000.0, -1000.0])), np.array([0.0, 0.0]))
    assert bce.item() == pytest.approx(500.0)
