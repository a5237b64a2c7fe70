"""minishop: a small transformer recommender / language model for e-commerce, from scratch over NumPy/CuPy.

The engine, read in this order:
  backend.py     which array library (NumPy or CuPy), default dtype, seeded random numbers
  tensor.py      Tensor + reverse-mode autodiff: each op beside its local derivative; backward()
                 applies the chain rule from the loss to the inputs in reverse topological order
  functional.py  fused ops (softmax, layer_norm, cross_entropy, ...) with hand-derived gradients
  fused_cross_entropy.py  the softmax over a large catalogue fused with its scores (F.linear_cross_entropy)
  gradcheck.py   checks every gradient against finite differences
  arrays.py      fast array kernels with no graph (BLAS sums, scatter-add), each beside its plain reading
  function.py    your own op: `Function`, forward and backward on plain arrays, checked with gradcheck

Then the packages, each one idea: nn (layers, attention, transformer), optim, tokenizers, data, eval,
recsys (the sequential recommender), text (language tasks). Around them, what a training run needs:
  checkpoint.py  weights, optimizer state and config in one safetensors file, written atomically
  train.py       the one training loop every task shares
  distributed.py data-parallel training over processes (MPI between CPUs, NCCL between GPUs)
  config.py      settings as dataclasses, and the command-line flags made from them
  runs.py        run folders: config.json first, checkpoints as training goes, results.json last
  export.py      a trained model's weights for PyTorch;  plots.py  a PNG of a run
  cli.py         the `minishop` command

`import minishop` is light and changes nothing global: the packages load on first use
(`minishop.data.prepare` works after a bare `import minishop`), and the process-wide speed settings
(`backend.set_num_threads`, `backend.tune_malloc`) are called by the command line and the training loop.
The one exception is the environment: MINISHOP_BACKEND=cupy selects CuPy, and so imports it, at import.
"""

import importlib

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

# Loaded on first access (as NumPy and PyTorch do), so `import minishop` does not pull in pandas & co.
_SUBMODULES = (
    "arrays", "fused_cross_entropy", "nn", "optim", "tokenizers", "data", "eval", "recsys", "text",
    "checkpoint", "train", "distributed", "config", "runs", "export", "plots", "cli",
)


def load_run(path, device=None):
    """A trained recommender from a run folder of `minishop train`: .recommend(user= / history=), .score(...)
    on raw item ids (minishop.recsys.inference)."""
    from minishop.recsys.inference import load_run as load

    return load(path, device)


def __getattr__(name):
    """minishop.<package> for the packages above: import it now (later lookups find it directly)."""
    if name in _SUBMODULES:
        return importlib.import_module(f"minishop.{name}")
    raise AttributeError(f"module 'minishop' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SUBMODULES))
