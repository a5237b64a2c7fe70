"""The engine on CuPy (GPU) agrees with the engine on NumPy (CPU).

A representative subset: every kind of op forward and backward, gradcheck in float64 on the GPU,
and a few SGD steps of a 2-layer MLP. Skipped, with the reason, where CuPy or a GPU is missing.
Each test switches to CuPy and back to NumPy, whatever happens.
"""

import numpy as np
import pytest

import minishop
import minishop.functional as F
from minishop import Tensor, backend, gradcheck

cupy = pytest.importorskip("cupy", reason="CuPy is not installed (pip install 'minishop[gpu]'); GPU tests skipped")
try:
    _N_GPUS = cupy.cuda.runtime.getDeviceCount()
except Exception as error:  # no driver, no device
    pytest.skip(f"CuPy is installed but no CUDA GPU is usable ({error}); GPU tests skipped", allow_module_level=True)
if _N_GPUS == 0:
    pytest.skip("CuPy is installed but CUDA reports no GPU; GPU tests skipped", allow_module_level=True)

pytestmark = pytest.mark.gpu


def run_on(backend_name, fn, arrays, needs_grad):
    """Run fn on Tensors made from host arrays under a backend; return host output and input grads."""
    minishop.set_backend(backend_name)
    try:
        inputs = [Tensor(backend.asarray(a), requires_grad=r) for a, r in zip(arrays, needs_grad)]
        out = fn(*inputs)
        upstream = np.random.default_rng(0).standard_normal(out.shape).astype(out.dtype)
        out.backward(backend.asarray(upstream))
        grads = [backend.to_numpy(t.grad) if t.requires_grad else None for t in inputs]
        return backend.to_numpy(out.data), grads
    finally:
        minishop.set_backend("numpy")


