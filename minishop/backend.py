"""The array backend: NumPy on a CPU, CuPy on a GPU, with no change to the code.

Two names, and only these two, say which NumPy you mean:

    backend.xp()    the ACTIVE array module: numpy, or cupy after set_backend("cupy"). Library code makes
                    and computes its arrays with it, so the same code runs on a CPU or a GPU.
    backend.np      HOST NumPy, whatever the backend: loading data, tokenizing text, building index
                    arrays before `asarray()` sends them to the device.

    from minishop import backend
    xp = backend.xp()
    x = xp.zeros((3, 4), dtype=backend.default_dtype())

(`get_array_module(x)` answers a different question: which of the two modules an array `x` belongs to.)
This is the only file in `minishop/` that imports NumPy directly.

Three pieces of global state live here and nowhere else:

- which array module is active (`set_backend`, or the MINISHOP_BACKEND environment variable);
- the default floating dtype for new parameters (float32 for training, float64 for gradient checks);
- one seeded random generator per backend (`manual_seed`), so runs are reproducible.

Two process-wide speed settings live here too, and both are OPT-IN: importing minishop changes nothing
global, and the `minishop` command and the training loop call them. `set_num_threads` limits BLAS
threads; `tune_malloc` keeps glibc from returning large freed arrays to the kernel.
"""

import ctypes
import ctypes.util
import os
import sys
import warnings

import numpy as np  # host NumPy (see the module docstring); the active module is xp()

_BACKENDS = ("numpy", "cupy")
_DTYPES = ("float32", "float64")

_state = {
    "name": "numpy",
    "xp": np,
    "dtype": np.float32,
    "rng": None,  # created lazily by rng(), reset by manual_seed()
    "seed": None,
    "malloc_tuned": False,  # set by tune_malloc()
}


def _load_cupy():
    """Import CuPy and check that a GPU is really there; fail with a clear message otherwise."""
    try:
        import cupy
    except ImportError as error:
        raise RuntimeError(
            "minishop backend 'cupy' was requested but the cupy package is not installed "
            f"({error}). Install it with: pip install 'minishop[gpu]' (cupy-cuda12x), "
            "or use the default backend 'numpy'."
        ) from error
    try:
        n_devices = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # CUDA driver missing, no device, ...
        raise RuntimeError(
            "minishop backend 'cupy' was requested and cupy is installed, but no usable CUDA GPU "
            f"was found ({type(error).__name__}: {error}). Use the default backend 'numpy'."
        ) from error
    if n_devices == 0:
        raise RuntimeError(
            "minishop backend 'cupy' was requested but CUDA reports 0 GPU devices. "
            "Use the default backend 'numpy'."
        )
    return cupy


def set_backend(name):
    """Choose the array library: "numpy" (default) or "cupy".

    Call it before creating tensors or models: arrays made under one backend are not
    converted when you switch.
    """
    if name not in _BACKENDS:
        raise ValueError(f"set_backend(name={name!r}): expected one of {_BACKENDS}")
    _state["xp"] = _load_cupy() if name == "cupy" else np
    _state["name"] = name
    _state["rng"] = None
    if _state["seed"] is not None:
        manual_seed(_state["seed"])


def backend_name():
    """The active backend's name: "numpy" or "cupy"."""
    return _state["name"]


def xp():
    """The active array module (numpy or cupy). Library code calls this instead of importing np."""
    return _state["xp"]


def get_array_module(array):
    """The array module an array belongs to (numpy for NumPy arrays, cupy for CuPy arrays)."""
    if _state["name"] == "cupy":
        return _state["xp"].get_array_module(array)
    return np


def to_numpy(array):
    """Copy an array (NumPy, CuPy, or a minishop Tensor) to a NumPy array on the host."""
    if hasattr(array, "requires_grad"):  # a minishop Tensor: take the array inside it
        array = array.data
    if isinstance(array, np.ndarray):
        return array
    if hasattr(array, "get"):  # a CuPy array
        return array.get()
    return np.asarray(array)


def asarray(data, dtype=None):
    """Turn a list, scalar, NumPy or CuPy array into an array of the active backend."""
    return _state["xp"].asarray(data, dtype=dtype)


