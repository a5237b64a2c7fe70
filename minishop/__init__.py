"""minishop: a small transformer recommender / language model for e-commerce, from scratch over NumPy/CuPy.

The engine in four files, read in this order:
  backend.py     which array library (NumPy or CuPy), default dtype, seeded random numbers
  tensor.py      Tensor + reverse-mode autodiff: each op records its local derivative; backward()
                 applies the chain rule from the loss to the inputs in reverse topological order
  functional.py  fused ops (softmax, layer_norm, cross_entropy, ...) with hand-derived gradients
  gradcheck.py   checks every gradient against finite differences
"""

from minishop import _malloc  # noqa: F401  (tunes glibc malloc once, at import; see _malloc.py)
from minishop import backend
from minishop.backend import (
    backend_name,
    default_dtype,
    manual_seed,
    set_backend,
    set_default_dtype,
    set_num_threads,
    to_numpy,
)
from minishop.tensor import Tensor, is_grad_enabled, no_grad
from minishop import functional
from minishop.function import Function
from minishop.gradcheck import GradcheckResult, gradcheck

__version__ = "0.1.0"
