# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 11 — From NumPy to CuPy: the same code on a GPU
#
# Everything in minishop — tensors, attention, optimizers — is written against an **array module**
# called `xp`. On a CPU `xp` is NumPy; on an NVIDIA GPU it is **CuPy**, a library with (almost) the same
# API whose arrays live in GPU memory and whose operations run as GPU kernels. Switching is one line.
# This lesson shows how the switch works, how to write code that survives it, what really changes on a
# GPU (memory, transfers, asynchrony, launch overhead), and times the same training step on both.
#
# **This notebook runs everywhere.** Without a GPU (or without CuPy) it says so and runs the CPU part;
# with one, it also runs and times the GPU part.
#
# **Learning goals.** After this lesson you can
# 1. switch minishop's backend with `minishop.set_backend("cupy")` or `MINISHOP_BACKEND=cupy`, and read its errors;
# 2. write device-agnostic array code with `xp = backend.get_array_module(x)`, and move arrays with `to_numpy`;
# 3. explain what changes on a GPU: device memory, host↔device copies, asynchronous kernels, launch overhead;
# 4. time GPU code correctly (synchronise before reading the clock) and compute GFLOP/s;
# 5. estimate when a GPU helps and when it does not.
#
# **Prerequisites.** Lessons 5–7 (attention, backpropagation, optimizers); lesson 8's training loop helps.
# No GPU needed.
#
# **Study time:** about 2 hours (the notebook itself runs in well under two minutes, CPU part only).

# %%
import os
import subprocess
import sys
import time

import matplotlib.pyplot as plt
import numpy as np

import minishop
import minishop.functional as F
import minishop.nn as nn
import minishop.optim as optim
from minishop import Tensor, backend
from checks import hint  # noqa: F401  (hint(name, 2) shows the next hint of an exercise)
from checks.lesson11 import (check_attention_score_flops, check_cosine_similarity, check_megabytes,
                             check_milliseconds, check_quiz)

minishop.manual_seed(0)
rng = np.random.default_rng(0)


def gpu_available():
    """True when minishop can use CuPy on a CUDA GPU; otherwise print why not."""
    try:
        minishop.set_backend("cupy")
        return True
    except RuntimeError as error:
        print("No GPU backend here:", error)
        return False
    finally:
        minishop.set_backend("numpy")  # the rest of the notebook chooses explicitly


HAS_GPU = gpu_available()
print("GPU part of this lesson:", "ON" if HAS_GPU else "OFF — this notebook runs its CPU part only")

# %% [markdown]
# ## 1. One switch: `backend.xp()`
#
# minishop's library code never writes `import numpy`. It asks the backend for the active module inside
# each function (a test in the suite enforces this over `minishop/`):
#
# ```python
# from minishop import backend
# xp = backend.xp()                                  # numpy, or cupy after set_backend("cupy")
# scores = xp.exp(x - x.max(axis=-1, keepdims=True))
# ```
#
# Because `xp` is looked up at call time, `minishop.set_backend("cupy")` (or the environment variable
# `MINISHOP_BACKEND=cupy`, read when minishop is imported) switches every op at once. Arrays made before
# the switch are **not** moved: set the backend first, then build the model.

# %%
print("active backend:", backend.backend_name(), "→ xp is", backend.xp().__name__)
print("default dtype for new parameters:", np.dtype(backend.default_dtype()).name)

# %% [markdown]
# Asking for CuPy where it cannot work fails **at once** with a message naming what is missing — not later
# with a confusing error deep inside a training step. Here is what a fresh Python process says when started
# with `MINISHOP_BACKEND=cupy`:

# %%
result = subprocess.run(
    [sys.executable, "-c", "import minishop; print('backend:', minishop.backend.backend_name())"],
    env={**os.environ, "MINISHOP_BACKEND": "cupy"}, capture_output=True, text=True,
)
print(result.stdout.strip() or result.stderr.strip().splitlines()[-1])

