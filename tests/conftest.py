"""Fixtures shared by the test files."""

import pytest

import minishop

# One BLAS thread for the whole suite: the tests' matmuls are small, and on a shared 2-core machine (CI, a
# laptop running other work) a 2-thread OpenBLAS runs them up to 10x slower (minishop.set_num_threads).
minishop.set_num_threads(1)


@pytest.fixture
def float64():
    """Gradient checks and comparisons with PyTorch need float64: set it (and seed 0) for one test, then
    restore the previous default dtype."""
    previous = minishop.default_dtype()
    minishop.set_default_dtype("float64")
    minishop.manual_seed(0)
    yield
    minishop.set_default_dtype(previous)
