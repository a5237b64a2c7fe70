# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 7 — Optimizers: SGD, momentum, Adam and AdamW
#
# Lesson 6 gave us the gradient $\nabla L(w)$: the direction in which the loss rises fastest. An
# **optimizer** turns gradients into steps. The simplest rule, $w \leftarrow w - \eta\,\nabla L(w)$, is
# slow exactly where real models live: in long, narrow valleys where the loss is steep across and flat
# along. This lesson runs four optimizers on the same valley, then on a small neural network, and adds
# the learning-rate **schedule** every transformer is trained with.
#
# **Learning goals.** After this lesson you can
# 1. write SGD, momentum and Adam updates in a few lines of NumPy, and say what each state variable holds;
# 2. explain why momentum helps in a badly-conditioned valley, and why Adam's step size barely depends on the gradient's scale;
# 3. tell Adam's L2 penalty from AdamW's decoupled weight decay — and see why they differ;
# 4. plot a linear warm-up + cosine schedule and use it with `minishop.optim`;
# 5. train a small `minishop.nn` model with `SGD`, `Adam` and `AdamW` and compare loss curves;
# 6. explain why the average of the weights a noisy optimizer visits beats its last point (weight averaging).
#
# **Prerequisites.** Lesson 6 (gradients and `.backward()`); NumPy; the idea of a loss function.
#
# **Study time:** about 2 hours (the notebook itself runs in well under two minutes).
#
# **Your code, later:** your `adam_step` (exercise 2) is the optimizer that trains your recommender in
# lessons 8 and 13, once it passes its check.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

import minishop
import minishop.functional as F
import minishop.nn as nn
import minishop.optim as optim
from minishop import Tensor
from minishop.optim import WeightAverage
from checks import hint, use  # noqa: F401  (hint(name, 2) shows the next hint of an exercise)
from checks.lesson07 import (check_adam_step, check_momentum_step, check_quiz, check_running_mean,
                             check_warmup_cosine)

minishop.manual_seed(0)
rng = np.random.default_rng(0)
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. A badly-conditioned valley
#
# Our test problem is a quadratic bowl $L(w) = \tfrac12 w^\top A w$ whose curvature is 100 times larger
# in one direction than in the other (the **condition number** $\kappa = 100$), rotated by 30° so that the
# narrow direction is not aligned with an axis. Its gradient is $\nabla L = Aw$ and its minimum is $w = 0$.
#
# Gradient descent is stable only if $\eta < 2/\lambda_{\max}$ (here $2/100$): the step must not overshoot
# the steep direction. But then along the flat direction ($\lambda_{\min} = 1$) each step shrinks the error
# by only $1 - \eta\lambda_{\min} \approx 0.98$. That is the whole problem in one line: **the steep
# direction limits the step, the flat direction needs many of them.**

# %%
angle = math.radians(30)
R = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
A = R @ np.diag([1.0, 100.0]) @ R.T  # (2, 2), eigenvalues 1 and 100
w_start = np.array([-4.0, 2.0])


def loss(w):
    return 0.5 * w @ A @ w


def gradient(w):
    return A @ w


print("eigenvalues:", np.linalg.eigvalsh(A), "  loss at the start:", loss(w_start))

# %% [markdown]
# ## 2. Three update rules in NumPy
#
# Each optimizer below takes the gradient $g$ and its own state and returns the new weights.
#
# **SGD:** $w \leftarrow w - \eta g$.
#
# **Momentum** (heavy ball, in PyTorch's form): keep a velocity $b$, a running sum of past gradients,
# $b \leftarrow \beta b + g$, $w \leftarrow w - \eta b$. Across the valley the gradients alternate in sign and
# cancel in $b$; along the valley they agree and add up, so the step there grows by up to $1/(1-\beta)$.
#
# **Adam** keeps running means of the gradient and of its square, per coordinate:
#
# $$m \leftarrow \beta_1 m + (1-\beta_1) g, \qquad v \leftarrow \beta_2 v + (1-\beta_2) g^2,$$
# $$\hat m = \frac{m}{1-\beta_1^t},\quad \hat v = \frac{v}{1-\beta_2^t}, \qquad w \leftarrow w - \eta\,\frac{\hat m}{\sqrt{\hat v} + \varepsilon}.$$
#
# The division by $\sqrt{\hat v}$ makes each coordinate move by about $\eta$ whatever the gradient's scale;
# the $1-\beta^t$ factors undo the bias of starting $m$ and $v$ at zero ($t$ counts steps from 1).
#
# ### Exercise 1 — the momentum step
# Write `momentum_step(w, g, velocity, lr, beta)` returning the pair `(new_w, new_velocity)` of the rule
# above. It is checked against two steps of `minishop.optim.SGD(..., momentum=beta)`.

