"""A strict array that refuses NumPy functions, to check device-agnostic code on a CPU.

On a GPU, `np.exp(cupy_array)` fails: NumPy cannot read device memory. On a CPU NumPy accepts
everything, so code that writes `np.` where it should write `xp.` passes unnoticed. A `StrictArray`
behaves like a CuPy array here: NumPy functions and ufuncs on it raise a clear error, while its
operators and methods (`+`, `@`, `.sum(axis=...)`, `.reshape`, `.T`, indexing) and the functions of
the fake module `strict_xp` (`strict_xp.exp`, `strict_xp.maximum`, ...) work. `.get()` copies it back
to a NumPy array, as CuPy's does.

    x = StrictArray(np.arange(6.0).reshape(2, 3))
    strict_xp.exp(x).sum(axis=1)   # fine
    np.exp(x)                      # TypeError: ... write xp.exp(...) ...
"""

import numpy as np


class StrictArray:
    """A NumPy array in a wrapper that NumPy's functions refuse, like a CuPy array on a CPU machine."""

    def __init__(self, data):
        self._data = data._data if isinstance(data, StrictArray) else np.asarray(data)

    def _refuse(self, what):
        raise TypeError(
            f"{what} was called on a device array (a StrictArray, standing in for a CuPy array). NumPy "
            "cannot read device memory: write xp.<function>(...) with xp = the array module, not np."
        )

    def __array__(self, dtype=None, copy=None):
        self._refuse("np.asarray (an implicit conversion to NumPy)")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        self._refuse(f"the NumPy ufunc np.{ufunc.__name__}")

    def __array_function__(self, function, types, args, kwargs):
        self._refuse(f"np.{function.__name__}")

    def get(self):
        """A NumPy copy (CuPy's `.get()`)."""
        return self._data.copy()

    # attributes and methods that stay on the "device"
    shape = property(lambda self: self._data.shape)
    ndim = property(lambda self: self._data.ndim)
    dtype = property(lambda self: self._data.dtype)
    size = property(lambda self: self._data.size)
    T = property(lambda self: StrictArray(self._data.T))

    def __len__(self):
        return len(self._data)

    def __repr__(self):
        return f"StrictArray({self._data!r})"

    def __float__(self):
        return float(self._data)

    def __int__(self):
        return int(self._data)

    def __bool__(self):
        return bool(self._data)

    def __getitem__(self, index):
        return _wrap(self._data[_unwrap(index)])

    def __setitem__(self, index, value):
        self._data[_unwrap(index)] = _unwrap(value)

    def __getattr__(self, name):  # .sum, .max, .mean, .reshape, .transpose, .astype, .copy, ...
        if name.startswith("_") or name in ("tolist", "tobytes", "item"):
            raise AttributeError(name)
        method = getattr(self._data, name)
        return lambda *args, **kwargs: _wrap(method(*_unwrap(args), **_unwrap(kwargs)))


def _unwrap(value):
    """The NumPy arrays inside StrictArrays (also inside tuples, lists and dicts)."""
    if isinstance(value, StrictArray):
        return value._data
    if isinstance(value, (tuple, list)):
        return type(value)(_unwrap(v) for v in value)
    if isinstance(value, dict):
        return {k: _unwrap(v) for k, v in value.items()}
    return value


def _wrap(value):
    if isinstance(value, np.ndarray):
        return StrictArray(value)
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    return value


def _operator(name):
    def apply(self, *others):
        return _wrap(getattr(self._data, name)(*_unwrap(others)))
    apply.__name__ = name
    return apply


for _name in ("add", "radd", "sub", "rsub", "mul", "rmul", "truediv", "rtruediv", "floordiv", "pow", "rpow",
              "matmul", "rmatmul", "mod", "neg", "pos", "abs", "lt", "le", "gt", "ge", "eq", "ne",
              "and", "or", "xor", "invert", "iadd", "isub", "imul", "itruediv"):
    setattr(StrictArray, f"__{_name}__", _operator(f"__{_name}__"))


class _StrictXp:
    """A fake array module: `strict_xp.f(...)` is NumPy's f on the unwrapped arrays, rewrapped."""

    __name__ = "strict_xp"

    def __getattr__(self, name):
        value = getattr(np, name)
        if not callable(value) or isinstance(value, type):
            return value  # constants and dtypes: strict_xp.pi, strict_xp.float32, strict_xp.newaxis
        return lambda *args, **kwargs: _wrap(value(*_unwrap(args), **_unwrap(kwargs)))

    def asarray(self, value, dtype=None):
        return StrictArray(np.asarray(_unwrap(value), dtype=dtype))

    def asnumpy(self, value):
        return _unwrap(value).copy() if isinstance(value, StrictArray) else np.asarray(value)


strict_xp = _StrictXp()
