"""The public op hook: Tensor.from_op and minishop.Function, checked by gradcheck and against PyTorch."""

import numpy as np
import pytest
import torch

import minishop
from minishop import Function, Tensor, gradcheck


def leaf(shape, seed):
    return Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


class Softplus(Function):
    """y = log(1 + e^x), computed stably as max(x, 0) + log1p(e^-|x|); dy/dx = sigmoid(x)."""

    def forward(self, x):
        self.x = x
        return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))

    def backward(self, g):
        return (g / (1 + np.exp(-self.x)),)


class WrongSoftplus(Softplus):
    def backward(self, g):
        return (g / (1 + np.exp(self.x)),)  # sigmoid(-x): a sign slip


class ScaledProduct(Function):
    """y = c * a * b with a constant c: dy/da = c b, dy/db = c a, and no gradient for c."""

    def forward(self, a, c, b):
        self.a, self.b, self.c = a, b, c
        return c * a * b

    def backward(self, g):
        return g * self.c * self.b, None, g * self.c * self.a


def cube_from_op(x):
    """x^3 through the raw hook: data, parents, backward."""
    return Tensor.from_op(x.data**3, (x,), lambda g: (g * 3 * x.data**2,), op="cube")


def test_function_softplus_passes_gradcheck_and_matches_torch():
    x = leaf((3, 4), seed=0)
    result = gradcheck(lambda x: Softplus.apply(x), [x])
    assert result.passed and result.max_rel_error < 1e-6
    y = Softplus.apply(x)
    y.sum().backward()
    reference = torch.tensor(x.data, requires_grad=True)
    torch.nn.functional.softplus(reference).sum().backward()
    np.testing.assert_allclose(y.data, torch.nn.functional.softplus(reference).detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad, reference.grad.numpy(), rtol=1e-12)


def test_function_with_a_wrong_backward_fails_gradcheck():
    x = leaf((3, 4), seed=1)
    result = gradcheck(lambda x: WrongSoftplus.apply(x), [x], raise_on_failure=False)
    assert not result.passed and result.max_rel_error > 0.1
    with pytest.raises(AssertionError, match="analytic"):
        gradcheck(lambda x: WrongSoftplus.apply(x), [x])


def test_function_takes_constants_and_several_tensors():
    a, b = leaf((2, 3), seed=2), leaf((2, 3), seed=3)
    assert gradcheck(lambda a, b: ScaledProduct.apply(a, 2.5, b), [a, b]).passed
    constant = np.random.default_rng(4).standard_normal((2, 3))  # an array constant: no gradient, no Tensor
    assert gradcheck(lambda a: ScaledProduct.apply(a, 0.5, constant), [a]).passed
    out = ScaledProduct.apply(a, 2.0, constant)
    assert out._op == "ScaledProduct" and out._parents == (a,)


def test_function_composes_with_built_in_ops_and_keeps_float32():
    x = Tensor(np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4), requires_grad=True)
    y = (Softplus.apply(x * 2.0) @ Tensor(np.ones((4, 2), np.float32))).mean()
    assert y.dtype == np.float32
    y.backward()
    sigmoid = 1 / (1 + np.exp(-2 * x.data))
    np.testing.assert_allclose(x.grad, sigmoid * 2 * 2 / 6, rtol=1e-5)  # 2 outputs per element, mean of 6
    assert x.grad.dtype == np.float32


def test_from_op_hook_passes_gradcheck_and_a_wrong_one_fails():
    x = leaf((2, 5), seed=5)
    assert gradcheck(cube_from_op, [x]).passed
    wrong = lambda x: Tensor.from_op(x.data**3, (x,), lambda g: (g * 2 * x.data**2,), op="cube")  # noqa: E731
    assert not gradcheck(wrong, [x], raise_on_failure=False).passed


def test_from_op_builds_no_graph_when_nothing_needs_a_gradient():
    x = leaf((2, 2), seed=6)
    with minishop.no_grad():
        y = cube_from_op(x)
    assert not y.requires_grad and y._parents == () and y._backward is None
    z = cube_from_op(x.detach())
    assert not z.requires_grad and z._backward is None
    assert cube_from_op(x).requires_grad


def test_custom_op_mistakes_give_clear_errors():
    x = leaf((2, 3), seed=7)
    with pytest.raises(TypeError, match="parents must be Tensors"):
        Tensor.from_op(x.data * 2, (x.data,), lambda g: (g,), op="double")
    too_many = Tensor.from_op(x.data * 2, (x,), lambda g: (g, g), op="double")
    with pytest.raises(ValueError, match=r"'double'.*one gradient per parent.*\[\(2, 3\)\] \(or None\); got \[\(2, 3\), \(2, 3\)\]"):
        too_many.sum().backward()
    wrong_shape = Tensor.from_op(x.data.sum(axis=0), (x,), lambda g: (g,), op="colsum")
    with pytest.raises(ValueError, match=r"'colsum'.*\[\(2, 3\)\] \(or None\); got \[\(3,\)\]"):
        wrong_shape.sum().backward()

    class Forgetful(Softplus):
        def backward(self, g):
            return ()

    with pytest.raises(ValueError, match="Forgetful.backward must return one gradient per forward input"):
        Forgetful.apply(x).sum().backward()
    with pytest.raises(NotImplementedError, match="forward"):
        Function.apply(x)


def test_every_built_in_op_makes_its_output_through_from_op(monkeypatch):
    """One way to make an op's output: the hook a learner uses is the path every op takes."""
    made = []
    original = Tensor.from_op.__func__

    def counting_from_op(cls, data, parents, backward, op="op"):
        out = original(cls, data, parents, backward, op)
        made.append(out)
        return out

    monkeypatch.setattr(Tensor, "from_op", classmethod(counting_from_op))
    import minishop.functional as F

    x, w = leaf((3, 4), seed=8), leaf((4, 5), seed=9)
    outputs = [
        x + 1.0, x - x, x * x, x / 2.0, -x, x**2, x @ w, x.sum(axis=0), x.mean(), x.max(axis=1), x.exp(),
        x.tanh(), x.relu(), x.reshape(4, 3), x.T, x[np.array([0, 0, 2])], x.masked_fill(x.data > 0, 0.0),
        F.softmax(x), F.log_softmax(x), F.gelu(x), F.sigmoid(x), F.layer_norm(x), F.dropout(x, 0.5),
        F.cross_entropy(x, np.array([0, 1, 3])), F.embedding(w, np.array([1, 1])), F.concatenate([x, x]),
        F.stack([x, x]), F.where(x.data > 0, x, 0.0), Softplus.apply(x),
    ]
    made_ids = {id(t) for t in made}
    assert all(id(out) in made_ids for out in outputs)