# %% [markdown]
# ## 2. Writing code that runs on both
#
# Host-side and device-side code follow two rules:
#
# - **Inside** a computation, take the module from the data: `xp = backend.get_array_module(x)` (NumPy for a
#   NumPy array, CuPy for a CuPy array), then use only `xp.…`. Never mix: `np.exp(cupy_array)` either fails
#   or silently copies the array to the CPU.
# - **At the edges** — printing, plotting, pandas, metrics on the host — copy to the CPU explicitly with
#   `minishop.to_numpy(x)` (it accepts NumPy, CuPy or a Tensor). Matplotlib cannot plot a CuPy array.
#
# ### Exercise 1 — a device-agnostic cosine similarity
# Item-to-item recommendations ("similar products") rank items by the cosine similarity of their embeddings,
# $\cos(a, b) = \dfrac{a\cdot b}{\lVert a\rVert\,\lVert b\rVert}$. Write `cosine_similarity(A, B)` for
# `A` of shape `(N, D)` and `B` of shape `(M, D)`, returning the `(N, M)` matrix of cosines. Use
# `xp = backend.get_array_module(A)` and only `xp` functions (no `np.`), so it would run unchanged on CuPy.
# The check proves it on this CPU: it calls your function on *strict* arrays that refuse every NumPy
# function, as CuPy arrays do, so one `np.` is enough to fail.

# %%
def cosine_similarity(A, B):
    """(N, D), (M, D) -> (N, M) cosine similarities, with xp from the inputs."""
    return None  # your code here


# %%
check_cosine_similarity(cosine_similarity)  # on arrays that refuse NumPy's functions, as CuPy's do

# %% [markdown]
# ## 3. What changes on a GPU
#
# | | CPU (NumPy) | GPU (CuPy) |
# |---|---|---|
# | where arrays live | host RAM | device memory (HBM), separate from RAM |
# | moving data | — | host↔device copies over PCIe, ~25 GB/s: **slow** next to HBM's ~3–5 TB/s |
# | when an op runs | immediately, the call returns when done | **asynchronously**: the call only queues a kernel |
# | cost of a tiny op | ~1 µs | ~5–10 µs launch overhead, whatever the size |
# | float64 | half the float32 speed | 1/2 on data-centre GPUs, 1/32–1/64 on gaming GPUs |
# | random numbers | NumPy's generator | CuPy's generator: same seed, **different** numbers |
#
# Consequences for our code: keep the whole training step on the device (copy a batch of ids in, a scalar
# loss out); train in float32; compute only the scores you need — in a batch of `minishop train` on the shop, only the real
# (non-padding) positions, counted by the next cell; and when timing, call `cupy.cuda.Device().synchronize()` before reading the clock, or you
# time only the queueing of kernels.

# %%
from minishop.data import prepare
from minishop.recsys import make_batch
from minishop.recsys.defaults import choose
from minishop.recsys.training import RecommenderConfig

shop = prepare()  # lesson 8's data, and a batch as `minishop train` builds it on the shop
shop_config, _ = choose(RecommenderConfig(), shop.split)  # the settings chosen from the shop's histories
histories = [shop.split.train[user] for user in sorted(shop.split.train)[:shop_config.batch_size]]
shop_batch = make_batch(histories, shop.n_items, shop_config.max_len, "ce", rng)
B_shop, T_shop = shop_batch.items.shape
print(f"a shop batch: items {shop_batch.items.shape}, {B_shop * T_shop:,} positions of which "
      f"{len(shop_batch.positions):,} are real; scores of the real ones: ({len(shop_batch.positions)}, "
      f"{shop.n_items + 1}) instead of ({B_shop}, {T_shop}, {shop.n_items + 1})")

# %% [markdown]
# ### Exercise 2 — the cost of moving scores to the host
# At the scale of the paper's Amazon Games setting (bench/README.md), a batch has $B = 128$ sequences of
# $T = 50$ positions and a catalogue of $V = 23{,}716$ items (one column is padding). Set `megabytes` to the size in MB ($10^6$ bytes) of the float32 array of **all** scores
# `(B, T, V)`, and `milliseconds` to the time to copy it over PCIe at 25 GB/s ($25\times 10^9$ bytes/s).

# %%
megabytes = None  # your code here
milliseconds = None  # your code here

