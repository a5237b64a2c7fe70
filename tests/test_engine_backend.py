"""The array backend, the numpy-import rule, malloc tuning, and gradcheck's own failure reporting."""

import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

import minishop
import minishop.functional as F
from minishop import Tensor, arrays, backend, gradcheck

PACKAGE = pathlib.Path(minishop.__file__).parent


def test_no_file_in_the_package_imports_numpy_except_backend():
    pattern = re.compile(r"^\s*(import numpy\b|from numpy\b)", re.MULTILINE)
    offenders = [
        str(path.relative_to(PACKAGE.parent))
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "backend.py" and pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], f"use `xp = backend.xp()` or `np = backend.np` instead of importing numpy in: {offenders}"


def test_two_names_for_numpy_the_active_module_and_the_host_one():
    assert backend.xp() is np and backend.np is np  # on the NumPy backend both are numpy
    assert not hasattr(backend, "numpy")  # no third way to say it
    assert not hasattr(backend, "scatter_add_rows")  # array kernels live in minishop.arrays


def test_engine_files_stay_within_the_house_limits():
    """Each engine file can be read in one sitting: at most 450 lines, no function over 60."""
    import ast

    for name in ["backend.py", "tensor.py", "functional.py", "gradcheck.py", "arrays.py", "function.py"]:
        source = (PACKAGE / name).read_text(encoding="utf-8")
        assert len(source.splitlines()) <= 450, f"minishop/{name} has {len(source.splitlines())} lines"
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                assert length <= 60, f"minishop/{name}: {node.name}() has {length} lines"


def test_cupy_without_cupy_names_cupy(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # makes `import cupy` fail even where it is installed
    with pytest.raises(RuntimeError, match="cupy"):
        minishop.set_backend("cupy")
    assert backend.backend_name() == "numpy" and backend.xp() is np


def test_bad_backend_dtype_and_seed_raise_value_error():
    with pytest.raises(ValueError, match="numpy"):
        minishop.set_backend("jax")
    for dtype in ["float16", "int32"]:
        with pytest.raises(ValueError, match="float32"):
            minishop.set_default_dtype(dtype)
    with pytest.raises(ValueError, match="non-negative int"):
        minishop.manual_seed(-1)


def test_manual_seed_makes_dropout_reproducible():
    x = Tensor(np.ones((6, 7), np.float32))
    minishop.manual_seed(123)
    first = F.dropout(x, 0.5).data
    minishop.manual_seed(123)
    again = F.dropout(x, 0.5).data
    minishop.manual_seed(124)
    other = F.dropout(x, 0.5).data
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_scatter_add_rows_matches_add_at_with_repeats():
    rng = np.random.default_rng(0)
    indices = rng.integers(0, 9, size=40)  # many repeats, some rows never hit
    values = rng.standard_normal((40, 3)).astype(np.float32)
    expected = np.zeros((11, 3), np.float32)
    np.add.at(expected, indices, values)
    out = arrays.scatter_add_rows(11, indices, values)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    assert arrays.scatter_add_rows(4, indices[:0], values[:0]).shape == (4, 3)


def test_to_numpy_and_numpy_method():
    x = Tensor(np.arange(3.0))
    assert isinstance(minishop.to_numpy(x), np.ndarray)
    copy = x.numpy()
    copy[0] = 99
    assert x.data[0] == 0


def run_python(code, **env):
    """Run `code` in a fresh interpreter (nothing imported yet) and return its stdout lines."""
    result = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, **env), capture_output=True,
                            text=True, check=True)
    return result.stdout.split()


def test_malloc_tuning_is_opt_in_and_switchable():
    code = ("import minishop, minishop.recsys, minishop.text, minishop.train; from minishop import backend; "
            "print(backend.malloc_tuned(), backend.tune_malloc(), backend.malloc_tuned())")
    untouched, took, after = run_python(code)
    assert untouched == "False"  # importing minishop (and its packages) leaves malloc alone
    if sys.platform.startswith("linux"):  # this machine runs glibc
        assert took == after == "True"
    assert run_python(code, MINISHOP_NO_MALLOC_TUNING="1") == ["False", "False", "False"]


