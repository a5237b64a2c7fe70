"""Every op's hand-written backward against central finite differences, in float64.

Inputs are seeded, with awkward shapes whose dimensions all differ (a swapped axis cannot pass by
accident), broadcasting, repeated ids and padding. Each check must reach max relative error < 1e-6.
"""

import numpy as np
import pytest

import minishop
import minishop.functional as F
from minishop import Tensor, gradcheck


def leaf(shape, seed, low=None):
    """A float64 leaf of standard-normal values; low=c makes every value at least c away from 0 (positive)."""
    values = np.random.default_rng(seed).standard_normal(shape)
    if low is not None:
        values = low + np.abs(values)
    return Tensor(values, requires_grad=True)


def away_from_zero(shape, seed):
    """Values with |x| >= 0.2: relu/max kinks are never within eps of a sample point."""
    values = np.random.default_rng(seed).standard_normal(shape)
    return Tensor(np.sign(values) * (0.2 + np.abs(values)), requires_grad=True)


IDS = np.array([[4, 1, 4, 0], [1, 1, 6, 4], [2, 4, 4, 1]])  # (3, 4) repeated ids, vocabulary 7
TARGETS = np.array([[2, 0, -100, 4, 1], [3, -100, 3, 3, 0], [4, 1, 2, -100, 2]])  # (3, 5) with padding
MASK = np.array([[True], [False], [True]])  # (3, 1): broadcasts over a (3, 5) tensor

