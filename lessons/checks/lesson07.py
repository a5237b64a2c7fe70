"""Checks for lesson 7 (optimizers): each exercise against `minishop.optim` on seeded inputs.

The expected values come from the library (SGD with momentum, Adam, warmup_cosine) or from a plain
average, on inputs whose sizes all differ and whose gradients span several orders of magnitude, so a
missing bias correction or a swapped argument shows. `library_adam_step` is the fallback the recommender's
training loop (lessons 8 and 13) uses when the learner's `adam_step` has not passed its check.
"""

import numpy as np

import minishop.nn as nn
import minishop.optim as optim

from . import check_function, quiz, save_piece


def check_piece(name, piece, runner, cases, **options):
    """check_function on `runner` (which calls the learner's `piece`), then save `piece` itself if it passed.

    The runner turns the learner's function into one array to compare (several steps, a gradient, ...);
    what later lessons `use()` is the learner's own function, not the runner.
    """
    if piece is None:
        return check_function(name, None, cases, **options)
    passed = check_function(name, runner, cases, save=False, **options)
    if passed:
        save_piece(name, piece)
    return passed


def _momentum_two_steps(step, w, g1, g2, lr=0.1, beta=0.9):
    """Apply the learner's step twice from a zero velocity; stack (w, velocity) to compare."""
    first = step(w.copy(), g1, np.zeros_like(w), lr, beta)
    if first is None:
        return None
    w1, b1 = first
    w2, b2 = step(w1, g2, b1, lr, beta)
    return np.stack([w2, b2])


def _library_momentum(w, g1, g2, lr=0.1, beta=0.9):
    weight = nn.Parameter(w.copy())
    optimizer = optim.SGD([weight], lr=lr, momentum=beta)
    for g in (g1, g2):
        weight.grad = g.copy()
        optimizer.step()
    return np.stack([weight.numpy(), optimizer.state_dict()["buffers"]["0.momentum_buffer"]])


def check_momentum_step(momentum_step):
    """Two heavy-ball steps against minishop.optim.SGD(momentum=beta)."""
    rng = np.random.default_rng(70)
    cases = [tuple(rng.standard_normal(n) for _ in range(3)) for n in (2, 5)]
    return check_piece(
        "momentum_step", momentum_step,
        lambda w, g1, g2: _momentum_two_steps(momentum_step, w, g1, g2),
        [(case, _library_momentum(*case)) for case in cases],
        points=2,
        hints=("The velocity is a running SUM of gradients (PyTorch's form), not a running mean: no (1 - beta) factor.",
               "Update the velocity first, then move w against the NEW velocity, scaled by lr.",
               "Return a pair: the new weights and the new velocity, in that order."),
    )


def library_adam_step(w, g, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    """One step of minishop.optim.Adam from state (m, v) at step number t: returns (new_w, new_m, new_v)."""
    weight = nn.Parameter(np.array(w, copy=True))
    optimizer = optim.Adam([weight], lr=lr, betas=(beta1, beta2), eps=eps)
    optimizer.state[0].update(exp_avg=np.array(m, copy=True), exp_avg_sq=np.array(v, copy=True))
    optimizer.step_count = t - 1  # step() counts this one as step t
    weight.grad = np.array(g, copy=True)
    optimizer.step()
    state = optimizer.state[0]
    return weight.data, state["exp_avg"], state["exp_avg_sq"]


def _three_adam_steps(adam_step, w, g1, g2, g3, lr=0.05):
    m, v = np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate((g1, g2, g3), start=1):
        result = adam_step(w, g, m, v, t, lr)
        if result is None:
            return None
        w, m, v = result
    return np.stack([w, m, v])


def _library_adam(w, g1, g2, g3, lr=0.05):
    weight = nn.Parameter(w.copy())
    optimizer = optim.Adam([weight], lr=lr)
    for g in (g1, g2, g3):
        weight.grad = g.copy()
        optimizer.step()
    buffers = optimizer.state_dict()["buffers"]
    return np.stack([weight.numpy(), buffers["0.exp_avg"], buffers["0.exp_avg_sq"]])


def check_adam_step(adam_step):
    """Three Adam steps against minishop.optim.Adam, with gradients of scale 1 and 100."""
    rng = np.random.default_rng(71)
    cases = [tuple(rng.standard_normal(n) * scale for _ in range(4)) for n, scale in ((3, 1.0), (4, 100.0))]
    return check_piece(
        "adam_step", adam_step,
        lambda w, g1, g2, g3: _three_adam_steps(adam_step, w, g1, g2, g3),
        [(case, _library_adam(*case)) for case in cases],
        points=3,
        hints=("m is a running MEAN of the gradients and v a running mean of their squares, each with its own beta.",
               "Before dividing, undo the zero start: divide m by (1 - beta1**t) and v by (1 - beta2**t).",
               "The step is lr times m_hat over (the square root of v_hat, plus eps); return (w, m, v) with the "
               "UNcorrected m and v, which the next step continues from."),
    )


def check_warmup_cosine(my_schedule):
    """Every step from 0 to 119 against minishop.optim.warmup_cosine(max_lr=1e-3, 10, 100)."""
    steps = np.arange(120)
    expected = np.array([optim.warmup_cosine(int(s), max_lr=1e-3, warmup_steps=10, total_steps=100) for s in steps])
    return check_piece(
        "my_schedule", my_schedule,
        lambda s: None if my_schedule(0) is None else np.array([my_schedule(int(i)) for i in s]),
        [((steps,), expected)],
        points=2, atol=1e-12, rtol=1e-9,
        hints=("Steps count from 0, and step 0 must already have a learning rate above 0.",
               "During warm-up the rate climbs linearly so that step 9 (the tenth step) reaches the maximum.",
               "After warm-up, p is the fraction of the remaining steps done (clipped at 1), and the cosine "
               "factor (1 + cos(pi p)) / 2 goes from 1 to 0."),
    )


def check_running_mean(running_mean):
    """The running mean of (n, d) weight vectors against the plain average of the first k rows."""
    rng = np.random.default_rng(72)
    weights = [rng.standard_normal((6, 3)), rng.standard_normal((4, 5)) * 10]
    return check_function(
        "running_mean",
        running_mean,
        [((w,), np.cumsum(w, axis=0) / np.arange(1, len(w) + 1)[:, None]) for w in weights],
        points=1,
        hints=("Row k of the output averages rows 0..k: k + 1 vectors, so the first output row is the first weight.",
               "The n-th update moves the mean a fraction 1/n of the way towards the new point (n counts from 1)."),
    )


def check_quiz(answers):
    """Lesson 7's quiz: one letter per question."""
    return quiz("quiz07", answers, {1: "a", 2: "b", 3: "b", 4: "b"}, points=2,
                hints=("Each question matches one section of the lesson: bias correction (2), weight decay (4), "
                       "the valley (3), averaging (7).",))
