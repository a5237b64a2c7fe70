"""Fixtures shared by the test files."""

import pytest

import minishop


@pytest.fixture
def float64():
    """Gradient checks and comparisons with PyTorch need float64: set it (and seed 0) for one test, then
    restore the previous default dtype."""
    previous = minishop.default_dtype()
    minishop.set_default_dtype("float64")
    minishop.manual_seed(0)
    yield
    minishop.set_default_dtype(previous)