def set_default_dtype(dtype):
    """Set the dtype of new parameters and of tensors made from Python numbers.

    "float32" (the default) for training; "float64" for gradient checks by finite differences.
    """
    name = np.dtype(dtype).name
    if name not in _DTYPES:
        raise ValueError(f"set_default_dtype(dtype={dtype!r}): expected one of {_DTYPES}")
    _state["dtype"] = np.dtype(name).type


def default_dtype():
    """The current default floating dtype (np.float32 unless changed)."""
    return _state["dtype"]


def manual_seed(seed):
    """Seed minishop's random generator for the active backend (parameter init, dropout, sampling)."""
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"manual_seed(seed={seed!r}): expected a non-negative int")
    _state["seed"] = seed
    _state["rng"] = _state["xp"].random.default_rng(seed)


def rng():
    """The active backend's random Generator (seeded by manual_seed; seed 0 if never seeded)."""
    if _state["rng"] is None:
        manual_seed(0 if _state["seed"] is None else _state["seed"])
    return _state["rng"]


def set_num_threads(n):
    """Limit the threads of the BLAS library under NumPy (OpenBLAS, MKL) to n, for the whole process.

    Why: the recommender's small matmuls gain almost nothing from a second BLAS thread, and a
    multi-threaded BLAS slows down many times over when another process is busy on the same cores.
    So the command line uses 1 thread unless told otherwise. Uses threadpoolctl, which can change the
    limit after NumPy was imported (the OPENBLAS_NUM_THREADS environment variable only works before).
    """
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads(n={n!r}): expected a positive int")
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=n, user_api="blas")


M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_MMAP_MAX = -1, -3, -4  # mallopt() parameters, from glibc's <malloc.h>


def tune_malloc():
    """Keep glibc from handing every large freed array back to the kernel (Linux only); True if it took.

    By default glibc's malloc serves each allocation of 128 KiB or more (a threshold that adapts up to
    32 MiB) with a fresh mmap and returns it to the kernel when freed. A training step allocates and
    frees thousands of multi-megabyte temporaries, so each one page-faults again when it is next touched
    and steps run markedly slower (the first trap in shared/PERFORMANCE.md). Raising the mmap threshold to 32 MiB
    (glibc's maximum) and the trim threshold to 1 GiB makes malloc keep and reuse that memory, as
    PyTorch's caching allocator does; M_MMAP_MAX = 0 also serves arrays above 32 MiB (a full softmax's
    logits) from the reusable heap. The cost: freed memory stays with the process for the next step.

    It changes the whole process, not just minishop, so importing minishop never does it: the
    `minishop` command, `minishop.train.train` and the benches call it. MINISHOP_NO_MALLOC_TUNING=1
    turns it off.
    """
    if not sys.platform.startswith("linux") or os.environ.get("MINISHOP_NO_MALLOC_TUNING") == "1":
        return False
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc (e.g. musl): nothing to tune
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    ok = [mallopt(M_MMAP_THRESHOLD, 32 << 20), mallopt(M_TRIM_THRESHOLD, 1 << 30), mallopt(M_MMAP_MAX, 0)]
    _state["malloc_tuned"] = _state["malloc_tuned"] or all(result == 1 for result in ok)
    return _state["malloc_tuned"]


def malloc_tuned():
    """True once tune_malloc() has changed glibc's settings in this process."""
    return _state["malloc_tuned"]


def environment_error():
    """Why the backend $MINISHOP_BACKEND names could not start (NumPy stayed active), or None."""
    return _state.get("environment_error")


def _backend_from_environment():
    """Start the backend $MINISHOP_BACKEND names. One that cannot start (no GPU, a typo) leaves NumPy active
    with a warning, and environment_error() says why: the command line reports it as an error message."""
    name = os.environ.get("MINISHOP_BACKEND", "numpy").strip().lower() or "numpy"
    if name != "numpy":
        try:
            set_backend(name)
        except (ValueError, RuntimeError) as error:
            _state["environment_error"] = f"MINISHOP_BACKEND={name}: {error}"
            warnings.warn(_state["environment_error"], stacklevel=2)


_backend_from_environment()
