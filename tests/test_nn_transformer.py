"""TransformerBlock against PyTorch's TransformerEncoderLayer, a whole transformer + loss by gradcheck, and
generation through the key/value cache against a full recompute."""

import numpy as np
import pytest

import minishop
from minishop import Tensor, gradcheck, nn, no_grad
import minishop.functional as F


def to_torch(array, torch):
    return torch.from_numpy(np.ascontiguousarray(array))


def copy_block_to_torch(ours, theirs, torch):
    attention = ours.attention
    pairs = [
        (theirs.self_attn.in_proj_weight, np.concatenate(
            [attention.q_proj.weight.data.T, attention.k_proj.weight.data.T, attention.v_proj.weight.data.T])),
        (theirs.self_attn.in_proj_bias, np.concatenate(
            [attention.q_proj.bias.data, attention.k_proj.bias.data, attention.v_proj.bias.data])),
        (theirs.self_attn.out_proj.weight, attention.out_proj.weight.data.T),
        (theirs.self_attn.out_proj.bias, attention.out_proj.bias.data),
        (theirs.linear1.weight, ours.feed_forward.fc1.weight.data.T),
        (theirs.linear1.bias, ours.feed_forward.fc1.bias.data),
        (theirs.linear2.weight, ours.feed_forward.fc2.weight.data.T),
        (theirs.linear2.bias, ours.feed_forward.fc2.bias.data),
        (theirs.norm1.weight, ours.norm1.weight.data), (theirs.norm1.bias, ours.norm1.bias.data),
        (theirs.norm2.weight, ours.norm2.weight.data), (theirs.norm2.bias, ours.norm2.bias.data),
    ]
    with torch.no_grad():
        for target, source in pairs:
            target.copy_(to_torch(source, torch))


def our_gradients_in_torch_layout(ours):
    """Our parameter gradients, named and shaped like torch's TransformerEncoderLayer parameters."""
    attention = ours.attention
    return {
        "self_attn.in_proj_weight": np.concatenate(
            [attention.q_proj.weight.grad.T, attention.k_proj.weight.grad.T, attention.v_proj.weight.grad.T]),
        "self_attn.in_proj_bias": np.concatenate(
            [attention.q_proj.bias.grad, attention.k_proj.bias.grad, attention.v_proj.bias.grad]),
        "self_attn.out_proj.weight": attention.out_proj.weight.grad.T,
        "self_attn.out_proj.bias": attention.out_proj.bias.grad,
        "linear1.weight": ours.feed_forward.fc1.weight.grad.T, "linear1.bias": ours.feed_forward.fc1.bias.grad,
        "linear2.weight": ours.feed_forward.fc2.weight.grad.T, "linear2.bias": ours.feed_forward.fc2.bias.grad,
        "norm1.weight": ours.norm1.weight.grad, "norm1.bias": ours.norm1.bias.grad,
        "norm2.weight": ours.norm2.weight.grad, "norm2.bias": ours.norm2.bias.grad,
    }


