# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 7 — Optimizers: solutions
#
# The solved exercises of `07_optimizers.ipynb`, each with the setup it needs and the same check as the
# lesson. Try the exercises first!

# %%
import math
import sys

import numpy as np

sys.path.insert(0, "..")  # lessons/, where checks.py lives (this notebook runs in lessons/solutions/)
import minishop
import minishop.nn as nn
import minishop.optim as optim
from checks import check_function

minishop.manual_seed(0)
rng = np.random.default_rng(0)


# %% [markdown]
# ### Exercise 1 — the momentum step

# %%
def momentum_step(w, g, velocity, lr, beta):
    """One heavy-ball step: velocity = beta * velocity + g; w = w - lr * velocity."""
    new_velocity = beta * velocity + g
    return w - lr * new_velocity, new_velocity


# %%
def _two_steps_of(step, w, g1, g2, lr=0.1, beta=0.9):
    """Apply the learner's step twice from a zero velocity; stack (w, velocity) to compare with minishop."""
    first = step(w.copy(), g1, np.zeros_like(w), lr, beta)
    if first is None:
        return None
    w1, b1 = first
    w2, b2 = step(w1, g2, b1, lr, beta)
    return np.stack([w2, b2])


def _minishop_sgd_momentum(w, g1, g2, lr=0.1, beta=0.9):
    weight = nn.Parameter(w.copy())
    optimizer = optim.SGD([weight], lr=lr, momentum=beta)
    for g in (g1, g2):
        weight.grad = g.copy()
        optimizer.step()
    return np.stack([weight.numpy(), optimizer.state_dict()["buffers"]["0.momentum_buffer"]])


_cases = [tuple(rng.standard_normal(n) for _ in range(3)) for n in (2, 5)]
check_function(
    lambda w, g1, g2: _two_steps_of(momentum_step, w, g1, g2),
    [(case, _minishop_sgd_momentum(*case)) for case in _cases],
    name="momentum_step",
    hint="new_velocity = beta * velocity + g; new_w = w - lr * new_velocity; return new_w, new_velocity",
)


# %% [markdown]
# ### Exercise 2 — the Adam step

# %%
def adam_step(w, g, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    """One Adam step (Kingma & Ba 2015) at step number t >= 1."""
    m = beta1 * m + (1 - beta1) * g  # running mean of gradients
    v = beta2 * v + (1 - beta2) * g * g  # running mean of squared gradients
    m_hat = m / (1 - beta1**t)  # bias corrections for the zero start
    v_hat = v / (1 - beta2**t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


# %%
def _three_adam_steps(w, g1, g2, g3, lr=0.05):
    m, v = np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate((g1, g2, g3), start=1):
        result = adam_step(w, g, m, v, t, lr)
        if result is None:
            return None
        w, m, v = result
    return np.stack([w, m, v])


def _minishop_adam(w, g1, g2, g3, lr=0.05):
    weight = nn.Parameter(w.copy())
    optimizer = optim.Adam([weight], lr=lr)
    for g in (g1, g2, g3):
        weight.grad = g.copy()
        optimizer.step()
    buffers = optimizer.state_dict()["buffers"]
    return np.stack([weight.numpy(), buffers["0.exp_avg"], buffers["0.exp_avg_sq"]])


_cases = [tuple(rng.standard_normal(n) * scale for _ in range(4)) for n, scale in ((3, 1.0), (4, 100.0))]
check_function(
    _three_adam_steps,
    [(case, _minishop_adam(*case)) for case in _cases],
    name="adam_step",
    hint="m = beta1*m + (1-beta1)*g; v = beta2*v + (1-beta2)*g**2; m_hat = m/(1-beta1**t); "
         "v_hat = v/(1-beta2**t); w = w - lr*m_hat/(np.sqrt(v_hat)+eps)",
)


# %% [markdown]
# ### Exercise 3 — the schedule

# %%
def my_schedule(step, max_lr=1e-3, warmup_steps=10, total_steps=100):
    """Linear warm-up over 10 steps to 1e-3, then a half cosine to 0 at step 100."""
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    progress = min((step - warmup_steps) / (total_steps - warmup_steps), 1.0)
    return max_lr * 0.5 * (1 + math.cos(math.pi * progress))


# %%
_steps = np.arange(120)
check_function(
    lambda steps: None if my_schedule(0) is None else np.array([my_schedule(int(s)) for s in steps]),
    [((_steps,), np.array([optim.warmup_cosine(int(s), max_lr=1e-3, warmup_steps=10, total_steps=100) for s in _steps]))],
    name="my_schedule", atol=1e-12, rtol=1e-9,
    hint="if step < 10: return 1e-3 * (step + 1) / 10; p = min((step - 10) / 90, 1); return 1e-3 * (1 + math.cos(math.pi * p)) / 2",
)


# %% [markdown]
# ### Exercise 4 — the running mean

# %%
def running_mean(weights):
    """(n, d) weight vectors -> (n, d): row k is the mean of rows 0..k, by the running update."""
    means = np.empty_like(weights)
    mean = weights[0].copy()
    means[0] = mean
    for n in range(2, len(weights) + 1):
        mean = mean + (weights[n - 1] - mean) / n  # w̄_n = w̄_{n-1} + (w_n - w̄_{n-1}) / n
        means[n - 1] = mean
    return means


# %%
_weights = rng.standard_normal((6, 3))
check_function(
    running_mean,
    [((_weights,), np.cumsum(_weights, axis=0) / np.arange(1, 7)[:, None])],
    name="running_mean",
    hint="mean = weights[0].copy(); then for n = 2, 3, ...: mean = mean + (weights[n-1] - mean) / n",
)
