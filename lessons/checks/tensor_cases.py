"""Check cases for functions on minishop Tensors: the output AND the gradients must match a reference.

A learner's piece that lesson 8 will train must keep the graph: it has to return a Tensor built from
its inputs by Tensor operations, and send back the same gradients as the library's version.
`tensor_case(reference, arrays, extra=(), kwargs=None)` makes a `check_function` case that tests all three.
"""

import numpy as np

from minishop import Tensor

from . import as_array

rng = np.random.default_rng(6)  # the random upstream gradients: seeded, so every run checks the same


def tensor_case(reference, arrays, extra=(), kwargs=None):
    """A check_function case: Tensors that require grad, and an `expected` that compares the learner's
    output and the gradients it sends back with those of `reference` on copies of the same inputs."""
    kwargs = kwargs or {}
    inputs = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    want = reference(*theirs, *extra, **kwargs)
    weights = rng.standard_normal(want.shape)  # a random upstream gradient: every output element matters
    (want * Tensor(weights)).sum().backward()

    def expected(got):
        problem = compare(got, want.numpy(), "output")
        if problem:
            return problem
        if not isinstance(got, Tensor) or not got.requires_grad:
            return ("returned no Tensor connected to its inputs: use Tensor methods only (no .numpy(), no np.*), "
                    "so that gradients can flow back")
        (got * Tensor(weights)).sum().backward()
        for number, (mine, ref) in enumerate(zip(inputs, theirs), start=1):
            problem = compare(mine.grad if mine.grad is not None else np.zeros(mine.shape), ref.grad,
                               f"gradient of input {number}")
            if problem:
                return problem
        return None
    return tuple(inputs) + tuple(extra), kwargs, expected


def compare(got, want, what, atol=1e-8, rtol=1e-6):
    """None when `got` matches `want`; else a sentence saying what differs (shape, non-finite, worst element)."""
    got, want = as_array(got), as_array(want)
    if got.shape != want.shape:
        return f"the {what} has shape {got.shape}, expected {want.shape}"
    if not np.all(np.isfinite(got)) and np.all(np.isfinite(want)):
        return f"the {what} has a non-finite value (inf or NaN): an exponent overflowed, or a row was all -inf"
    if not np.allclose(got, want, atol=atol, rtol=rtol):
        worst = np.unravel_index(int(np.argmax(np.abs(got - want))), got.shape)
        return f"the {what} differs: at index {tuple(int(i) for i in worst)} expected {want[worst]:.6g}, got {got[worst]:.6g}"
    return None
