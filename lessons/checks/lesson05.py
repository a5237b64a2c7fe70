"""Checks of lesson 5 (self-attention), and the library fallbacks of the pieces the learner writes.

The learner's pieces take and return minishop Tensors, written with Tensor methods (`x.exp()`,
`x.max(axis=-1, keepdims=True)`, `q @ k.transpose(...)`, `scores.masked_fill(mask, MASKED_SCORE)`), so
that gradients flow through them and lesson 8 can train a model built from them. Each check compares
the output AND the gradient with minishop's, on seeded inputs whose dimensions all differ (a swapped
axis fails) and that are numerically hard (scores in the thousands overflow a softmax without its shift).

Pieces saved for later lessons (name: signature):
    softmax(x, axis=-1)                                  -> Tensor like x
    causal_mask(T)                                        -> bool array (T, T), True where j > i (forbidden)
    padding_mask(lengths, T)                              -> bool array (B, T), True at the left padding
    attention(q, k, v, mask=None)                         -> (..., Tq, dv); mask bool, True = forbidden
    split_heads(x, n_heads) (B, T, D) -> (B, H, T, D/H);  merge_heads(x) (B, H, T, d) -> (B, T, H*d)
    multi_head_attention(x, params, n_heads, mask=None)   -> (B, T, D); params {"q": (W, b), "k", "v", "o"}
"""

import math

import numpy as np

import minishop
import minishop.functional as F
from minishop import Tensor
from minishop.nn.attention import MASKED_SCORE, attention_mask, seed_attention

from . import check_function, quiz, register
from .tensor_cases import tensor_case

LESSON = "lesson05"
register("softmax", 2, ("Softmax normalises along ONE axis; every row of the result sums to 1.",
                        "e^1000 overflows. Softmax does not change when you subtract the same number from a "
                        "whole row; which number keeps every exponent at or below 0?",
                        "Use Tensor methods only (.max with keepdims, .exp, .sum with keepdims), so gradients flow."),
         LESSON)
register("seed_attention", 1, ("Three steps: scores, then weights (a softmax per row), then a weighted sum of rows.",
                               "The scale is the square root of the FEATURE dimension, the last axis of X.",
                               "Use your softmax on the scores; the output has the shape of X."), LESSON)
register("causal_mask", 1, ("True means forbidden: query i may not see key j when j comes after i.",
                            "A position always sees itself: the diagonal is allowed.",
                            "np.triu has an argument k that shifts the diagonal."), LESSON)
register("padding_mask", 1, ("Left padding: a sequence of length n fills the LAST n positions.",
                             "Compare a row of positions 0..T-1 with a column of first-real-positions, by broadcasting."),
         LESSON)
register("attention", 3, ("softmax(Q Kᵀ / √d) V, with d the size of a query vector (the last axis), not the length T.",
                          "Swap only the LAST two axes of k, so leading batch or head axes stay put.",
                          "Apply the mask to the scores BEFORE the softmax with masked_fill and MASKED_SCORE "
                          "(a finite number: -inf makes a fully masked row NaN)."), LESSON)
register("split_heads", 1, ("Reshape (B, T, D) into (B, T, H, D/H) first: each position's vector is cut in H slices.",
                            "Then move the head axis in front of the time axis; a reshape alone mixes positions."),
         LESSON)
register("merge_heads", 1, ("Undo split_heads in reverse order: first put the time axis back before the heads.",
                            "Then reshape to (B, T, H * d_head)."), LESSON)
register("multi_head_attention", 3, ("Project x to q, k, v with x @ W + b, split each into heads, attend, merge, project.",
                                     "The mask (..., T, T) broadcasts over the head axis if you give it one: mask[:, None].",
                                     "The head width is D // n_heads: use your split_heads and merge_heads."), LESSON)
register("quiz 05", 3, ("Each answer is in one section of the lesson: scaling (2), masks (4-5), heads (6).",), LESSON)

rng = np.random.default_rng(5)  # seeded: every run checks the same inputs


# ------------------------------------------------------------------------------------ library fallbacks


def library_softmax(x, axis=-1):
    return F.softmax(x, axis=axis)


def library_causal_mask(T):
    mask = attention_mask(T, T, causal=True)  # None when nothing is masked (T = 1)
    return np.zeros((T, T), dtype=bool) if mask is None else mask


def library_padding_mask(lengths, T):
    return np.arange(T)[None, :] < T - np.asarray(lengths)[:, None]


def library_attention(q, k, v, mask=None):
    scores = q @ k.transpose(*range(k.ndim - 2), k.ndim - 1, k.ndim - 2) * (1.0 / math.sqrt(q.shape[-1]))
    if mask is not None:
        scores = scores.masked_fill(mask, MASKED_SCORE)
    return F.softmax(scores, axis=-1) @ v


