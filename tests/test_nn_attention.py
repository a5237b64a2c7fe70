"""Attention, in the course's three steps: seed attention, SelfAttention, MultiHeadAttention (vs PyTorch),
and the key/value cache that generation uses."""

import numpy as np
import pytest

from minishop import Tensor, gradcheck, nn, no_grad
from minishop import functional as F
from minishop.nn.attention import KVCache, attention_mask, scaled_dot_product_attention, seed_attention

from helpers import random_tensor


def numpy_softmax(scores):
    shifted = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def test_seed_attention_is_exactly_the_formula(float64):
    X = random_tensor((2, 5, 3), seed=1)
    expected = numpy_softmax(X.data @ X.data.transpose(0, 2, 1) / np.sqrt(3)) @ X.data
    np.testing.assert_allclose(seed_attention(X).data, expected, rtol=1e-12)
    assert gradcheck(seed_attention, [X]).max_rel_error < 1e-6


def test_masked_weights_are_zero_and_rows_sum_to_one(float64):
    q, k, v = random_tensor((2, 4, 3), 1), random_tensor((2, 5, 3), 2), random_tensor((2, 5, 6), 3)
    pad = np.array([[False] * 5, [False, False, False, True, True]])
    out, weights = scaled_dot_product_attention(q, k, v, key_padding_mask=pad)
    assert out.shape == (2, 4, 6) and weights.shape == (2, 4, 5)
    np.testing.assert_allclose(weights.data.sum(-1), 1.0, rtol=1e-12)
    assert np.all(weights.data[1, :, 3:] == 0)
    q4 = random_tensor((2, 4, 4, 3), 4)
    _, causal = scaled_dot_product_attention(q4, q4, q4, causal=True)
    assert np.all(np.triu(np.ones((4, 4)), k=1)[None, None] * causal.data == 0)


def test_left_padding_under_a_causal_mask_gives_no_nan_and_the_unpadded_answer(float64):
    """A left-padded query sees only padding keys under the causal mask: its row must stay finite."""
    attention = nn.MultiHeadAttention(6, n_heads=2, causal=True)
    x = random_tensor((1, 7, 6), seed=5)
    pad = np.array([[True, True, True, False, False, False, False]])
    out = attention(x, key_padding_mask=pad)
    assert np.all(np.isfinite(out.data))
    alone = attention(Tensor(x.data[:, 3:]))  # the same 4 real tokens with no padding at all
    np.testing.assert_allclose(out.data[:, 3:], alone.data, rtol=1e-12, atol=1e-14)
    out.sum().backward()
    assert all(np.all(np.isfinite(p.grad)) for p in attention.parameters())


def test_self_attention_and_multi_head_attention_gradcheck(float64):
    x = random_tensor((2, 5, 6), seed=6)
    pad = np.array([[True, False, False, False, False], [False, False, False, False, True]])
    single = nn.SelfAttention(6, d_head=4, causal=True)
    assert gradcheck(lambda *t: single(x, key_padding_mask=pad), [x] + single.parameters()).max_rel_error < 1e-6

    multi = nn.MultiHeadAttention(6, n_heads=3, causal=True)
    assert gradcheck(lambda *t: multi(x, key_padding_mask=pad), [x] + multi.parameters()).max_rel_error < 1e-6
    out, weights = multi(x, key_padding_mask=pad, need_weights=True)
    assert out.shape == (2, 5, 6) and weights.shape == (2, 3, 5, 5)
    _, one_head = nn.MultiHeadAttention(6, n_heads=1)(x, need_weights=True)
    assert one_head.shape == (2, 1, 5, 5)


def copy_attention_to_torch(ours, theirs, torch):
    """Our Linear stores W as (in, out); torch stores (out, in) and stacks Q, K, V in in_proj_weight."""
    with torch.no_grad():
        theirs.in_proj_weight.copy_(torch.from_numpy(np.concatenate(
            [ours.q_proj.weight.data.T, ours.k_proj.weight.data.T, ours.v_proj.weight.data.T])))
        theirs.in_proj_bias.copy_(torch.from_numpy(np.concatenate(
            [ours.q_proj.bias.data, ours.k_proj.bias.data, ours.v_proj.bias.data])))
        theirs.out_proj.weight.copy_(torch.from_numpy(ours.out_proj.weight.data.T))
        theirs.out_proj.bias.copy_(torch.from_numpy(ours.out_proj.bias.data))


