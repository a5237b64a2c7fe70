"""TextLM: key/value-cache equivalence, generation rules, and overfitting a tiny batch."""

import numpy as np
import pytest

import minishop
from minishop import no_grad
from minishop.nn import Transformer
from minishop.text.lm import TextLM
from minishop.optim import Adam

VOCAB, MAX_LEN = 37, 19


def _model(n_heads=3, seed=0):
    minishop.manual_seed(seed)
    return TextLM(VOCAB, d_model=12, n_blocks=2, n_heads=n_heads, max_len=MAX_LEN, dropout=0.1).eval()


def _post_ln(model):
    """The same TextLM with post-LN blocks (TextLM itself is pre-LN): the cache must not care."""
    config = model.config
    minishop.manual_seed(1)
    model.transformer = Transformer(VOCAB, config["d_model"], config["n_blocks"], config["n_heads"], MAX_LEN,
                                    dropout=0.1, norm_first=False)
    return model.eval()


@pytest.mark.parametrize("n_heads", [1, 3])
@pytest.mark.parametrize("norm_first", [True, False], ids=["pre-LN", "post-LN"])
def test_cached_logits_equal_full_forward_at_every_step(float64, n_heads, norm_first):
    model = _model(n_heads) if norm_first else _post_ln(_model(n_heads))
    ids = np.random.default_rng(1).integers(0, VOCAB, size=(2, 13))
    full = model(ids).data  # (2, 13, V), no cache
    cache = model.new_cache(batch_size=2)
    with no_grad():
        chunks = [model(ids[:, :5], cache=cache).data]  # the prompt in one go
        for t in range(5, 13):  # then one token per step
            chunks.append(model(ids[:, t : t + 1], cache=cache).data)
            assert cache[0].length == t + 1 and cache[0].keys.shape == (2, n_heads, MAX_LEN, 12 // n_heads)
    np.testing.assert_allclose(np.concatenate(chunks, axis=1), full, rtol=0, atol=1e-12)


@pytest.mark.parametrize("norm_first", [True, False], ids=["pre-LN", "post-LN"])
def test_cached_and_uncached_generation_are_identical(float64, norm_first):
    model = _model() if norm_first else _post_ln(_model())
    for options in (dict(greedy=True), dict(temperature=1.3, top_k=8, seed=4), dict(top_p=0.9, seed=7)):
        with_cache = model.generate([3, 1, 4], max_new_tokens=12, use_cache=True, **options)
        without = model.generate([3, 1, 4], max_new_tokens=12, use_cache=False, **options)
        assert with_cache == without and len(with_cache) == 12


def test_greedy_generation_follows_the_argmax_of_the_full_model(float64):
    model = _model()
    generated = model.generate([5, 9], max_new_tokens=6, greedy=True)
    ids = [5, 9]
    for token in generated:
        assert token == int(np.argmax(model(np.array([ids])).data[0, -1]))
        ids.append(token)


def test_generation_stops_at_eos_and_at_max_len():
    model = _model()
    first = model.generate([2, 6], max_new_tokens=1, greedy=True)[0]
    assert model.generate([2, 6], max_new_tokens=10, greedy=True, eos_id=first) == []
    long_prompt = list(range(17))
    assert len(model.generate(long_prompt, max_new_tokens=10, seed=0)) == MAX_LEN - 17
    with pytest.raises(ValueError, match=f"sequence length {MAX_LEN + 1} exceeds max_len={MAX_LEN}"), no_grad():
        model(np.zeros((1, MAX_LEN + 1), dtype=np.int64), cache=model.new_cache())


def test_sampling_is_seeded():
    model = _model()
    a = model.generate([1], max_new_tokens=15, seed=11)
    assert a == model.generate([1], max_new_tokens=15, seed=11)
    assert a != model.generate([1], max_new_tokens=15, seed=12)


def test_overfits_a_tiny_batch_to_near_zero_loss():
    minishop.manual_seed(3)
    model = TextLM(23, d_model=32, n_blocks=2, n_heads=2, max_len=12, dropout=0.0)
    pad = 0
    # distinct first tokens, so every next token is determined by its prefix and the loss can reach ~0
    batch = np.array([[16, 5, 9, 7, 3, 8, 2, 0, 0], [17, 4, 4, 6, 11, 2, 0, 0, 0], [18, 15, 13, 12, 14, 10, 9, 7, 2]])
    optimizer = Adam(model.parameters(), lr=3e-3)
    first = None
    for _ in range(150):
        optimizer.zero_grad()
        loss = model.loss(batch, pad_id=pad)
        loss.backward()
        optimizer.step()
        first = first if first is not None else loss.item()
    assert first > 2.5 and loss.item() < 0.05
