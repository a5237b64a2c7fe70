"""Choosing the next token: greedy, temperature, top-k and top-p (nucleus) sampling.

A language model gives logits z over the vocabulary for the next token. How we turn them into a choice
decides whether the text is dull, lively, or nonsense:

- greedy:       always the argmax. Deterministic; tends to repeat itself.
- temperature:  p = softmax(z / T). T < 1 sharpens the distribution (safer), T > 1 flattens it (wilder).
- top-k:        keep the k most probable tokens, renormalise, sample (Fan et al. 2018).
- top-p:        keep the smallest set of most probable tokens whose total probability reaches p,
                renormalise, sample (the "nucleus"; Holtzman et al. 2020). Adapts to how sure the model is:
                one token when it is certain, many when it is not.

All of this runs on the host with NumPy: one row of V numbers per step is tiny, and a host Generator
seeded by the caller makes generation reproducible whatever the array backend.
"""

from minishop import backend

np = backend.np


def softmax(logits):
    """softmax over a host vector, computed stably (subtract the max first)."""
    shifted = logits - logits.max()
    e = np.exp(shifted)
    return e / e.sum()


def top_k_mask(logits, k):
    """Bool mask over the vocabulary: True for the k highest logits (ties at the boundary broken by index)."""
    if k is None or k >= logits.shape[-1]:
        return np.ones(logits.shape, dtype=bool)
    if k < 1:
        raise ValueError(f"top_k={k}: expected an integer >= 1")
    keep = np.argsort(-logits, kind="stable")[:k]  # indices of the k largest
    mask = np.zeros(logits.shape, dtype=bool)
    mask[keep] = True
    return mask


def top_p_mask(probs, p):
    """Bool mask: the smallest set of most probable tokens whose probabilities sum to at least p.

    The most probable token is always kept, so the set is never empty.
    """
    if p is None or p >= 1.0:
        return np.ones(probs.shape, dtype=bool)
    if not 0.0 < p:
        raise ValueError(f"top_p={p}: expected a number in (0, 1]")
    order = np.argsort(-probs, kind="stable")  # most probable first
    cumulative = np.cumsum(probs[order])  # (V,)
    n_keep = int(np.searchsorted(cumulative, p) + 1)  # first position where the running total reaches p
    mask = np.zeros(probs.shape, dtype=bool)
    mask[order[:n_keep]] = True
    return mask


def next_token_probs(logits, temperature=1.0, top_k=None, top_p=None):
    """The distribution to sample the next token from: temperature, then top-k, then top-p, renormalised.

    logits: host vector (V,). Returns probabilities (V,) that are exactly 0 outside the kept set.
    """
    if temperature <= 0:
        raise ValueError(f"temperature={temperature}: expected > 0 (use greedy=True for argmax decoding)")
    logits = np.asarray(logits, dtype=np.float64) / temperature
    keep = top_k_mask(logits, top_k)
    probs = softmax(np.where(keep, logits, -np.inf))  # exp(-inf) = 0 outside the top k
    keep &= top_p_mask(probs, top_p)
    probs = np.where(keep, probs, 0.0)
    return probs / probs.sum()


def choose_next_token(logits, rng, greedy=False, temperature=1.0, top_k=None, top_p=None):
    """One token id from host logits (V,): the argmax when greedy, else a draw with `rng`."""
    if greedy:
        return int(np.argmax(logits))
    probs = next_token_probs(logits, temperature, top_k, top_p)
    return int(rng.choice(probs.shape[0], p=probs))