# %%
def momentum_step(w, g, velocity, lr, beta):
    """One heavy-ball step: velocity = beta * velocity + g; w = w - lr * velocity."""
    return None  # your code here


# %%
check_momentum_step(momentum_step)  # two steps against minishop.optim.SGD(momentum=beta)

# %% [markdown]
# ### Exercise 2 — the Adam step
# Write `adam_step(w, g, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8)` returning `(new_w, new_m, new_v)`,
# with the bias correction of step number `t` (1 for the first step). It is checked against three steps of
# `minishop.optim.Adam`.

# %%
def adam_step(w, g, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    """One Adam step (Kingma & Ba 2015) at step number t >= 1."""
    return None  # your code here


# %%
check_adam_step(adam_step)  # three steps against minishop.optim.Adam, gradients of scale 1 and 100

# %% [markdown]
# ## 3. The race through the valley
#
# Here are our reference NumPy versions of the three rules, run for 100 steps from the same start. Each
# learning rate is (roughly) the best of a small grid for that method; SGD's is near its stability limit.

# %%
def sgd_path(lr, steps=100):
    w, path = w_start.copy(), [w_start.copy()]
    for _ in range(steps):
        w = w - lr * gradient(w)
        path.append(w.copy())
    return np.array(path)


def momentum_path(lr, beta=0.9, steps=100):
    w, velocity, path = w_start.copy(), np.zeros(2), [w_start.copy()]
    for _ in range(steps):
        velocity = beta * velocity + gradient(w)
        w = w - lr * velocity
        path.append(w.copy())
    return np.array(path)


def adam_path(lr, beta1=0.9, beta2=0.999, eps=1e-8, steps=100):
    w, m, v, path = w_start.copy(), np.zeros(2), np.zeros(2), [w_start.copy()]
    for t in range(1, steps + 1):
        g = gradient(w)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        w = w - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
        path.append(w.copy())
    return np.array(path)


paths = {
    "SGD (η=0.019)": sgd_path(0.019),
    "momentum (η=0.02, β=0.8)": momentum_path(0.02, beta=0.8),
    "Adam (η=0.5)": adam_path(0.5),
}

grid = np.linspace(-5, 5, 200)
W1, W2 = np.meshgrid(grid, grid)
Z = 0.5 * (A[0, 0] * W1**2 + 2 * A[0, 1] * W1 * W2 + A[1, 1] * W2**2)
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8))
left.contour(W1, W2, Z, levels=np.geomspace(0.05, 200, 15), cmap="Greys")
for name, path in paths.items():
    left.plot(path[:, 0], path[:, 1], ".-", ms=4, label=name)
    right.semilogy([loss(w) for w in path], label=name)
left.plot(0, 0, "k*", ms=12)
left.set_aspect("equal")
left.set_title("paths from (-4, 2) to the minimum ★")
left.legend(loc="lower right")
right.set_xlabel("step")
right.set_ylabel("loss (log scale)")
right.set_title("loss curves")
right.legend()
plt.show()
for name, path in paths.items():
    print(f"{name:26s} loss after 100 steps {loss(path[-1]):.2e}")