@pytest.mark.parametrize("norm_first", [True, False], ids=["pre-LN", "post-LN"])
def test_transformer_block_matches_torch(float64, norm_first):
    torch = pytest.importorskip("torch", reason="PyTorch is the reference; CI installs torch==2.13.0")
    B, T, D, H, d_ff = 3, 6, 8, 2, 13
    rng = np.random.default_rng(8)
    x_np, upstream = rng.standard_normal((B, T, D)), rng.standard_normal((B, T, D))
    pad = np.arange(T)[None, :] >= np.array([6, 3, 5])[:, None]  # right padding

    ours = nn.TransformerBlock(D, H, d_ff, dropout=0.0, causal=True, norm_first=norm_first)
    for norm in (ours.norm1, ours.norm2):  # non-trivial LayerNorm weights so their gradients are tested
        norm.weight.data[:] = rng.uniform(0.5, 1.5, D)
        norm.bias.data[:] = rng.uniform(-0.5, 0.5, D)
    x = Tensor(x_np.copy(), requires_grad=True)
    out = ours(x, key_padding_mask=pad)
    (out * upstream).sum().backward()

    theirs = torch.nn.TransformerEncoderLayer(
        D, H, dim_feedforward=d_ff, dropout=0.0, batch_first=True, norm_first=norm_first,
        activation=lambda h: torch.nn.functional.gelu(h, approximate="tanh"), dtype=torch.float64)
    copy_block_to_torch(ours, theirs, torch)
    x_t = to_torch(x_np.copy(), torch).requires_grad_()
    causal = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
    out_t = theirs(x_t, src_mask=causal, src_key_padding_mask=to_torch(pad, torch))
    (out_t * to_torch(upstream, torch)).sum().backward()

    np.testing.assert_allclose(out.data, out_t.detach().numpy(), rtol=0, atol=1e-9, err_msg="output")
    np.testing.assert_allclose(x.grad, x_t.grad.numpy(), rtol=0, atol=1e-9, err_msg="input gradient")
    ours_grads = our_gradients_in_torch_layout(ours)
    torch_grads = dict(theirs.named_parameters())
    assert set(ours_grads) == set(torch_grads)
    for name, grad in ours_grads.items():
        np.testing.assert_allclose(grad, torch_grads[name].grad.numpy(), rtol=0, atol=1e-9, err_msg=name)


def test_two_block_transformer_with_loss_passes_gradcheck(float64):
    """Left padding + causal mask + repeated ids + cross-entropy ignoring padding, all parameters checked."""
    model = nn.Transformer(vocab_size=7, d_model=6, n_blocks=2, n_heads=2, max_len=9, d_ff=10)
    for block in model.blocks:
        block.norm1.weight.data[:] = np.linspace(0.7, 1.3, 6)
    ids = np.array([[0, 0, 3, 3, 5], [2, 4, 4, 2, 6], [0, 1, 1, 1, 1]])  # 0 = padding on the left
    pad = ids == 0
    targets = np.where(pad, -100, (ids + 1) % 7)

    def loss(*parameters):
        hidden = model(ids, key_padding_mask=pad)  # (3, 5, 6)
        return F.cross_entropy(model.logits(hidden), targets, ignore_index=-100)

    names = [name for name, _ in model.named_parameters()]
    result = gradcheck(loss, model.parameters(), names=names)
    assert result.max_rel_error < 1e-6


def test_transformer_options_and_errors(float64):
    ids = np.array([[1, 2, 3], [3, 2, 1]])
    model = nn.Transformer(vocab_size=5, d_model=4, n_blocks=1, n_heads=1, max_len=4, positional="sinusoidal",
                           tie_weights=False, norm_first=False)
    names = [name for name, _ in model.named_parameters()]
    assert "position_embedding.weight" not in names and "output.weight" in names and model.final_norm is None
    assert model.logits(model(ids)).shape == (2, 3, 5)
    table = nn.sinusoidal_positions(4, 4)
    np.testing.assert_allclose(table[2], [np.sin(2), np.cos(2), np.sin(2 / 100), np.cos(2 / 100)], rtol=1e-12)
    with pytest.raises(ValueError, match="sequence length 5 exceeds max_len=4"):
        model(np.ones((1, 5), dtype=int))
    with pytest.raises(ValueError, match="positional='rotary'"):
        nn.Transformer(5, 4, 1, 1, 4, positional="rotary")

    tied = nn.Transformer(vocab_size=5, d_model=4, n_blocks=1, n_heads=2, max_len=4, dropout=0.5)
    hidden = tied(ids)
    np.testing.assert_allclose(tied.logits(hidden).data, hidden.data @ tied.token_embedding.weight.data.T)
    tied.eval()  # no dropout: deterministic
    np.testing.assert_array_equal(tied(ids).data, tied(ids).data)