def test_the_command_line_tunes_malloc(monkeypatch):
    from minishop import cli

    calls = []
    monkeypatch.setattr(backend, "tune_malloc", lambda: calls.append("tuned"))
    cli.main(["recommend", "no-such-run", "--user", "U1"])  # fails cleanly, after the start-up settings
    assert calls == ["tuned"]


def test_import_minishop_is_light_and_packages_load_on_first_use():
    code = ("import sys, minishop; print('pandas' in sys.modules, 'minishop.data' in sys.modules); "
            "minishop.data.prepare; print('pandas' in sys.modules); "
            "print(all(hasattr(minishop, n) for n in ['nn', 'optim', 'eval', 'tokenizers', 'recsys', 'text']))")
    assert run_python(code) == ["False", "False", "True", "True"]
    late = ["config", "distributed", "export", "plots", "fused_cross_entropy", "runs", "checkpoint", "cli"]
    code = ("import sys, minishop; print(any(m in sys.modules for m in ['pandas', 'mpi4py', 'matplotlib'])); "
            f"print(all(hasattr(minishop, n) for n in {late!r}))")
    assert run_python(code) == ["False", "True"]
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        minishop.nope


def _wrong_square(x):
    """x^2 with a deliberately wrong derivative (3x instead of 2x)."""
    return Tensor.from_op(x.data**2, (x,), lambda g: (g * 3.0 * x.data,), op="wrong_square")


def test_gradcheck_failure_names_tensor_and_shows_both_values():
    x = Tensor(np.array([[0.5, -1.25, 2.0], [1.5, 0.75, -0.5]]), requires_grad=True)
    result = gradcheck(lambda x: _wrong_square(x).sum(), [x], names=["weights"], raise_on_failure=False)
    assert not result.passed
    assert result.input_name == "weights"
    assert result.analytic == pytest.approx(3 * x.data[result.element])
    assert result.numeric == pytest.approx(2 * x.data[result.element], rel=1e-6)
    assert result.max_rel_error == pytest.approx(1 / 3, rel=1e-6)
    with pytest.raises(AssertionError) as error:
        gradcheck(lambda x: _wrong_square(x).sum(), [x], names=["weights"])
    message = str(error.value)
    assert "weights" in message and "analytic" in message and "numeric" in message
    assert repr(result.analytic) in message and repr(result.numeric) in message
    assert str(result.element) in message


def test_gradcheck_uses_tensor_name_and_rejects_float32():
    named = Tensor(np.ones(3), requires_grad=True, name="bias")
    result = gradcheck(lambda b: (b * b).sum(), [named])
    assert result.passed and result.input_name == "bias"
    with pytest.raises(ValueError, match="float64"):
        gradcheck(lambda b: b.sum(), [Tensor(np.ones(3, np.float32), requires_grad=True)])
    with pytest.raises(ValueError, match="requires_grad"):
        gradcheck(lambda b: b.sum(), [Tensor(np.ones(3))])


def test_gradcheck_passes_a_correct_non_scalar_function_and_restores_grads():
    x = Tensor(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True)
    x.grad = np.full((2, 3), 7.0)
    result = gradcheck(lambda x: x * x * x, [x])
    assert result.passed and result.max_rel_error < 1e-6
    np.testing.assert_array_equal(x.grad, np.full((2, 3), 7.0))


def test_set_num_threads_limits_the_blas_threads_and_rejects_bad_counts():
    from threadpoolctl import threadpool_info

    def blas_threads():
        return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}

    before = max(blas_threads())
    try:
        minishop.set_num_threads(1)
        assert blas_threads() == {1}
    finally:
        minishop.set_num_threads(before)
    with pytest.raises(ValueError, match="positive int"):
        minishop.set_num_threads(0)
