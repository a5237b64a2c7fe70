"""Checks for lesson 11 (from NumPy to CuPy).

The device-agnostic cosine similarity is called on `StrictArray`s — arrays that refuse every NumPy function,
as CuPy arrays do — with `backend.get_array_module` answering the strict module for them, so code that
writes `np.` where it should write `xp.` fails here on a CPU exactly as it would fail on a GPU.
The transfer cost and the FLOP count are checked against their definitions, in SI units.
"""

import contextlib
import types

import numpy as np

from minishop import backend

from . import StrictArray, check_close, check_function, quiz, strict_xp


class _StrictModule:
    """strict_xp plus `linalg.norm`, so that both `xp.linalg.norm` and `xp.sqrt((A * A).sum(...))` work."""

    def __getattr__(self, name):
        return getattr(strict_xp, name)

    linalg = types.SimpleNamespace(
        norm=lambda x, axis=None, keepdims=False: strict_xp.sqrt((x * x).sum(axis=axis, keepdims=keepdims)))


STRICT_XP = _StrictModule()


@contextlib.contextmanager
def strict_arrays():
    """Inside: backend.get_array_module(a StrictArray) is the strict module (as it would be CuPy for a CuPy array)."""
    original = backend.get_array_module
    backend.get_array_module = lambda array: STRICT_XP if isinstance(array, StrictArray) else original(array)
    try:
        yield
    finally:
        backend.get_array_module = original


def _cosine_reference(A, B):
    return np.array([[a @ b / (np.sqrt(a @ a) * np.sqrt(b @ b)) for b in B] for a in A])


def check_cosine_similarity(cosine_similarity):
    """(N, M) cosines against a loop of dot products, called on arrays that refuse NumPy's functions."""
    rng = np.random.default_rng(110)
    A, B = rng.standard_normal((4, 6)), rng.standard_normal((5, 6))

    def on_device(A, B):
        with strict_arrays():
            result = cosine_similarity(StrictArray(A), StrictArray(B))
        if result is not None and not isinstance(result, StrictArray):
            raise AssertionError("the result left the device: return the xp array itself (no np.asarray, "
                                 "no .get() inside the function)")
        return result

    return check_function(
        "cosine_similarity", on_device,
        [((A, B), _cosine_reference(A, B)), ((A[:1] * 10, A[:1]), np.ones((1, 1)))],
        points=3, atol=1e-9, rtol=1e-7,
        hints=("The inputs here behave like GPU arrays: every np.<function> on them fails. Ask minishop's backend "
               "for the array module of the input (get_array_module) and call only its functions.",
               "Divide each row of A and of B by its length (the square root of the sum of its squares, "
               "keepdims=True), then one matrix product with a transpose gives all N × M cosines."),
    )


SCORES_ELEMENTS = 128 * 50 * 23_716  # the (B, T, V) float32 scores of exercise 2


def check_megabytes(megabytes):
    """The float32 (128, 50, 23716) scores in MB (10^6 bytes)."""
    return check_close("megabytes", megabytes, 4 * SCORES_ELEMENTS / 1e6, points=1, rtol=1e-3,
                       hints=("A float32 number takes 4 bytes, and MB here means 10^6 bytes (not 2^20).",))


def check_milliseconds(milliseconds):
    """The time to copy those scores over PCIe at 25 GB/s (25 × 10^9 bytes/s), in milliseconds."""
    return check_close("milliseconds", milliseconds, 1e3 * 4 * SCORES_ELEMENTS / 25e9, points=1, rtol=1e-3,
                       hints=("Time = bytes / (25 × 10^9 bytes per second); a millisecond is 10^-3 s.",))


def check_attention_score_flops(attention_score_flops):
    """2·B·H·T·T·d_head, the multiply-adds of Q Kᵀ, on sizes that all differ."""
    cases = [(128, 1, 50, 50), (3, 4, 7, 5), (2, 8, 33, 16)]
    return check_function(
        "attention_score_flops", attention_score_flops,
        [(case, 2 * case[0] * case[1] * case[2] * case[2] * case[3]) for case in cases],
        points=2, atol=0, rtol=0,
        hints=("A product of an (n × k) and a (k × m) matrix has n·m entries, each a dot product of length k: "
               "k multiplications and k additions.",
               "Here n = m = T and k = d_head, and there is one such product per sequence and per head."),
    )


def check_quiz(answers):
    """Lesson 11's quiz: one letter per question."""
    return quiz("quiz11", answers, {1: "b", 2: "c", 3: "a"}, points=2,
                hints=("Each question matches a section: device-agnostic code (2), what changes on a GPU (3), "
                       "timing (4).",))