# %%
check_megabytes(megabytes)  # the size of the (B, T, V) float32 scores
check_milliseconds(milliseconds)  # their copy to the host at 25 GB/s

# %% [markdown]
# That copy alone would take longer than a whole GPU training step — keep the scores on the device and
# reduce them there (a loss, a top-k) before copying anything back.
#
# ## 4. Measuring speed: matmul GFLOP/s
#
# A product of an $(n\times k)$ and a $(k\times m)$ matrix costs $2nkm$ floating-point operations (one
# multiply and one add per term). Dividing by the time gives the achieved FLOP/s — the number to compare
# with the hardware's peak. We time square float32 matmuls of growing size, several runs each after a
# warm-up run (the first call pays for memory allocation and, on a GPU, kernel compilation), and keep the
# **fastest** run: the one least disturbed by other programs on the machine.

# %%
def sync(xp):
    """Wait until all queued work is done (a no-op on NumPy)."""
    if xp.__name__ == "cupy":
        xp.cuda.Device().synchronize()


def run_times(function, xp, repeats=5):
    """Seconds taken by each of `repeats` calls of function(), after one warm-up call."""
    function()  # warm-up
    sync(xp)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        sync(xp)  # without this, a GPU timing measures only the kernel launch
        times.append(time.perf_counter() - start)
    return times


def matmul_gflops(xp, sizes):
    rates = []
    for n in sizes:
        a = xp.asarray(rng.standard_normal((n, n)), dtype=xp.float32)
        b = xp.asarray(rng.standard_normal((n, n)), dtype=xp.float32)
        seconds = min(run_times(lambda: a @ b, xp, repeats=3 if n >= 1024 else 5))
        rates.append(2 * n**3 / seconds / 1e9)
    return rates


sizes = [32, 64, 128, 256, 512, 1024]
cpu_rates = matmul_gflops(np, sizes)
gpu_rates = None
if HAS_GPU:
    minishop.set_backend("cupy")
    gpu_rates = matmul_gflops(backend.xp(), sizes + [2048, 4096])
    minishop.set_backend("numpy")

fig, ax = plt.subplots(figsize=(7, 4))
ax.loglog(sizes, cpu_rates, "o-", label="CPU, NumPy float32")
ax.set_xscale("log", base=2)
if gpu_rates is not None:
    ax.loglog(sizes + [2048, 4096], gpu_rates, "s-", label="GPU, CuPy float32")
else:
    ax.text(0.5, 0.08, "no GPU on this machine: CPU only", transform=ax.transAxes, ha="center", color="gray")
ax.set_xlabel("matrix size n (n × n @ n × n)")
ax.set_ylabel("GFLOP/s")
ax.set_title("small products cannot keep the hardware busy")
ax.legend()
plt.show()
for n, rate in zip(sizes, cpu_rates):
    print(f"n = {n:5d}: CPU {rate:7.1f} GFLOP/s")

# %% [markdown]
# Small products are dominated by fixed costs (Python, dispatch, and on a GPU the kernel launch), so the
# achieved rate climbs with size until the arithmetic units are saturated. A GPU needs **much** larger
# products than a CPU to pay off — a good reason to batch users together. (Timings on a shared or busy
# machine are noisy: if your curve has a dip, run the cell again.)
#
# ### Exercise 3 — FLOPs of attention scores
# Write `attention_score_flops(B, H, T, d_head)`: the floating-point operations of the score product
# $QK^\top$ for `B` sequences, `H` heads, `T` positions and head width `d_head` (a batched matmul of
# $(T \times d_{\text{head}})$ by $(d_{\text{head}} \times T)$ for each sequence and head).

# %%
def attention_score_flops(B, H, T, d_head):
    """FLOPs of Q @ K^T over a batch: B * H products of (T, d_head) @ (d_head, T)."""
    return None  # your code here


# %%
check_attention_score_flops(attention_score_flops)  # 2 FLOPs per multiply-add

# %% [markdown]
# ## 5. The same training step on both backends
#
# Finally the real thing: one training step (forward, cross-entropy loss, backward, AdamW update) of a small
# causal transformer over item ids. `make_step()` builds the model and the batch **on the active backend**
# from the same NumPy weights, so both backends start from identical numbers. We time the median step.

