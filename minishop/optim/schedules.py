"""Learning-rate schedules: plain functions of the step number.

Use them by setting the optimizer's learning rate before each step:

    for step in range(total_steps):
        optimizer.lr = warmup_cosine(step, max_lr=1e-3, warmup_steps=100, total_steps=total_steps)
        ...
        optimizer.step()
"""

import math


def warmup_cosine(step, max_lr, warmup_steps, total_steps, min_lr=0.0):
    """Linear warm-up from 0 to max_lr over warmup_steps, then a half cosine down to min_lr at total_steps.

    lr(s) = max_lr * (s + 1) / warmup_steps                                  for s < warmup_steps
    lr(s) = min_lr + (max_lr - min_lr) * (1 + cos(π * progress)) / 2         afterwards, where
    progress = (s - warmup_steps) / (total_steps - warmup_steps), clipped to [0, 1].
    The warm-up starts at max_lr / warmup_steps, not 0, so the first step already learns.
    """
    if not 0 <= warmup_steps <= total_steps or total_steps <= 0:
        raise ValueError(
            f"warmup_cosine: expected 0 <= warmup_steps ({warmup_steps}) <= total_steps ({total_steps}), "
            "total_steps > 0"
        )
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    decay_steps = max(total_steps - warmup_steps, 1)
    progress = min((step - warmup_steps) / decay_steps, 1.0)
    return min_lr + (max_lr - min_lr) * 0.5 * (1.0 + math.cos(math.pi * progress))


def step_decay(step, base_lr, step_size, gamma=0.1):
    """Multiply the learning rate by gamma every step_size steps: base_lr * gamma ** (step // step_size)."""
    if step_size <= 0:
        raise ValueError(f"step_decay(step_size={step_size!r}): expected a positive number of steps")
    return base_lr * gamma ** (step // step_size)