# %% [markdown]
# SGD zig-zags across the valley and then crawls along it: after the steep direction is solved, each
# step shrinks the loss by only $(1-\eta\lambda_{\min})^2 \approx 0.96$. Momentum swings across the valley
# (a heavy ball overshoots) but builds up speed along it, and its final loss (printed above) is far lower.
# Adam rescales each coordinate, so its first steps head straight for the minimum at the same speed in both
# coordinates — but near the minimum its steps stay about $\eta$ in size until $\hat v$ shrinks, so it
# circles and jitters. On a small, smooth, *deterministic* problem like this one, Adam is not the winner;
# its strengths show on noisy mini-batch gradients and on parameters with very different gradient scales,
# as in section 6. And with Adam, **the learning rate must decay** to settle — one reason for schedules
# (section 5).
#
# ## 4. Weight decay: Adam + L2 is not AdamW
#
# Weight decay pulls the weights towards zero to fight over-fitting. The classical way adds
# $\tfrac{\lambda}{2}\lVert w\rVert^2$ to the loss, i.e. $\lambda w$ to the gradient: `Adam(weight_decay=λ)`.
# But Adam then divides that term by $\sqrt{\hat v}$ like any gradient, so weights with large gradients are
# barely decayed and the decay's strength no longer scales with $\lambda$ the way we meant.
# **AdamW** (Loshchilov & Hutter, 2019) decouples it: $w \leftarrow w - \eta\lambda w$, then the Adam step
# on the loss gradient alone.
#
# The extreme case shows it plainly: a weight whose loss gradient is zero. Under AdamW it decays
# exponentially at the rate $\eta\lambda$. Under Adam + L2 the only gradient is $\lambda w$, and Adam divides
# it by its own running RMS: $\lambda$ cancels out, and the weight follows **the same curve for every
# $\lambda$** (the two blue curves lie on top of each other). The knob $\lambda$ does nothing here.

# %%
def decay_curve(optimizer_class, weight_decay, lr=0.01, steps=300):
    weight = nn.Parameter(np.array([1.0]))
    optimizer = optimizer_class([weight], lr=lr, weight_decay=weight_decay)
    curve = []
    for _ in range(steps):
        weight.grad = np.zeros(1)  # the loss does not depend on this weight
        optimizer.step()
        curve.append(weight.item())
    return curve


fig, ax = plt.subplots(figsize=(7, 4))
for weight_decay, style in ((0.1, "-"), (1.0, "--")):
    ax.plot(decay_curve(optim.Adam, weight_decay), "C0" + style, label=f"Adam + L2, λ={weight_decay}")
    ax.plot(decay_curve(optim.AdamW, weight_decay), "C1" + style, label=f"AdamW, λ={weight_decay}")
ax.set_xlabel("step")
ax.set_ylabel("weight")
ax.set_title("a weight with no loss gradient, lr = 0.01")
ax.legend()
plt.show()

# %% [markdown]
# ## 5. Learning-rate schedules: warm-up, then cosine
#
# Transformers are trained with a learning rate that **rises linearly** for the first steps (while Adam's
# $\hat v$ is still a poor estimate and the first updates are noisy) and then **decays** along half a cosine
# to (nearly) zero, so the final steps settle into a minimum. minishop's `warmup_cosine` is
#
# $$\eta(s) = \begin{cases} \eta_{\max}\,\dfrac{s+1}{s_{\text{warm}}} & s < s_{\text{warm}} \\[2mm]
# \eta_{\min} + (\eta_{\max}-\eta_{\min})\,\dfrac{1 + \cos(\pi p)}{2},\quad p = \dfrac{s - s_{\text{warm}}}{s_{\text{total}} - s_{\text{warm}}} & \text{otherwise,}\end{cases}$$
#
# with $p$ clipped to at most 1, and $s$ counting steps from 0.
#
# ### Exercise 3 — the schedule
# Write `my_schedule(step)` returning the learning rate of step `step` for $\eta_{\max} = 10^{-3}$,
# $s_{\text{warm}} = 10$, $s_{\text{total}} = 100$, $\eta_{\min} = 0$. It is compared with
# `minishop.optim.warmup_cosine` at every step from 0 to 119.

# %%
def my_schedule(step):
    """Linear warm-up over 10 steps to 1e-3, then a half cosine to 0 at step 100."""
    return None  # your code here


# %%
check_warmup_cosine(my_schedule)  # every step 0..119 against minishop.optim.warmup_cosine

# %%
total = 300
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot([optim.warmup_cosine(s, max_lr=1e-2, warmup_steps=30, total_steps=total) for s in range(total)],
        label="warm-up 30 steps + cosine")