def host(shape, seed, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


IDS = np.array([[4, 1, 4, 0], [1, 1, 6, 4], [2, 4, 4, 1]])  # repeated ids: exercises the GPU scatter-add
TARGETS = np.array([[2, 0, -100, 4], [3, -100, 3, 3], [4, 1, 2, -100]])
MASK = np.triu(np.ones((4, 4), dtype=bool), k=1)  # causal mask, (T, T)

OPS = {
    "arithmetic_broadcast": (lambda a, b: (a * b + a / (b * b + 1.0) - 2.0) ** 2, [(3, 4, 5), (4, 1)]),
    "matmul_batched": (lambda a, b: a @ b, [(2, 3, 4), (4, 5)]),
    "reductions": (lambda a: a.sum(axis=1) + a.mean(axis=(1, 2), keepdims=True)[:, 0] + a.max(axis=1), [(3, 4, 5)]),
    "elementwise": (lambda a: a.exp() + a.tanh() + a.relu() + (a * a + 1.0).sqrt().log(), [(3, 5)]),
    "shape_and_index": (lambda a: a.transpose(2, 0, 1).reshape(5, 12)[np.array([0, 0, 4])][:, 1:7], [(3, 4, 5)]),
    "softmax_masked": (lambda a: F.softmax(a.masked_fill(MASK, -1e9)), [(3, 4, 4)]),
    "log_softmax": (lambda a: F.log_softmax(a, axis=1), [(3, 4, 5)]),
    "layer_norm": (lambda x, w, b: F.layer_norm(x, w, b), [(3, 4, 5), (5,), (5,)]),
    "gelu": (lambda a: F.gelu(a), [(3, 5)]),
    "embedding": (lambda w: F.embedding(w, IDS), [(7, 3)]),
    "cross_entropy": (lambda z: F.cross_entropy(z, TARGETS, label_smoothing=0.1), [(3, 4, 6)]),
    "bce": (lambda z: F.binary_cross_entropy_with_logits(z, np.eye(3, 4, dtype=np.float32), weight=MASK[:3]), [(3, 4)]),
    "where_concat_stack": (lambda a, b: F.stack([F.where(MASK, a, b), F.concatenate([a[:, :2], b[:, 2:]], axis=1)]),
                           [(4, 4), (4, 4)]),
}


@pytest.mark.parametrize("name", list(OPS))
def test_op_on_cupy_matches_numpy(name):
    fn, shapes = OPS[name]
    arrays = [host(shape, seed) for seed, shape in enumerate(shapes)]
    needs = [True] * len(arrays)
    cpu_out, cpu_grads = run_on("numpy", fn, arrays, needs)
    gpu_out, gpu_grads = run_on("cupy", fn, arrays, needs)
    assert gpu_out.dtype == np.float32
    np.testing.assert_allclose(gpu_out, cpu_out, rtol=1e-4, atol=1e-5)
    for gpu_grad, cpu_grad in zip(gpu_grads, cpu_grads):
        assert gpu_grad.dtype == np.float32
        np.testing.assert_allclose(gpu_grad, cpu_grad, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["softmax_masked", "layer_norm", "embedding", "cross_entropy", "shape_and_index"])
def test_gradcheck_float64_on_cupy(name):
    fn, shapes = OPS[name]
    minishop.set_backend("cupy")
    try:
        inputs = [Tensor(backend.asarray(host(s, i, np.float64)), requires_grad=True) for i, s in enumerate(shapes)]
        assert isinstance(inputs[0].data, cupy.ndarray)
        result = gradcheck(fn, inputs)
        assert result.max_rel_error < 1e-6, result
    finally:
        minishop.set_backend("numpy")


def test_dropout_on_cupy_keeps_rate_and_masks_gradient():
    minishop.set_backend("cupy")
    try:
        minishop.manual_seed(3)
        x = Tensor(backend.asarray(np.ones((300, 200), np.float32)), requires_grad=True)
        y = F.dropout(x, p=0.3)
        assert isinstance(y.data, cupy.ndarray) and y.dtype == np.float32
        kept = backend.to_numpy(y.data) != 0
        assert abs(kept.mean() - 0.7) < 0.01
        y.sum().backward()
        np.testing.assert_allclose(backend.to_numpy(x.grad), kept / 0.7, rtol=1e-6)
    finally:
        minishop.set_backend("numpy")


def train_mlp(backend_name, steps=5):
    """A few plain-SGD steps of a 2-layer MLP on fixed data; returns the losses and final weights."""
    minishop.set_backend(backend_name)
    try:
        x = Tensor(backend.asarray(host((16, 5), 10)))
        labels = backend.asarray(np.arange(16) % 3)
        params = [Tensor(backend.asarray(host(s, i) * 0.5), requires_grad=True)
                  for i, s in enumerate([(5, 7), (7,), (7, 3), (3,)])]
        w1, b1, w2, b2 = params
        losses = []
        for _ in range(steps):
            loss = F.cross_entropy(F.relu(x @ w1 + b1) @ w2 + b2, labels)
            loss.backward()
            with minishop.no_grad():
                for p in params:
                    p.data -= 0.5 * p.grad
                    p.grad = None
            losses.append(loss.item())
        return np.array(losses), [backend.to_numpy(p.data) for p in params]
    finally:
        minishop.set_backend("numpy")


def test_sgd_training_step_on_cupy_matches_numpy():
    cpu_losses, cpu_params = train_mlp("numpy")
    gpu_losses, gpu_params = train_mlp("cupy")
    assert cpu_losses[-1] < cpu_losses[0]
    np.testing.assert_allclose(gpu_losses, cpu_losses, rtol=1e-4)
    for gpu_p, cpu_p in zip(gpu_params, cpu_params):
        np.testing.assert_allclose(gpu_p, cpu_p, rtol=1e-4, atol=1e-5)


def test_backend_is_numpy_again_after_the_tests():
    train_mlp("cupy", steps=1)
    assert backend.backend_name() == "numpy" and backend.xp() is np
