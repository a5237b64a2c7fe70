"""The autograd engine's behaviour: accumulation, reuse, deep graphs, no_grad, detach, dtypes, memory."""

import gc
import weakref

import numpy as np
import pytest

import minishop
import minishop.functional as F
from minishop import Tensor, no_grad


def randn(*shape, seed=0, dtype=np.float64, requires_grad=True):
    return Tensor(np.random.default_rng(seed).standard_normal(shape).astype(dtype), requires_grad=requires_grad)


def test_backward_twice_accumulates():
    x = randn(3, 4)
    loss = (x * x).sum()
    loss.backward(retain_graph=True)
    first = x.grad.copy()
    np.testing.assert_allclose(first, 2 * x.data)
    loss.backward()
    np.testing.assert_allclose(x.grad, 2 * first)
    x.zero_grad()
    assert x.grad is None


def test_backward_through_a_freed_graph_raises():
    x = randn(3)
    loss = (x.exp() * 2.0).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        loss.backward()


def test_node_reused_many_times():
    x = randn(2, 3)
    y = x.tanh()  # used by 50 later ops
    total = y * 0.0
    for i in range(50):
        total = total + y * float(i)
    total.sum().backward()
    expected = sum(range(50)) * (1 - np.tanh(x.data) ** 2)
    np.testing.assert_allclose(x.grad, expected, rtol=1e-12)


def test_graph_5000_ops_deep():
    x = randn(4)
    h = x
    for _ in range(5000):
        h = h * 1.0001 + 0.001
    h.sum().backward()  # a recursive topological sort would exceed Python's recursion limit here
    np.testing.assert_allclose(x.grad, np.full(4, 1.0001**5000), rtol=1e-9)


def test_intermediate_grad_only_when_retained():
    x = randn(3)
    y = x * 2.0
    z = (y * 3.0).retain_grad()
    (z * z).sum().backward()
    assert y.grad is None
    np.testing.assert_allclose(z.grad, 2 * z.data)
    np.testing.assert_allclose(x.grad, 2 * z.data * 6.0)


def test_leaf_grads_never_alias_each_other():
    a, b = randn(3, 4, seed=1), randn(3, 4, seed=2)
    (a + b).sum().backward()  # both receive the same upstream array
    a.grad += 1.0  # an optimizer may modify grads in place
    np.testing.assert_array_equal(b.grad, np.ones((3, 4)))
    np.testing.assert_array_equal(a.grad, np.full((3, 4), 2.0))


def test_in_place_accumulation_never_corrupts_a_shared_gradient():
    a, b, c = randn(3, 4, seed=1), randn(3, 4, seed=2), randn(3, 4, seed=3)
    y = a + b  # y's gradient (a new array, c) flows unchanged to both a and b
    loss = (y * c).sum() + (a * 3.0).sum() + (b * b).sum()  # then a and b each get a second share
    loss.backward()
    np.testing.assert_allclose(a.grad, c.data + 3.0)
    np.testing.assert_allclose(b.grad, c.data + 2 * b.data)
    assert a.grad is not b.grad


def test_gradient_and_a_view_of_it_sent_to_two_parents_stay_independent():
    a, b = Tensor(np.ones((2, 3)), requires_grad=True), Tensor(np.ones(6), requires_grad=True)
    # an op whose backward hands out g and a view of g
    both = Tensor.from_op(a.data * 1.0, (a, b), lambda g: (g, g.reshape(6)), op="pass_to_both")
    ((both * 2.0).sum() + (a * 5.0).sum()).backward()  # a's share is then added to in place
    np.testing.assert_array_equal(a.grad, np.full((2, 3), 7.0))
    np.testing.assert_array_equal(b.grad, np.full(6, 2.0))


def test_user_gradient_argument_is_not_modified():
    x = randn(2, 3)
    upstream = np.ones((2, 3))
    y = x * 1.0
    y.backward(upstream)
    x.grad *= 5.0
    np.testing.assert_array_equal(upstream, np.ones((2, 3)))


def test_graph_is_released_after_backward():
    gc.disable()  # prove that plain reference counting frees it: no reference cycles
    try:
        x = randn(100, 100)
        hidden = x.exp()
        ref = weakref.ref(hidden)
        loss = (hidden * 2.0).sum()
        del hidden
        assert ref() is not None  # still held by the graph
        loss.backward()
        assert ref() is None  # freed as soon as its gradient was used
    finally:
        gc.enable()


def test_retain_graph_keeps_saved_arrays():
    x = randn(5)
    hidden = x.exp()
    ref = weakref.ref(hidden)
    loss = (hidden * 2.0).sum()
    del hidden
    loss.backward(retain_graph=True)
    assert ref() is not None


def test_no_grad_builds_no_graph_and_restores():
    x = randn(3)
    with no_grad():
        y = (x * 2.0).exp()
        assert not minishop.is_grad_enabled()
    assert minishop.is_grad_enabled()
    assert not y.requires_grad and y._parents == ()

    @no_grad()
    def step():
        return x * 3.0

    assert not step().requires_grad
    with pytest.raises(ZeroDivisionError):
        with no_grad():
            1 / 0
    assert minishop.is_grad_enabled()


def test_detach_shares_data_and_stops_gradient():
    x = randn(3)
    d = x.detach()
    assert d.data is x.data and not d.requires_grad
    (x * d).sum().backward()
    np.testing.assert_allclose(x.grad, x.data)  # d/dx (x * const) = const