ax.plot([optim.warmup_cosine(s, max_lr=1e-2, warmup_steps=30, total_steps=total, min_lr=1e-3) for s in range(total)],
        label="… with min_lr = 1e-3")
ax.plot([optim.step_decay(s, base_lr=1e-2, step_size=100, gamma=0.3) for s in range(total)], label="step decay ×0.3 every 100")
ax.set_xlabel("step")
ax.set_ylabel("learning rate")
ax.legend()
plt.show()

# %% [markdown]
# ## 6. A small network: the same optimizers on a real loss
#
# The valley had two weights. A neural network has thousands, and its loss is not a quadratic — but
# it has the same narrow valleys. We classify 3 interleaved spirals of 2-D points with a two-layer
# `minishop.nn` network (GELU, 64 hidden units, cross-entropy), and train it for 300 full-batch steps with
# each optimizer from the **same** initial weights.

# %%
def make_spirals(points_per_class=100, classes=3, noise=0.2):
    points, labels = [], []
    for c in range(classes):
        radius = np.linspace(0.05, 1.0, points_per_class)
        theta = np.linspace(c * 4.0, (c + 1) * 4.0, points_per_class) + rng.standard_normal(points_per_class) * noise
        points.append(np.stack([radius * np.sin(theta), radius * np.cos(theta)], axis=1))
        labels.append(np.full(points_per_class, c))
    return np.concatenate(points).astype(np.float32), np.concatenate(labels)


points, labels = make_spirals()  # (300, 2), (300,)


class TwoLayerNet(nn.Module):
    def __init__(self, d_in=2, d_hidden=64, n_classes=3):
        super().__init__()
        self.hidden = nn.Linear(d_in, d_hidden)
        self.output = nn.Linear(d_hidden, n_classes)

    def forward(self, x):  # x (N, 2)
        return self.output(F.gelu(self.hidden(x)))  # (N, 3) logits


minishop.manual_seed(1)
initial_state = TwoLayerNet().state_dict()  # every run starts from these weights


def train(make_optimizer, steps=300, schedule=None):
    model = TwoLayerNet()
    model.load_state_dict(initial_state)
    optimizer = make_optimizer(model.parameters())
    losses = []
    for step in range(steps):
        if schedule is not None:
            optimizer.lr = schedule(step)
        loss_value = F.cross_entropy(model(Tensor(points)), labels)
        optimizer.zero_grad()
        loss_value.backward()
        optimizer.step()
        losses.append(loss_value.item())
    return model, losses


runs = {
    "SGD η=1.0": lambda params: optim.SGD(params, lr=1.0),
    "SGD + momentum η=0.2, β=0.9": lambda params: optim.SGD(params, lr=0.2, momentum=0.9),
    "Adam η=0.02": lambda params: optim.Adam(params, lr=0.02),
    "AdamW η=0.02, λ=0.01": lambda params: optim.AdamW(params, lr=0.02, weight_decay=0.01),
}
curves, models = {}, {}
for name, make in runs.items():
    models[name], curves[name] = train(make)
schedule = lambda step: optim.warmup_cosine(step, max_lr=0.1, warmup_steps=30, total_steps=300)  # noqa: E731
models["AdamW + warm-up/cosine"], curves["AdamW + warm-up/cosine"] = train(
    lambda params: optim.AdamW(params, lr=0.0, weight_decay=0.01), schedule=schedule)

fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
for name, curve in curves.items():
    left.plot(curve, label=f"{name} (final {curve[-1]:.3f})")
left.set_yscale("log")
left.set_xlabel("step")
left.set_ylabel("cross-entropy (log scale)")
left.legend(fontsize=8)
best = min(curves, key=lambda name: curves[name][-1])
grid_x, grid_y = np.meshgrid(np.linspace(-1.2, 1.2, 120), np.linspace(-1.2, 1.2, 120))
grid_points = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1).astype(np.float32)
with minishop.no_grad():
    predicted = models[best](Tensor(grid_points)).numpy().argmax(axis=1)
right.contourf(grid_x, grid_y, predicted.reshape(grid_x.shape), alpha=0.3, cmap="brg", levels=[-0.5, 0.5, 1.5, 2.5])
right.scatter(points[:, 0], points[:, 1], c=labels, cmap="brg", s=8)
right.set_title(f"decision regions of '{best}'")
right.set_aspect("equal")
plt.show()