CASES = {
    # arithmetic with broadcasting (all dims different)
    "add_broadcast": (lambda a, b: a + b, [(3, 1, 5), (4, 5)]),
    "sub_broadcast_and_scalar": (lambda a, b: 2.5 - a - b, [(4, 5), (3, 4, 1)]),
    "mul_broadcast": (lambda a, b: a * b * 3.0, [(2, 3, 4), (3, 1)]),
    "div": (lambda a, b: a / b + 2.0 / b, [(3, 4), ("pos", (4,))]),
    "neg": (lambda a: -a, [(2, 3)]),
    "pow_cube": (lambda a: a**3, [(3, 5)]),
    "pow_fractional": (lambda a: a**0.5 + a**-1.5, [("pos", (4, 3))]),
    "reuse_same_input": (lambda a: a * a + a, [(3, 4)]),
    # matmul: plain, batched, broadcast batch dims, (B, T, k) @ (k, m), vectors
    "matmul_2d": (lambda a, b: a @ b, [(3, 4), (4, 5)]),
    "matmul_batched_broadcast": (lambda a, b: a @ b, [(2, 1, 3, 4), (5, 4, 6)]),
    "matmul_3d_by_2d": (lambda a, b: a @ b, [(2, 3, 4), (4, 5)]),
    "matmul_2d_by_3d": (lambda a, b: a @ b, [(3, 4), (2, 4, 5)]),
    "matmul_vector_left": (lambda a, b: a @ b, [(4,), (4, 5)]),
    "matmul_vector_right": (lambda a, b: a @ b, [(2, 3, 4), (4,)]),
    "matmul_functional": (lambda a, b: F.matmul(a, b), [(3, 4), (4, 2)]),
    # reductions
    "sum_all": (lambda a: a.sum(), [(3, 4, 5)]),
    "sum_axis": (lambda a: a.sum(axis=1), [(3, 4, 5)]),
    "sum_tuple_keepdims": (lambda a: a.sum(axis=(0, -1), keepdims=True), [(3, 4, 5)]),
    "mean_all": (lambda a: a.mean(), [(3, 4, 5)]),
    "mean_axis_keepdims": (lambda a: a.mean(axis=-1, keepdims=True), [(3, 4, 5)]),
    "mean_tuple": (lambda a: a.mean(axis=(0, 2)), [(3, 4, 5)]),
    "max_all": (lambda a: a.max(), [(3, 4, 5)]),
    "max_axis": (lambda a: a.max(axis=1), [(3, 4, 5)]),
    "max_tuple_keepdims": (lambda a: a.max(axis=(0, 2), keepdims=True), [(3, 4, 5)]),
    # elementwise
    "exp": (lambda a: a.exp(), [(3, 4)]),
    "log": (lambda a: a.log(), [("pos", (3, 4))]),
    "sqrt": (lambda a: a.sqrt(), [("pos", (3, 4))]),
    "tanh": (lambda a: a.tanh(), [(3, 4)]),
    "relu": (lambda a: a.relu(), [("nz", (3, 4))]),
    "F_relu_tanh_exp_log_sqrt": (lambda a: F.relu(a) + F.tanh(a) + F.exp(a) + F.log(a) + F.sqrt(a), [("pos", (2, 3))]),
    "sigmoid": (lambda a: F.sigmoid(a), [(3, 4)]),
    "gelu": (lambda a: F.gelu(a * 2.0), [(3, 5)]),
    # shape
    "reshape": (lambda a: a.reshape(5, 12) * Tensor(np.arange(12.0)), [(3, 4, 5)]),
    "reshape_tuple_minus_one": (lambda a: a.reshape((-1, 4)), [(3, 4, 5)]),
    "transpose_reverse": (lambda a: a.transpose() @ Tensor(np.ones((3, 2))), [(3, 4, 5)]),
    "transpose_axes": (lambda a: a.transpose(1, 2, 0), [(3, 4, 5)]),
    "permute": (lambda a: a.permute((2, 0, 1)).reshape(5, 12), [(3, 4, 5)]),
    "T": (lambda a: a.T, [(3, 4)]),
    # indexing
    "getitem_basic": (lambda a: a[1:, ::-2, None, 3], [(3, 4, 5)]),
    "getitem_int_and_ellipsis": (lambda a: a[-1, ..., 1:4], [(3, 4, 5)]),
    "getitem_repeated_rows": (lambda a: a[np.array([2, 0, 2, 2, -1])], [(4, 5)]),
    "getitem_2d_ids": (lambda a: a[IDS], [(7, 3)]),
    "getitem_list": (lambda a: a[[1, 1, 0]], [(3, 4)]),
    "getitem_tuple_of_arrays_repeated": (lambda a: a[np.array([0, 2, 0, 0]), :, np.array([1, 3, 1, 1])], [(3, 4, 5)]),
    "getitem_bool_mask": (lambda a: a[a.data > 0.3], [(3, 4, 5)]),
    "masked_fill_broadcast": (lambda a: a.masked_fill(MASK, -7.5) * 2.0, [(3, 5)]),
    "F_masked_fill": (lambda a: F.masked_fill(a, np.array([True, False, False, True, False]), 0.5), [(3, 5)]),
    # fused functional ops
    "softmax_last": (lambda a: F.softmax(a), [(3, 4, 5)]),
    "softmax_axis0": (lambda a: F.softmax(a, axis=0), [(3, 4, 5)]),
    "log_softmax_last": (lambda a: F.log_softmax(a), [(3, 4, 5)]),
    "log_softmax_axis1": (lambda a: F.log_softmax(a, axis=1), [(3, 4, 5)]),
    "linear_3d_bias": (lambda x, w, b: F.linear(x, w, b), [(2, 3, 4), (4, 5), (5,)]),
    "linear_vector_no_bias": (lambda x, w: F.linear(x, w), [(4,), (4, 5)]),
    "layer_norm_affine": (lambda x, w, b: F.layer_norm(x, w, b), [(2, 3, 5), (5,), (5,)]),
    "layer_norm_plain_eps": (lambda x: F.layer_norm(x, eps=1e-3), [(4, 7)]),
    "embedding_repeated_ids": (lambda w: F.embedding(w, IDS), [(7, 3)]),
    "cross_entropy_mean_ignore_smoothing": (
        lambda z: F.cross_entropy(z, TARGETS, ignore_index=-100, label_smoothing=0.2), [(3, 5, 6)]),
    "cross_entropy_sum": (lambda z: F.cross_entropy(z, TARGETS, reduction="sum"), [(3, 5, 6)]),
    "cross_entropy_none": (lambda z: F.cross_entropy(z, TARGETS, reduction="none", label_smoothing=0.1), [(3, 5, 6)]),
    "cross_entropy_custom_ignore": (lambda z: F.cross_entropy(z, np.array([1, 0, 1, 3]), ignore_index=0), [(4, 5)]),
    "bce_mean": (lambda z: F.binary_cross_entropy_with_logits(z * 3.0, np.linspace(0, 1, 20).reshape(4, 5)), [(4, 5)]),
    "bce_weight_mask": (lambda z: F.binary_cross_entropy_with_logits(
        z, np.eye(4, 5), weight=np.array([[1.0], [0.0], [1.0], [1.0]])), [(4, 5)]),
    "bce_weights_sum": (lambda z: F.binary_cross_entropy_with_logits(
        z, np.ones((4, 5)), weight=np.linspace(0.1, 2, 5), reduction="sum"), [(4, 5)]),
    "bce_none": (lambda z: F.binary_cross_entropy_with_logits(z, np.zeros((4, 5)), reduction="none"), [(4, 5)]),
    "where_tensors_broadcast": (lambda a, b: F.where(MASK, a, b), [(3, 5), (5,)]),
    "where_scalar_branch": (lambda a: F.where(a.data > 0, a * 2.0, 0.5), [(3, 5)]),
    "concatenate": (lambda a, b: F.concatenate([a, b, a], axis=1), [(3, 2, 4), (3, 5, 4)]),
    "stack": (lambda a, b: F.stack([a, b, a * 2.0], axis=1), [(3, 4), (3, 4)]),
}


