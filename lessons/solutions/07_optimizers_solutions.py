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
from checks.lesson07 import (check_adam_step, check_momentum_step, check_quiz, check_running_mean,
                             check_warmup_cosine)

minishop.manual_seed(0)
rng = np.random.default_rng(0)


# %% [markdown]
# ### Exercise 1 — the momentum step

# %%
def momentum_step(w, g, velocity, lr, beta):
    """One heavy-ball step: velocity = beta * velocity + g; w = w - lr * velocity."""
    new_velocity = beta * velocity + g  # a running sum of gradients (PyTorch's form)
    return w - lr * new_velocity, new_velocity


# %%
check_momentum_step(momentum_step)  # two steps against minishop.optim.SGD(momentum=beta)


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
check_adam_step(adam_step)  # three steps against minishop.optim.Adam, gradients of scale 1 and 100


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
check_warmup_cosine(my_schedule)  # every step 0..119 against minishop.optim.warmup_cosine


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
check_running_mean(running_mean)  # against the plain average of the first k rows

# %% [markdown]
# ## Reflection — answers
#
# 1. Two float32 numbers (8 bytes) per parameter: for the shop recommender (its count is printed in the
#    lesson; `SequentialRecommender(...).num_parameters()`) that is 8 bytes times that count, well under a
#    megabyte. For 7 billion parameters it is 56 GB for Adam's state alone, on top of the weights and
#    gradients: why large models shard the optimizer state or keep it in lower precision.
# 2. After one step $\hat v = g_1^2$, so the first update is $\eta\, g_1/|g_1| = \pm\eta$ in every
#    coordinate at once, however small or noisy the gradient: Adam's first steps are full-size steps in
#    random-ish directions. SGD's first steps are proportional to the (small) gradient. Warm-up keeps
#    Adam's early steps small until $\hat v$ averages over enough batches to mean something.
# 3. With $\beta = 0.9$ and $0.95$ the ball overshoots more: the velocity keeps going past the floor of
#    the narrow direction, and the path spirals for many steps before settling (the loss curve oscillates).
#    For $\kappa = 100$ the optimal $\beta = ((10 - 1)/(10 + 1))^2 \approx 0.67$, and a larger $\beta$
#    with the same learning rate is under-damped.

# %% [markdown]
# ## Quiz

# %%
quiz_answers = {1: "a", 2: "b", 3: "b", 4: "b"}

# %%
check_quiz(quiz_answers)
