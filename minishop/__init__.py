"""minishop: a small transformer language model for e-commerce, written from scratch over NumPy/CuPy."""

from minishop.backend import (
    backend_name,
    default_dtype,
    manual_seed,
    set_backend,
    set_default_dtype,
    to_numpy,
)

__version__ = "0.1.0"
