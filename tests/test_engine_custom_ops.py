"""The public op hook: Tensor.from_op and minishop.Function, checked by gradcheck and against PyTorch."""

import numpy as np
import pytest
import torch

import minishop
import minishop.functional as F
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
    outputs = every_built_in_op(seed=8)
    made_ids = {id(t) for t in made}
    assert len(outputs) == 33 and all(id(out) in made_ids for out in outputs)


def every_built_in_op(seed):
    """One output of every op in tensor.py, functional.py and fused_cross_entropy.py, plus a Function."""
    x, w = leaf((3, 4), seed=seed), leaf((4, 5), seed=seed + 1)
    gain, shift = leaf((4,), seed=seed + 2), leaf((4,), seed=seed + 3)
    return [
        x + 1.0, x - x, x * x, x / 2.0, -x, x**2, x @ w, x.sum(axis=0), x.mean(), x.max(axis=1), x.exp(),
        x.tanh(), x.relu(), x.reshape(4, 3), x.T, x[np.array([0, 0, 2])], x.masked_fill(x.data > 0, 0.0),
        F.softmax(x), F.log_softmax(x), F.gelu(x), F.sigmoid(x), F.layer_norm(x, gain, shift), F.dropout(x, 0.5),
        F.cross_entropy(x, np.array([0, 1, 3])), F.embedding(w, np.array([1, 1])), F.concatenate([x, x]),
        F.stack([x, x]), F.where(x.data > 0, x, 0.0), Softplus.apply(x), F.linear_cross_entropy(x, w.T, [0, 4, 2]),
        F.binary_cross_entropy_with_logits(x, (x.data > 0).astype(x.dtype)), (x * x).sqrt(), (x * x + 1.0).log(),
    ]


def arrays_held_by(backward, parents):
    """Every whole array a backward closure can still reach: what it saved, its parents' and constants' data."""
    held = [p.data for p in parents]
    for cell in backward.__closure__ or ():
        value = cell.cell_contents
        values = [value] if not isinstance(value, (tuple, list, Function)) else value
        values = vars(value).values() if isinstance(value, Function) else values  # what a Function saved
        held += [v.data if isinstance(v, Tensor) else v for v in values]
    return [a for a in held if isinstance(a, np.ndarray)]


def test_built_in_ops_never_return_an_array_they_hold():
    """Tensor.from_op's ownership rule: the engine adds into a returned non-view array, so no backward may
    return a whole array that it saved or that belongs to a parent (g itself and views are fine)."""
    for out in every_built_in_op(seed=10):
        g = np.random.default_rng(11).standard_normal(out.shape)
        held = arrays_held_by(out._backward, out._parents)
        for grad in out._backward(g):
            if grad is not None and grad is not g and grad.base is None:
                assert not any(grad is a for a in held), f"{out._op}'s backward returns an array it holds"


class DotWithConstant(Function):
    """y = sum(a * x) with a constant array a: dy/dx = a, returned as the saved array itself."""

    def forward(self, x, a):
        self.a = a
        return (x * a).sum()

    def backward(self, g):
        return self.a, None


class Dot(Function):
    """y = sum(x * z): dy/dx = z and dy/dz = x, returned as the input arrays themselves (g = 1)."""

    def forward(self, x, z):
        self.x, self.z = x, z
        return (x * z).sum()

    def backward(self, g):
        return self.z, self.x


class Add(Function):
    """y = x + z: both inputs get g itself."""

    def forward(self, x, z):
        return x + z

    def backward(self, g):
        return g, g


def test_function_returning_its_saved_constant_leaves_it_unchanged():
    a = np.array([2.0, 3.0])
    x = Tensor(np.ones(2), requires_grad=True)
    (DotWithConstant.apply(x, a) + DotWithConstant.apply(x, a)).backward()  # two shares: the second adds in
    DotWithConstant.apply(x, a).backward()  # a second backward adds into x.grad
    np.testing.assert_array_equal(a, [2.0, 3.0])
    np.testing.assert_array_equal(x.grad, [6.0, 9.0])


def test_function_returning_its_inputs_leaves_them_unchanged():
    x, z = Tensor(np.array([1.0, 2.0]), requires_grad=True), Tensor(np.array([5.0, 7.0]), requires_grad=True)
    (Dot.apply(x, z) + Dot.apply(x, z)).backward()
    Dot.apply(x, z).backward()
    np.testing.assert_array_equal(x.data, [1.0, 2.0])
    np.testing.assert_array_equal(z.data, [5.0, 7.0])
    np.testing.assert_array_equal(x.grad, [15.0, 21.0])
    np.testing.assert_array_equal(z.grad, [3.0, 6.0])


def test_function_returning_g_for_two_parents_gives_each_its_own_gradient():
    x, z = Tensor(np.array([1.0, 2.0]), requires_grad=True), Tensor(np.array([5.0, 7.0]), requires_grad=True)
    out = Add.apply(x, z) * 3.0  # Add's g is the engine's own (3, 3): it could be added into in place
    (out + x).sum().backward()  # and x gets a second share
    np.testing.assert_array_equal(x.grad, [4.0, 4.0])
    np.testing.assert_array_equal(z.grad, [3.0, 3.0])
    x.grad += 1.0
    np.testing.assert_array_equal(z.grad, [3.0, 3.0])


def test_function_backward_returning_a_tensor_is_a_clear_error():
    class Tensorish(Add):
        def backward(self, g):
            return Tensor(g), None

    x = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(TypeError, match="Tensorish.backward must return arrays .* got a Tensor for input 0"):
        Tensorish.apply(x, np.ones(2)).sum().backward()