def library_split_heads(x, n_heads):
    B, T, D = x.shape
    return x.reshape(B, T, n_heads, D // n_heads).transpose(0, 2, 1, 3)


def library_merge_heads(x):
    B, H, T, d = x.shape
    return x.transpose(0, 2, 1, 3).reshape(B, T, H * d)


def library_multi_head_attention(x, params, n_heads, mask=None):
    q, k, v = (library_split_heads(x @ params[n][0] + params[n][1], n_heads) for n in "qkv")
    mask = None if mask is None else np.asarray(mask)[:, None] if np.ndim(mask) == 3 else mask
    out = library_merge_heads(library_attention(q, k, v, mask))
    return out @ params["o"][0] + params["o"][1]


def mha_params(layer):
    """The learner's params dict from a minishop MultiHeadAttention layer (weights stored (in, out))."""
    return {n: (p.weight, p.bias) for n, p in
            zip("qkvo", (layer.q_proj, layer.k_proj, layer.v_proj, layer.out_proj))}


# ------------------------------------------------------------------------------------------ the checks


def check_softmax(softmax):
    hard = rng.standard_normal((2, 5, 7))
    cases = [tensor_case(library_softmax, [hard]),
             tensor_case(library_softmax, [hard * 1000.0 + 100.0]),  # overflows without the shift
             tensor_case(library_softmax, [rng.standard_normal((3, 4)) * 30.0], kwargs={"axis": 0})]
    return check_function("softmax", softmax, cases)


def check_seed_attention(seed_attention_fn):
    cases = [((Tensor(x),), seed_attention(Tensor(x)).numpy()) for x in
             (rng.standard_normal(shape) for shape in [(3, 4), (5, 8), (7, 2)])]
    return check_function("seed_attention", seed_attention_fn, cases, atol=1e-8)


def check_causal_mask(causal_mask):
    return check_function("causal_mask", causal_mask, [((T,), library_causal_mask(T)) for T in (1, 5, 7)])


def check_padding_mask(padding_mask):
    cases = [(([6, 3], 6), library_padding_mask([6, 3], 6)),
             (([1, 4, 0, 5], 5), library_padding_mask([1, 4, 0, 5], 5))]
    return check_function("padding_mask", padding_mask, cases)


def check_attention(attention):
    B, Tq, Tk, d, dv = 2, 5, 7, 4, 6  # all different: a swapped axis or √T instead of √d fails
    q, k, v = rng.standard_normal((B, Tq, d)), rng.standard_normal((B, Tk, d)), rng.standard_normal((B, Tk, dv))
    padded = np.zeros((B, Tk), dtype=bool)
    padded[1, :4] = True  # the second sequence is left-padded
    mask = attention_mask(Tk, Tk, causal=True, key_padding_mask=padded, score_ndim=3)  # (B, Tk, Tk)
    cases = [tensor_case(library_attention, [q, k, v]),
             tensor_case(library_attention, [k[:, :, :d] * 3, k * 3, v], extra=(mask,)),  # row 0 fully masked
             tensor_case(library_attention, [q[None], k[None], v[None]])]  # an extra leading (head) axis
    return check_function("attention", attention, cases)


def check_split_heads(split_heads):
    x = rng.standard_normal((2, 5, 12))
    return check_function("split_heads", split_heads,
                          [tensor_case(library_split_heads, [x], extra=(3,)),
                           tensor_case(library_split_heads, [x], extra=(4,))])


def check_merge_heads(merge_heads):
    return check_function("merge_heads", merge_heads,
                          [tensor_case(library_merge_heads, [rng.standard_normal((2, 3, 5, 4))])])


def check_multi_head_attention(multi_head_attention):
    B, T, D, H = 2, 5, 12, 3
    minishop.manual_seed(5)
    layer = minishop.nn.MultiHeadAttention(D, H, causal=True)
    x = rng.standard_normal((B, T, D))
    padded = np.zeros((B, T), dtype=bool)
    padded[0, :2] = True
    mask = attention_mask(T, T, causal=True, key_padding_mask=padded, score_ndim=3)  # (B, T, T)
    expected = layer(Tensor(x), key_padding_mask=padded).numpy()  # minishop's layer, same weights
    params = mha_params(layer)
    return check_function("multi_head_attention", multi_head_attention,
                          [((Tensor(x), params, H), {"mask": mask}, expected),
                           tensor_case(library_multi_head_attention, [x[:, :4]], extra=(params, 4))],
                          atol=1e-5)


QUIZ = {"1": "b", "2": "c", "3": "a"}


def check_quiz(answers):
    """1: why divide by √d? (a) to make scores positive (b) to keep their variance near 1, so the softmax
    does not saturate (c) to normalise the rows.  2: a fully masked row with -inf gives (a) zeros (b) a
    uniform row (c) NaN.  3: with H heads of width D/H, the number of attention weights per sequence is
    (a) H·T² (b) T² (c) H·T."""
    return quiz("quiz 05", answers, QUIZ)