def assert_attention_gradients_match(ours, theirs):
    d = ours.d_model
    w_grad, b_grad = theirs.in_proj_weight.grad.numpy(), theirs.in_proj_bias.grad.numpy()
    for index, proj in enumerate([ours.q_proj, ours.k_proj, ours.v_proj]):
        np.testing.assert_allclose(proj.weight.grad, w_grad[index * d:(index + 1) * d].T, rtol=0, atol=1e-9,
                                   err_msg=f"projection {index} weight gradient")
        np.testing.assert_allclose(proj.bias.grad, b_grad[index * d:(index + 1) * d], rtol=0, atol=1e-9,
                                   err_msg=f"projection {index} bias gradient")
    np.testing.assert_allclose(ours.out_proj.weight.grad, theirs.out_proj.weight.grad.numpy().T, atol=1e-9,
                               err_msg="out_proj weight gradient")
    np.testing.assert_allclose(ours.out_proj.bias.grad, theirs.out_proj.bias.grad.numpy(), atol=1e-9,
                               err_msg="out_proj bias gradient")


@pytest.mark.parametrize("causal", [False, True])
def test_multi_head_attention_matches_torch(float64, causal):
    torch = pytest.importorskip("torch", reason="PyTorch is the reference; CI installs torch==2.13.0")
    B, T, D, H = 3, 7, 10, 2
    rng = np.random.default_rng(7)
    x_np, upstream = rng.standard_normal((B, T, D)), rng.standard_normal((B, T, D))
    lengths = np.array([7, 4, 6])
    pad = np.arange(T)[None, :] >= lengths[:, None]  # right padding: every query keeps a real key

    ours = nn.MultiHeadAttention(D, H, causal=causal)
    x = Tensor(x_np.copy(), requires_grad=True)
    out, weights = ours(x, key_padding_mask=pad, need_weights=True)
    (out * upstream).sum().backward()

    theirs = torch.nn.MultiheadAttention(D, H, batch_first=True, dtype=torch.float64)
    copy_attention_to_torch(ours, theirs, torch)
    x_t = torch.from_numpy(x_np.copy()).requires_grad_()
    causal_mask = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1) if causal else None
    out_t, weights_t = theirs(x_t, x_t, x_t, key_padding_mask=torch.from_numpy(pad), attn_mask=causal_mask,
                              need_weights=True, average_attn_weights=False)
    (out_t * torch.from_numpy(upstream)).sum().backward()

    np.testing.assert_allclose(out.data, out_t.detach().numpy(), rtol=0, atol=1e-9, err_msg="output")
    np.testing.assert_allclose(weights.data, weights_t.detach().numpy(), rtol=0, atol=1e-9, err_msg="weights")
    np.testing.assert_allclose(x.grad, x_t.grad.numpy(), rtol=0, atol=1e-9, err_msg="input gradient")
    assert_attention_gradients_match(ours, theirs)


def test_attention_checks_masks_and_head_counts(float64):
    x = random_tensor((2, 4, 3), seed=8)
    with pytest.raises(ValueError, match=r"key_padding_mask: expected a bool array \(batch, 4\)"):
        scaled_dot_product_attention(x, x, x, key_padding_mask=np.zeros((2, 4), dtype=int))
    with pytest.raises(ValueError, match="d_model=6 is not divisible by n_heads=4"):
        nn.MultiHeadAttention(6, 4)


def test_causal_mask_with_a_query_offset_by_hand():
    """Two new queries after 3 cached keys sit at positions 3 and 4: they see keys 0..3 and 0..4."""
    mask = attention_mask(2, 5, causal=True, query_offset=3)
    assert mask.tolist() == [[False, False, False, False, True], [False, False, False, False, False]]
    assert np.array_equal(attention_mask(4, 4, causal=True), np.triu(np.ones((4, 4), dtype=bool), k=1))