# %%
config = dict(vocab_size=2_000, d_model=64, n_blocks=2, n_heads=2, max_len=32, dropout=0.0)
batch_size = 32
ids_host = rng.integers(1, config["vocab_size"], size=(batch_size, config["max_len"] + 1))  # (B, T+1)
minishop.manual_seed(0)
initial_weights = nn.Transformer(**config).state_dict()  # NumPy arrays


def make_step():
    """A model, an optimizer and a step function on the active backend, starting from initial_weights."""
    model = nn.Transformer(**config)
    model.load_state_dict(initial_weights)  # copies the NumPy arrays to the active backend
    optimizer = optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    inputs = backend.asarray(ids_host[:, :-1])  # (B, T) on the device
    targets = backend.asarray(ids_host[:, 1:])  # (B, T): the next item at each position

    def step():
        loss = F.cross_entropy(model.logits(model(inputs)), targets)  # logits (B, T, V)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    return step


step_times, first_losses = {}, {}
for name in ["numpy", "cupy"] if HAS_GPU else ["numpy"]:
    minishop.set_backend(name)
    step = make_step()
    first_losses[name] = float(minishop.to_numpy(step().data))  # the first step: the same start on both
    step_times[name] = float(np.median(run_times(step, backend.xp(), repeats=5)))
    minishop.set_backend("numpy")

for name in step_times:
    print(f"{name:6s}: first loss {first_losses[name]:.5f}, median step {1e3 * step_times[name]:.1f} ms")
if HAS_GPU:
    print(f"GPU speed-up: {step_times['numpy'] / step_times['cupy']:.1f}x")
else:
    print("No GPU: only the CPU step was timed. On a machine with CuPy and a CUDA GPU this cell times both.")

fig, ax = plt.subplots(figsize=(5, 3.5))
names = list(step_times)
ax.bar(names, [1e3 * step_times[name] for name in names], color=["C0", "C1"][: len(names)])
ax.set_ylabel("median step time (ms)")
ax.set_title("one training step" + ("" if HAS_GPU else " (no GPU here)"))
plt.show()

# %% [markdown]
# On a GPU the first losses agree to float32 rounding (the kernels sum in a different order), and a
# step of this size is typically several times faster — more for larger batches and models, less (or
# even slower than the CPU) for tiny ones, where launch overhead dominates.
#
# ## Reflection
# 1. Which parts of a recommender's pipeline should stay on the CPU even when a GPU is present, and why?
# 2. Two runs with the same seed give different numbers on NumPy and on CuPy. Does that make the GPU
#    results less trustworthy? How would you test a GPU backend?
# 3. From your matmul plot, estimate the smallest batch size at which the recommender's output layer
#    ($d = 50$ by $23{,}716$ items) keeps the hardware busy.
#
# ## Summary
# - minishop's code asks `backend.xp()` for its array module; `set_backend("cupy")` or
#   `MINISHOP_BACKEND=cupy` switches everything, and fails early with a clear message where it cannot.
# - Device-agnostic code takes `xp` from its inputs and copies to the host only at the edges (`to_numpy`).
# - On a GPU: keep data on the device, use float32, batch work into large kernels, and synchronise before
#   reading the clock.
#
# **Next:** lesson 12 asks what a recommender *should* do with all this speed — privacy, bias and explanations.

# %% [markdown]
# ## Quiz
# Answer each question with the letter of one choice, then run the check.
#
# 1. Inside a function that should run on NumPy and CuPy, the array module comes from (a) `import numpy as np`, (b) the inputs: `backend.get_array_module(x)`, (c) an environment variable read in the function.
# 2. Copying a large score matrix from the GPU to the host is (a) free, (b) faster than the GPU computing it, (c) limited by PCIe bandwidth, often slower than the computation.
# 3. Before reading the clock after GPU work you must (a) synchronise the device, (b) copy the result to the host twice, (c) switch to float64.

# %%
quiz_answers = {1: None, 2: None, 3: None}  # your answers: "a", "b" or "c"

# %%
check_quiz(quiz_answers)