def test_operators_with_arrays_and_scalars_on_both_sides():
    x = randn(2, 3)
    arr = np.arange(6.0).reshape(2, 3) + 1
    for expr, grad in [
        (lambda: arr + x, 1.0),
        (lambda: arr - x, -1.0),
        (lambda: arr * x, arr),
        (lambda: 2.0 * x - 1, 2.0),
        (lambda: 1 - x / 4, -0.25),
        (lambda: arr / x, -arr / x.data**2),
        (lambda: np.eye(2) @ x, 1.0),
    ]:
        x.grad = None
        out = expr()
        assert isinstance(out, Tensor)
        out.sum().backward()
        np.testing.assert_allclose(x.grad, np.broadcast_to(grad, (2, 3)))


FLOAT32_OPS = {
    "arithmetic": lambda x: (x * 2.5 + 1) / 3 - 0.5 * x,
    "pow": lambda x: (x * x + 1.0) ** 1.5,
    "matmul": lambda x: x @ x.T,
    "reductions": lambda x: x.sum(axis=1) + x.mean(axis=1) + x.max(axis=1),
    "elementwise": lambda x: x.exp() + x.tanh() + x.relu() + (x * x + 1).sqrt().log(),
    "gelu": F.gelu,
    "softmax": F.softmax,
    "log_softmax": F.log_softmax,
    "layer_norm": lambda x: F.layer_norm(x, Tensor(np.ones(5, np.float32)), Tensor(np.zeros(5, np.float32))),
    "dropout": lambda x: F.dropout(x, 0.3),
    "cross_entropy": lambda x: F.cross_entropy(x, np.array([0, 4, -100, 2]), label_smoothing=0.1),
    "bce": lambda x: F.binary_cross_entropy_with_logits(x, np.ones((4, 5), np.float32), weight=np.ones(5, np.float32)),
    "embedding": lambda x: F.embedding(x, np.array([1, 1, 3])),
    "getitem": lambda x: x[np.array([0, 0, 2])] + x[1:3].sum(),
    "masked_fill_where": lambda x: F.where(x.data > 0, x.masked_fill(x.data < -1, 0.0), 1.5),
    "sigmoid_concat_stack": lambda x: F.stack([F.sigmoid(x), F.concatenate([x[:, :2], x[:, 2:]], axis=1)]),
}


@pytest.mark.parametrize("name", list(FLOAT32_OPS))
def test_float32_stays_float32(name):
    x = randn(4, 5, dtype=np.float32)
    out = FLOAT32_OPS[name](x)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32


def test_numpy_scalars_do_not_promote_float32():
    x = randn(3, dtype=np.float32)
    for out in [x * np.float64(2.0), np.sqrt(2.0) + x, x / np.array(3.0), x - np.float64(1.0)]:
        assert out.dtype == np.float32
    assert (x * np.ones(3)).dtype == np.float64  # a real float64 array does promote, as in NumPy


def test_tensor_dtypes_from_inputs():
    assert Tensor(np.ones(2, np.float64)).dtype == np.float64
    assert Tensor(np.ones(2, np.float32)).dtype == np.float32
    assert Tensor(1.5).dtype == np.float32 and Tensor([1.0, 2.0]).dtype == np.float32
    assert Tensor([1, 2]).dtype.kind == "i"
    minishop.set_default_dtype("float64")
    try:
        assert Tensor(1.5).dtype == np.float64
    finally:
        minishop.set_default_dtype("float32")


def test_clear_errors():
    x = randn(2, 3)
    with pytest.raises(RuntimeError, match="non-scalar"):
        (x * 2.0).backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor(np.ones(2)).sum().backward()
    with pytest.raises(ValueError, match="only floating"):
        Tensor(np.array([1, 2]), requires_grad=True)
    with pytest.raises(TypeError, match="exponent"):
        x ** x
    with pytest.raises(ValueError, match="bool"):
        x.masked_fill(np.array([1, 0, 1]), 0.0)
    with pytest.raises(ValueError, match=r"ids must be in \[0, 2\)"):
        F.embedding(x, np.array([0, 2]))
    with pytest.raises(ValueError, match="integer"):
        F.embedding(x, np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="targets shape"):
        F.cross_entropy(x, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="targets must be in"):
        F.cross_entropy(x, np.array([0, 3]))
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(x, np.array([0, 1]), reduction="avg")
    with pytest.raises(ValueError, match="probability"):
        F.dropout(x, 1.5)
    with pytest.raises(ValueError, match="grad shape"):
        (x * 2.0).backward(np.ones(3))


def test_cross_entropy_all_padding_is_nan_like_torch():
    x = randn(2, 3)
    loss = F.cross_entropy(x, np.array([-100, -100]))
    assert np.isnan(loss.item())


def test_dropout_keeps_expectation_and_masks_gradient():
    minishop.manual_seed(0)
    x = Tensor(np.ones((200, 300), np.float32), requires_grad=True)
    y = F.dropout(x, p=0.25)
    kept = y.data != 0
    assert abs(kept.mean() - 0.75) < 0.01
    np.testing.assert_allclose(y.data[kept], 1 / 0.75, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, kept / 0.75, rtol=1e-6)
    assert F.dropout(x, 0.25, training=False) is x
