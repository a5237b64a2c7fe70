"""The array backend: NumPy on a CPU, CuPy on a GPU, with no change to the code.

Every module of minishop asks this file for its array library instead of importing
NumPy itself:

    from minishop import backend
    xp = backend.xp()          # numpy, or cupy after set_backend("cupy")
    x = xp.zeros((3, 4), dtype=backend.default_dtype())

Three pieces of global state live here and nowhere else:

- which array module is active (`set_backend`, or the MINISHOP_BACKEND environment variable);
- the default floating dtype for new parameters (float32 for training, float64 for gradient checks);
- one seeded random generator per backend (`manual_seed`), so runs are reproducible.

It also holds the one array operation whose fast form differs between the two libraries:
`scatter_add_rows`, the backward of every gather (embedding lookups). Where it fits: the autograd
engine (tensor.py) records each operation on Tensors and, in backward(), applies the chain rule
dL/dx = dL/dy * dy/dx from the loss back to the inputs, visiting the graph in reverse topological
order so each node's gradient is complete before it is passed on. Every array it touches is
created through this module, which is why the same engine runs on a CPU or a GPU.

This is the only file in `minishop/` that imports NumPy directly.
"""

import os

import numpy

# NumPy itself, for host-side work that stays on the CPU whatever the backend: loading data with pandas,
# tokenizing text, building index arrays before they are sent to the device with asarray().
np = numpy

_BACKENDS = ("numpy", "cupy")
_DTYPES = ("float32", "float64")

_state = {
    "name": "numpy",
    "xp": numpy,
    "dtype": numpy.float32,
    "rng": None,  # created lazily by rng(), reset by manual_seed()
    "seed": None,
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
    _state["xp"] = _load_cupy() if name == "cupy" else numpy
    _state["name"] = name
    _state["rng"] = None
    if _state["seed"] is not None:
        manual_seed(_state["seed"])


def backend_name():
    """The active backend's name: "numpy" or "cupy"."""
    return _state["name"]


def xp():
    """The active array module (numpy or cupy). Library code calls this instead of importing numpy."""
    return _state["xp"]


def get_array_module(array):
    """The array module an array belongs to (numpy for NumPy arrays, cupy for CuPy arrays)."""
    if _state["name"] == "cupy":
        return _state["xp"].get_array_module(array)
    return numpy


def to_numpy(array):
    """Copy an array (NumPy, CuPy, or a minishop Tensor) to a NumPy array on the host."""
    if hasattr(array, "requires_grad"):  # a minishop Tensor: take the array inside it
        array = array.data
    if isinstance(array, numpy.ndarray):
        return array
    if hasattr(array, "get"):  # a CuPy array
        return array.get()
    return numpy.asarray(array)


def asarray(data, dtype=None):
    """Turn a list, scalar, NumPy or CuPy array into an array of the active backend."""
    return _state["xp"].asarray(data, dtype=dtype)


def set_default_dtype(dtype):
    """Set the dtype of new parameters and of tensors made from Python numbers.

    "float32" (the default) for training; "float64" for gradient checks by finite differences.
    """
    name = numpy.dtype(dtype).name
    if name not in _DTYPES:
        raise ValueError(f"set_default_dtype(dtype={dtype!r}): expected one of {_DTYPES}")
    _state["dtype"] = numpy.dtype(name).type


def default_dtype():
    """The current default floating dtype (numpy.float32 unless changed)."""
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


def scatter_add_rows(n_rows, indices, values):
    """out[indices[i]] += values[i] for every i, REPEATED indices summing: (N,), (N, D) -> (n_rows, D).

    The backward of every gather (embedding lookup, x[ids]). On NumPy `np.add.at` does this but is
    2-3x slower than sorting the indices and summing each run of equal ones with `np.add.reduceat`.
    On CuPy the GPU's atomic adds (cupyx.scatter_add) are the fast way. Indices must be in [0, n_rows).
    """
    xp = _state["xp"]
    out = xp.zeros((n_rows,) + values.shape[1:], dtype=values.dtype)
    if indices.size == 0:
        return out
    if _state["name"] == "cupy":
        import cupyx

        cupyx.scatter_add(out, indices, values)
        return out
    order = numpy.argsort(indices, kind="stable")
    sorted_indices = indices[order]
    run_starts = numpy.flatnonzero(numpy.concatenate(([True], sorted_indices[1:] != sorted_indices[:-1])))
    out[sorted_indices[run_starts]] = numpy.add.reduceat(values[order], run_starts, axis=0)
    return out


def set_num_threads(n):
    """Limit the threads of the BLAS library under NumPy (OpenBLAS, MKL) to n, for the whole process.

    Measured on a 2-core machine: the recommender's small matmuls gain almost nothing from a second
    BLAS thread, and when another process is busy on the other core, a 2-thread OpenBLAS runs the
    same training epoch about 10x slower (1.7 s -> 22 s on the bundled shop). So the command line
    uses 1 thread unless told otherwise. Uses threadpoolctl, which can change the limit after NumPy
    was imported (the OPENBLAS_NUM_THREADS environment variable only works before).
    """
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads(n={n!r}): expected a positive int")
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=n, user_api="blas")


def _backend_from_environment():
    name = os.environ.get("MINISHOP_BACKEND", "numpy").strip().lower() or "numpy"
    if name != "numpy":
        set_backend(name)


_backend_from_environment()