# %% [markdown]
# Read the final losses in the legend: on this problem the adaptive methods end far below plain SGD, and
# momentum beats plain SGD (a spike in a curve is a step that overshot; it recovers). With the warm-up +
# cosine schedule AdamW can start from a five times larger peak learning rate and still settle at the end.
# The exact order depends on the learning rates — a fair comparison tunes each one (try it: change them
# above) — but the pattern is typical. Warm-up + cosine with AdamW is the standard recipe for large
# transformers. Our shop recommender is small and trains for a few epochs, and its default recipe is
# simpler. Do not take a sentence's word for it: the next cell prints it from the recommender's own
# configuration.

# %%
from minishop.recsys.training import RecommenderConfig

recipe = RecommenderConfig().train_config()  # what `minishop train` hands to the shared training loop
print(f"optimizer {recipe.optimizer} (betas {recipe.betas}), weight decay {recipe.weight_decay}, "
      f"warm-up {recipe.warmup_steps} steps, then a {recipe.schedule} learning rate {recipe.lr}, "
      f"gradients clipped to norm {recipe.clip_grad_norm}")

# %% [markdown]
# Two more tools from `minishop.optim` you will meet in lesson 8: `clip_grad_norm(parameters, max_norm)`
# rescales all gradients together when their joint norm is too large (one bad batch cannot throw the
# weights far away), and `optimizer.state_dict()` saves $m$, $v$ and the step count in a checkpoint.

# %% [markdown]
# ## 7. Averaging the weights: the centre of the noise
#
# With a **constant** learning rate and noisy gradients (every real batch is a random sample, and dropout
# adds more noise), the weights never settle: they keep bouncing around the minimum in a cloud whose size
# grows with the step. Any one point of the cloud is off-centre; the **mean** of many points is close to
# the centre. Stochastic weight averaging (SWA; Izmailov et al. 2018) keeps exactly that mean, one point
# per epoch, without storing the points:
#
# $$\bar w_n = \bar w_{n-1} + \frac{w_n - \bar w_{n-1}}{n},$$
#
# and evaluates $\bar w$ while training continues from $w$. `minishop.optim.WeightAverage` does this, and
# `TrainConfig(average_from=S)` switches it on from epoch $S$ (in lesson 8's training loop). On Amazon
# Video Games it is worth about 0.01 NDCG@10 for the recommender (see `bench/README.md`).
#
# ### Exercise 4 — the running mean
# Write `running_mean(weights)` that walks through the rows of `weights` (shape (n, d): n weight vectors)
# with the update above and returns $\bar w_1, \dots, \bar w_n$ as an (n, d) array. It is compared with
# the plain average of the first $k$ rows, for every $k$.

# %%
def running_mean(weights):
    """(n, d) weight vectors -> (n, d): row k is the mean of rows 0..k, by the running update."""
    return None  # your code here


# %%
check_running_mean(running_mean)  # against the plain average of the first k rows

# %% [markdown]
# Now the picture. SGD on the valley of section 1, but each gradient gets noise (as a mini-batch would
# give it), with a constant step. From step 200 on (once the walk has reached the valley's floor) we average
# the points.

# %%
noise_rng = np.random.default_rng(7)
w, path = w_start.copy(), []
for step in range(800):
    noisy_gradient = A @ w + noise_rng.standard_normal(2) * 3.0  # the true gradient plus mini-batch noise
    w = w - 0.015 * noisy_gradient
    path.append(w.copy())
path = np.array(path)  # (800, 2)
weight = nn.Parameter(path[199].copy())  # a Parameter that training would move: here we move it along path
average = WeightAverage([weight])
for point in path[200:]:
    weight.data = point.copy()
    average.update()  # w̄ <- w̄ + (w - w̄) / n
with average.applied():  # inside, the Parameter holds the mean
    w_bar = weight.data.copy()