@pytest.mark.parametrize("norm_first", [True, False], ids=["pre-LN", "post-LN"])
def test_transformer_block_with_dropout_passes_gradcheck(float64, norm_first):
    """Training mode, every dropout active (attention weights, MLP, residuals), the same masks each call."""
    block = nn.TransformerBlock(6, 3, 7, dropout=0.2, causal=True, norm_first=norm_first)
    x = Tensor(np.random.default_rng(9).standard_normal((2, 5, 6)), requires_grad=True)
    pad = np.array([[True, True, False, False, False], [False] * 5])

    def fn(*tensors):
        minishop.manual_seed(21)  # fixed dropout masks, so finite differences see one function
        return block(x, key_padding_mask=pad)

    names = ["x"] + [name for name, _ in block.named_parameters()]
    result = gradcheck(fn, [x] + block.parameters(), names=names)
    assert result.max_rel_error < 1e-6
    minishop.manual_seed(21)
    with_dropout = block(x, key_padding_mask=pad).data
    block.eval()
    assert not np.allclose(with_dropout, block(x, key_padding_mask=pad).data)  # dropout really was on


def test_block_can_leave_the_attention_output_undropped_as_sasrec():
    """drop_attention_output=False: x + Attn(LN(x)) with dropout only inside the attention (its weights)."""
    block = nn.TransformerBlock(6, 2, 7, dropout=0.3, causal=True, drop_attention_output=False)
    x = Tensor(np.random.default_rng(4).standard_normal((3, 5, 6)))
    pad = np.array([[True, False, False, False, False], [False] * 5, [True, True, False, False, False]])
    minishop.manual_seed(8)
    out = block(x, key_padding_mask=pad).data
    minishop.manual_seed(8)  # the same random draws, in the same order, written out by hand
    h = x + block.attention(block.norm1(x), pad)  # (B, T, D), no dropout on the attention's output
    expected = (h + block.dropout2(block.feed_forward(block.norm2(h)))).data
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    minishop.manual_seed(8)
    dropped = nn.TransformerBlock(6, 2, 7, dropout=0.3, causal=True)  # the default drops the output too
    dropped.load_state_dict(block.state_dict())
    minishop.manual_seed(8)
    assert not np.allclose(dropped(x, key_padding_mask=pad).data, out)


@pytest.mark.parametrize("n_heads", [1, 2])
@pytest.mark.parametrize("norm_first", [True, False], ids=["pre-LN", "post-LN"])
def test_cached_logits_equal_a_full_recompute_at_every_step(float64, norm_first, n_heads):
    """A 4-token prompt in one go (prefill), then one token per step; at each step the cached logits equal
    those of the whole sequence so far run without a cache. Learned and sinusoidal positions both."""
    for positional in ("learned", "sinusoidal"):
        model = nn.Transformer(vocab_size=11, d_model=6, n_blocks=2, n_heads=n_heads, max_len=10, d_ff=9,
                               dropout=0.3, norm_first=norm_first, positional=positional, tie_weights=False).eval()
        for block in model.blocks:  # non-trivial LayerNorms, so a norm applied in the wrong place shows
            block.norm1.weight.data[:] = np.linspace(0.6, 1.4, 6)
            block.norm2.bias.data[:] = np.linspace(-0.3, 0.3, 6)
        ids = np.random.default_rng(3).integers(0, 11, size=(2, 10))
        cache = model.new_cache(batch_size=2)
        with no_grad():
            steps = [(0, 4)] + [(t, t + 1) for t in range(4, 10)]
            for start, end in steps:
                cached = model.logits(model(ids[:, start:end], cache=cache)).data  # (2, end - start, V)
                full = model.logits(model(ids[:, :end])).data  # (2, end, V), everything recomputed
                np.testing.assert_allclose(cached, full[:, start:], rtol=0, atol=1e-10,
                                           err_msg=f"{positional} positions, tokens {start}..{end - 1}")
                assert all(layer.length == end for layer in cache)


def test_cached_transformer_errors(float64):
    model = nn.Transformer(vocab_size=5, d_model=4, n_blocks=2, n_heads=2, max_len=6).eval()
    cache = model.new_cache()
    with no_grad():
        model(np.ones((1, 4), dtype=int), cache=cache)
        with pytest.raises(ValueError, match="sequence length 3 after 4 cached tokens exceeds max_len=6"):
            model(np.ones((1, 3), dtype=int), cache=cache)
        with pytest.raises(ValueError, match=r"cache has 1 layers, expected one per block \(2\)"):
            model(np.ones((1, 1), dtype=int), cache=cache[:1])
