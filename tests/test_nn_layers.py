"""Module bookkeeping and the basic layers: gradients by finite differences, LayerNorm against PyTorch."""

import numpy as np
import pytest

import minishop
from minishop import Tensor, gradcheck, nn

from helpers import random_tensor


def test_linear_computes_x_at_w_plus_b(float64):
    layer = nn.Linear(5, 3)
    assert layer.weight.shape == (5, 3) and layer.bias.shape == (3,)
    x = random_tensor((4, 2, 5), seed=1)
    expected = x.data @ layer.weight.data + layer.bias.data
    np.testing.assert_allclose(layer(x).data, expected, rtol=1e-12)
    assert nn.Linear(5, 3, bias=False).bias is None


def test_linear_gradcheck(float64):
    layer = nn.Linear(5, 3)
    x = random_tensor((4, 2, 5), seed=1)
    result = gradcheck(lambda x, w, b: layer(x), [x, layer.weight, layer.bias])
    assert result.max_rel_error < 1e-6


def test_embedding_gradcheck_with_repeated_ids(float64):
    table = nn.Embedding(7, 4)
    ids = np.array([[1, 3, 3, 0], [6, 1, 1, 1], [3, 3, 2, 5]])  # ids repeat within and across rows
    result = gradcheck(lambda w: table(ids), [table.weight])
    assert result.max_rel_error < 1e-6
    np.testing.assert_array_equal(table(ids).data, table.weight.data[ids])


def test_layer_norm_and_feed_forward_gradcheck(float64):
    norm = nn.LayerNorm(6)
    norm.weight.data[:] = np.linspace(0.5, 1.5, 6)  # not the trivial 1 and 0, so their gradients matter
    norm.bias.data[:] = np.linspace(-0.3, 0.2, 6)
    x = random_tensor((3, 4, 6), seed=2)
    assert gradcheck(lambda x, w, b: norm(x), [x, norm.weight, norm.bias]).max_rel_error < 1e-6

    mlp = nn.FeedForward(6, 11)
    inputs = [x] + mlp.parameters()
    assert gradcheck(lambda *tensors: mlp(x), inputs).max_rel_error < 1e-6


def test_dropout_gradcheck_with_a_fixed_mask(float64):
    drop = nn.Dropout(0.3)
    x = random_tensor((5, 7), seed=3)

    def fn(x):
        minishop.manual_seed(11)  # the same mask at every evaluation
        return drop(x)

    assert gradcheck(fn, [x]).max_rel_error < 1e-6


def test_dropout_is_active_in_train_mode_and_identity_in_eval_mode(float64):
    block = nn.FeedForward(8, 9, dropout=0.5)
    x = random_tensor((400, 9), seed=4, requires_grad=False)
    out = block.dropout(x).data
    zeros = np.mean(out == 0)
    assert 0.4 < zeros < 0.6  # about half dropped...
    kept = out != 0
    np.testing.assert_allclose(out[kept], 2 * x.data[kept])  # ...and the rest scaled by 1/(1-p)
    block.eval()
    assert not block.dropout.training and not block.fc1.training
    np.testing.assert_array_equal(block.dropout(x).data, x.data)
    block.train()
    assert block.dropout.training


class TwoLayers(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = nn.LayerNorm(4)
        self.layers = [nn.Linear(4, 5), nn.Linear(5, 3, bias=False)]


def test_named_parameters_walks_children_and_lists_in_order(float64):
    model = TwoLayers()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["norm.weight", "norm.bias", "layers.0.weight", "layers.0.bias", "layers.1.weight"]
    assert model.num_parameters() == 4 + 4 + 20 + 5 + 15
    assert len(model.modules()) == 4


def test_state_dict_round_trip(float64):
    source, target = TwoLayers(), TwoLayers()
    target.load_state_dict(source.state_dict())
    for (name, a), (_, b) in zip(source.named_parameters(), target.named_parameters()):
        np.testing.assert_array_equal(a.data, b.data, err_msg=name)
    state = source.state_dict()
    state["norm.bias"][0] = 123.0  # state_dict hands out copies, not the live weights
    assert source.norm.bias.data[0] != 123.0


def test_load_state_dict_names_missing_unexpected_and_misshaped_keys(float64):
    model = TwoLayers()
    state = model.state_dict()
    del state["layers.0.bias"]
    with pytest.raises(ValueError, match=r"missing keys \['layers.0.bias'\]"):
        model.load_state_dict(state)

    state = model.state_dict()
    state["layers.2.weight"] = np.zeros((3, 3))
    with pytest.raises(ValueError, match=r"unexpected keys \['layers.2.weight'\]"):
        model.load_state_dict(state)

    state = model.state_dict()
    state["layers.1.weight"] = np.zeros((3, 5))
    with pytest.raises(ValueError, match=r"'layers.1.weight' has shape \(3, 5\), expected \(5, 3\)"):
        model.load_state_dict(state)


def test_layer_norm_matches_torch(float64):
    torch = pytest.importorskip("torch", reason="PyTorch is the reference; CI installs torch==2.13.0")
    rng = np.random.default_rng(5)
    x_np = rng.standard_normal((3, 4, 7)) * 3 + 1
    weight, bias, upstream = rng.standard_normal(7), rng.standard_normal(7), rng.standard_normal((3, 4, 7))

    norm = nn.LayerNorm(7)
    norm.weight.data[:], norm.bias.data[:] = weight, bias
    x = Tensor(x_np.copy(), requires_grad=True)
    out = norm(x)
    (out * upstream).sum().backward()

    reference = torch.nn.LayerNorm(7, eps=1e-5).double()
    with torch.no_grad():
        reference.weight.copy_(torch.from_numpy(weight))
        reference.bias.copy_(torch.from_numpy(bias))
    x_t = torch.from_numpy(x_np.copy()).requires_grad_()
    out_t = reference(x_t)
    (out_t * torch.from_numpy(upstream)).sum().backward()

    np.testing.assert_allclose(out.data, out_t.detach().numpy(), rtol=0, atol=1e-9, err_msg="output")
    np.testing.assert_allclose(x.grad, x_t.grad.numpy(), rtol=0, atol=1e-9, err_msg="input gradient")
    np.testing.assert_allclose(norm.weight.grad, reference.weight.grad.numpy(), atol=1e-9, err_msg="weight grad")
    np.testing.assert_allclose(norm.bias.grad, reference.bias.grad.numpy(), atol=1e-9, err_msg="bias grad")