fig, ax = plt.subplots(figsize=(6, 4.5))
ax.contour(W1, W2, Z, levels=np.geomspace(0.01, 20, 12), colors="lightgray")
ax.plot(path[200:, 0], path[200:, 1], ".", ms=3, alpha=0.5, label="noisy SGD's weights, steps 200-800")
ax.plot(*path[-1], "o", color="tab:orange", label=f"last weights: loss {loss(path[-1]):.3f}")
ax.plot(*w_bar, "*", ms=14, color="tab:red", label=f"their average: loss {loss(w_bar):.4f}")
ax.plot(0, 0, "k+", ms=12, label="minimum")
ax.set_xlim(-1.5, 1.5)
ax.set_ylim(-1.2, 1.2)
ax.set_aspect("equal")
ax.legend(fontsize=8, loc="lower right")
plt.show()
mean_loss = np.mean([loss(point) for point in path[200:]])
print(f"loss of the last point {loss(path[-1]):.4f}; mean loss of the points {mean_loss:.4f}; "
      f"loss of their average {loss(w_bar):.4f}")

# %% [markdown]
# The cloud is stretched along the valley's flat direction, where the noise pushes the weights furthest and
# the gradient pulls them back slowest. The average lands almost on the minimum: compare the printed loss of
# the average with the mean loss of the points. A smaller learning rate would shrink the cloud too, but also slow the
# walk; averaging gets the centre without slowing anything down.

# %% [markdown]
# ## Reflection
#
# The recommender that `minishop train` builds for the bundled shop has this many parameters:

# %%
from minishop.data import prepare
from minishop.recsys import SequentialRecommender
from minishop.recsys.defaults import choose

shop = prepare()
config, _ = choose(RecommenderConfig(), shop.split)  # max_len, dropout, ...: chosen from the shop's histories
shop_model = SequentialRecommender(shop.n_items, d_model=config.d_model, n_blocks=config.n_blocks,
                                   n_heads=config.n_heads, max_len=config.max_len)
print(f"shop recommender: {shop_model.num_parameters():,} parameters")

# %% [markdown]
# 1. Adam stores two extra numbers per parameter. For the shop recommender's parameters (printed above) in
#    float32, how much memory is that? And for a 7-billion-parameter language model?
# 2. Why does the warm-up matter more for Adam than for SGD? (Think of $\hat v$ after one step.)
# 3. Section 3 runs momentum with $\beta = 0.8$. Try $0.9$ and $0.95$: what happens, and why? (For a
#    quadratic the best choice is $\beta = \big((\sqrt\kappa - 1)/(\sqrt\kappa + 1)\big)^2$ with a matching
#    learning rate; here $\kappa = 100$.)
#
# ## Summary
# - SGD's step is limited by the steepest direction; momentum accumulates speed along consistent directions.
# - Adam divides by a running RMS of each coordinate's gradient: steps of size ≈ η whatever the scale,
#   with bias correction for the zero start.
# - AdamW decays weights directly ($w \leftarrow w - \eta\lambda w$) instead of through the gradient.
# - Warm-up then cosine decay: gentle start while statistics are poor, small steps at the end to settle.
# - Weight averaging: with a constant step the weights bounce around the minimum; their running mean
#   $\bar w_n = \bar w_{n-1} + (w_n - \bar w_{n-1})/n$ sits near its centre (`TrainConfig(average_from=...)`).
#
# **Next:** lesson 8 puts attention, backpropagation and your Adam step together and trains the recommender.

# %% [markdown]
# ## Quiz
# Answer each question with the letter of one choice, then run the check.
#
# 1. Adam's $1 - \beta_1^t$ factor matters most (a) at the first steps, (b) after thousands of steps, (c) only with weight decay.
# 2. With Adam + L2 (not AdamW), a weight with zero loss gradient decays (a) faster for a larger $\lambda$, (b) along the same curve for every $\lambda$, (c) not at all.
# 3. Momentum helps in a narrow valley because (a) it makes each step smaller, (b) gradients across the valley cancel while those along it add up, (c) it normalises each coordinate.
# 4. Weight averaging needs (a) a copy of every visited point, (b) one running mean updated by $(w - \bar w)/n$, (c) a decaying learning rate.

# %%
quiz_answers = {1: None, 2: None, 3: None, 4: None}  # your answers: "a", "b" or "c"

# %%
check_quiz(quiz_answers)