@pytest.mark.parametrize("n_heads", [1, 3])
def test_cached_attention_equals_the_full_causal_attention(float64, n_heads):
    """A prompt of 4 tokens in one go, then one token at a time: every output equals the uncached one."""
    attention = nn.MultiHeadAttention(6, n_heads, causal=True)
    x = random_tensor((2, 9, 6), seed=10, requires_grad=False)
    full, full_weights = attention(x, need_weights=True)  # (2, 9, 6), (2, H, 9, 9)
    cache = KVCache(batch_size=2, n_heads=n_heads, max_len=11, d_head=6 // n_heads)
    keys_buffer = cache.keys
    with no_grad():
        outputs = [attention(Tensor(x.data[:, :4]), cache=cache).data]  # prefill: positions 0..3
        for t in range(4, 9):
            out, weights = attention(Tensor(x.data[:, t:t + 1]), cache=cache, need_weights=True)
            assert cache.length == t + 1 and weights.shape == (2, n_heads, 1, t + 1)
            np.testing.assert_allclose(weights.data[:, :, 0], full_weights.data[:, :, t, :t + 1], rtol=0, atol=1e-12)
            outputs.append(out.data)
    np.testing.assert_allclose(np.concatenate(outputs, axis=1), full.data, rtol=0, atol=1e-12)
    assert cache.keys is keys_buffer and cache.keys.shape == (2, n_heads, 11, 6 // n_heads)  # written in place
    expected_keys = x.data @ attention.k_proj.weight.data + attention.k_proj.bias.data  # (2, 9, 6)
    np.testing.assert_allclose(cache.keys[:, :, :9], expected_keys.reshape(2, 9, n_heads, -1).transpose(0, 2, 1, 3),
                               rtol=0, atol=1e-12)


def test_cached_attention_with_left_padding_masks_every_key_so_far(float64):
    """With a cache, key_padding_mask covers all keys so far (B, T_cached + T); real positions match."""
    attention = nn.MultiHeadAttention(6, 2, causal=True)
    x = random_tensor((2, 7, 6), seed=11, requires_grad=False)
    pad = np.array([[True, True, False, False, False, False, False], [False] * 7])  # row 0 left-padded by 2
    full = attention(x, key_padding_mask=pad).data  # (2, 7, 6)
    cache = KVCache(batch_size=2, n_heads=2, max_len=7, d_head=3)
    with no_grad():
        outputs = [attention(Tensor(x.data[:, :3]), key_padding_mask=pad[:, :3], cache=cache).data]
        for t in range(3, 7):
            outputs.append(attention(Tensor(x.data[:, t:t + 1]), key_padding_mask=pad[:, :t + 1], cache=cache).data)
    cached = np.concatenate(outputs, axis=1)
    np.testing.assert_allclose(cached[0, 2:], full[0, 2:], rtol=0, atol=1e-12)  # a padded query's row is ignored
    np.testing.assert_allclose(cached[1], full[1], rtol=0, atol=1e-12)


def test_kv_cache_refuses_what_it_cannot_hold(float64):
    cache = KVCache(batch_size=1, n_heads=2, max_len=5, d_head=3)
    k = Tensor(np.ones((1, 2, 4, 3)))
    cache.append(k, k)
    with pytest.raises(ValueError, match=r"KVCache is full: 4 cached \+ 2 new positions exceed max_len=5"):
        cache.append(Tensor(np.ones((1, 2, 2, 3))), Tensor(np.ones((1, 2, 2, 3))))
    assert cache.length == 4  # the refused keys were not written
    with pytest.raises(ValueError, match=r"expected keys and values \(batch=1, heads=2, T_new, d_head=3\)"):
        cache.append(Tensor(np.ones((2, 2, 1, 3))), Tensor(np.ones((2, 2, 1, 3))))  # would broadcast silently
    with pytest.raises(ValueError, match="of float64"):
        cache.append(Tensor(np.ones((1, 2, 1, 3), dtype=np.float32)), Tensor(np.ones((1, 2, 1, 3), dtype=np.float32)))
    attention = nn.MultiHeadAttention(6, 2, causal=True)
    with pytest.raises(RuntimeError, match="under no_grad"):  # a gradient would silently miss the cached keys
        attention(random_tensor((1, 1, 6), seed=1), cache=KVCache(1, 2, 5, 3))
    with pytest.raises(ValueError, match="KVCache needs causal=True"):
        nn.MultiHeadAttention(6, 2)(random_tensor((1, 1, 6), seed=1), cache=KVCache(1, 2, 5, 3))