def make_inputs(specs):
    inputs = []
    for seed, spec in enumerate(specs):
        if isinstance(spec[0], str):  # ("pos", shape) or ("nz", shape)
            kind, shape = spec
            inputs.append(leaf(shape, seed, low=0.5) if kind == "pos" else away_from_zero(shape, seed))
        else:
            inputs.append(leaf(spec, seed))
    return inputs


@pytest.mark.parametrize("name", list(CASES))
def test_gradcheck(name):
    fn, specs = CASES[name]
    result = gradcheck(fn, make_inputs(specs))
    assert result.passed and result.max_rel_error < 1e-6, result


def test_gradcheck_dropout_with_fixed_mask():
    x = leaf((4, 6), 0)

    def fn(x):
        minishop.manual_seed(7)  # the same mask on every evaluation
        return F.dropout(x, p=0.4)

    result = gradcheck(fn, [x])
    assert result.max_rel_error < 1e-6


def test_gradcheck_small_mlp_end_to_end():
    x, w1, b1, w2 = leaf((5, 3), 0), leaf((3, 7), 1), leaf((7,), 2), leaf((7, 4), 3)
    targets = np.array([0, 3, 3, 1, 2])

    def loss(x, w1, b1, w2):
        hidden = F.gelu(F.layer_norm(x @ w1 + b1))  # (5, 7)
        return F.cross_entropy(hidden @ w2, targets, label_smoothing=0.05)

    assert gradcheck(loss, [x, w1, b1, w2]).max_rel_error < 1e-6


def test_max_ties_share_the_gradient():
    x = Tensor(np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 0.0, 2.0, 2.0]]), requires_grad=True)
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad, [[0, 0.5, 0.5, 0], [1 / 3, 0, 1 / 3, 1 / 3]])


def test_embedding_gradient_counts_repeated_ids():
    weight = Tensor(np.zeros((7, 3)), requires_grad=True)
    F.embedding(weight, IDS).sum().backward()
    counts = np.bincount(IDS.ravel(), minlength=7)  # id 4 appears 5 times, id 3 and 5 never
    np.testing.assert_array_equal(weight.grad, np.repeat(counts[:, None], 3, axis=1))
