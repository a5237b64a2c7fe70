# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 6 — Backpropagation and gradient checking
#
# Training a recommender means nudging hundreds of thousands of numbers so that a loss goes down. To know
# which way to nudge each number we need the **gradient** of the loss with respect to all of them, and we
# need it fast: about the cost of one forward pass. Reverse-mode automatic differentiation —
# *backpropagation* — does exactly that by applying the chain rule over the **computation graph**.
#
# This lesson builds backpropagation for scalars in 30 lines, then looks at how minishop does it for
# arrays, derives one op's backward by hand (softmax), and checks gradients the way every op in minishop
# is checked: against **finite differences**.
#
# **Learning goals.** After this lesson you can
# 1. draw the computation graph of an expression and run the chain rule backwards over it;
# 2. write a tiny scalar autograd engine (`Value`) and compare it with `minishop.Tensor`;
# 3. derive and code the backward of the softmax as a vector–Jacobian product;
# 4. compute numerical gradients by central differences, and choose the step size $\varepsilon$;
# 5. use `minishop.gradcheck`, and read its message when a backward is wrong;
# 6. add a new op to minishop through its public op hook (`minishop.Function`), with a backward you derived,
#    and prove it right with `gradcheck` — your op then runs inside the recommender of lesson 13.
#
# **Prerequisites.** Derivatives of one variable and the chain rule; NumPy arrays; lesson 5 (softmax).
#
# **Study time:** about 3 hours (see lessons/README.md).

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

import minishop
import minishop.functional as F
from minishop import Tensor
from checks import hint, use
from checks.lesson06 import (check_df_db, check_gelu, check_numerical_gradient, check_quiz,
                             check_softmax_backward)

minishop.manual_seed(0)
rng = np.random.default_rng(0)
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. A computation graph and the chain rule
#
# Take $f(a, b, c) = \tanh(a b + c)$. A computer evaluates it in small steps, each a node of a graph:
#
# $$p = a\cdot b, \qquad u = p + c, \qquad f = \tanh(u).$$
#
# Each step knows its **local** derivative: $\partial p/\partial a = b$, $\partial u/\partial p = 1$,
# $\partial f/\partial u = 1 - \tanh^2 u$. The chain rule multiplies local derivatives along the path from
# the output back to an input:
#
# $$\frac{\partial f}{\partial a} = \frac{\partial f}{\partial u}\,\frac{\partial u}{\partial p}\,\frac{\partial p}{\partial a} = (1 - \tanh^2 u)\cdot 1 \cdot b .$$
#
# Backpropagation computes these products **once** for all inputs, walking the graph from the output:
# each node receives $\partial f/\partial(\text{node})$ from the nodes that used it (*summing* when a value
# is used several times), multiplies by its local derivative and passes the result to its parents. To visit
# a node only after every user has sent its share, we walk the nodes in reverse **topological order**.
#
# Here is the whole idea as a class, in the spirit of Karpathy's micrograd:

# %%
class Value:
    """A scalar that remembers how it was computed, so it can backpropagate."""

    def __init__(self, data, parents=(), op="", label=""):
        self.data, self.grad = float(data), 0.0
        self.parents, self.op, self.label = parents, op, label
        self._backward = lambda: None  # sends self.grad to the parents, times the local derivative

    def __add__(self, other):
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():  # d(a+b)/da = d(a+b)/db = 1
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        out = Value(self.data * other.data, (self, other), "×")

        def _backward():  # d(ab)/da = b, d(ab)/db = a
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward():  # d tanh(x)/dx = 1 - tanh(x)^2
            self.grad += (1 - t * t) * out.grad

        out._backward = _backward
        return out

    def backward(self):
        """Topological order by an explicit-stack depth-first search (no recursion), then the chain rule in reverse."""
        order, visited, stack = [], set(), [(self, False)]
        while stack:
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)  # all its parents are already in `order`
            elif node not in visited:
                visited.add(node)
                stack.append((node, True))
                stack.extend((parent, False) for parent in node.parents)
        self.grad = 1.0  # df/df
        for node in reversed(order):
            node._backward()
        return order


a, b, c = Value(0.5, label="a"), Value(-1.5, label="b"), Value(0.8, label="c")
p = a * b
p.label = "p = a×b"
u = p + c
u.label = "u = p+c"
f = u.tanh()
f.label = "f = tanh(u)"
order = f.backward()
for node in order:
    print(f"{node.label:12s} value {node.data:+.4f}   df/d(node) {node.grad:+.4f}")

# %% [markdown]
# The graph, with each node's value (top) and gradient (bottom, in red) after `backward()`:

# %%
positions = {a: (0, 2), b: (0, 1), c: (0, 0), p: (1, 1.5), u: (2, 0.75), f: (3, 0.75)}
fig, ax = plt.subplots(figsize=(9, 3.5))
for node, (x_pos, y_pos) in positions.items():
    for parent in node.parents:
        px, py = positions[parent]
        ax.annotate("", xy=(x_pos - 0.18, y_pos), xytext=(px + 0.18, py),
                    arrowprops=dict(arrowstyle="->", color="gray"))
    ax.text(x_pos, y_pos, f"{node.label}\n{node.data:+.3f}", ha="center", va="center",
            bbox=dict(boxstyle="round", facecolor="lightyellow"))
    ax.text(x_pos, y_pos - 0.42, f"grad {node.grad:+.3f}", ha="center", color="crimson")
ax.set_xlim(-0.5, 3.5)
ax.set_ylim(-0.6, 2.5)
ax.axis("off")
ax.set_title("forward: values flow right  ·  backward: gradients flow left")
plt.show()

# %% [markdown]
# ### Exercise 1 — the chain rule by hand (1 point)
# Using only the chain rule and the values printed above ($a = 0.5$, $b=-1.5$, $c = 0.8$), compute
# $\partial f/\partial b$ **as a formula** in NumPy/`math` (do not read it off the `Value` output!) and
# store the number in `df_db`.

# %%
df_db = None  # your code here

# %%
check_df_db(df_db)

# %% [markdown]
# ## 2. The same graph in minishop
#
# `minishop.Tensor` does the same for arrays. Each op records its parents and a `_backward` function
# beside its forward code (read `minishop/tensor.py`, which starts with this very explanation). We get the
# same three gradients:

# %%
ta, tb, tc = (Tensor(np.array(v), requires_grad=True) for v in (0.5, -1.5, 0.8))  # float64 scalars
tf = (ta * tb + tc).tanh()
tf.backward()
print("minishop:", ta.grad, tb.grad, tc.grad)
print("Value:   ", a.grad, b.grad, c.grad)

# %% [markdown]
# ## 3. Arrays: the backward is a vector–Jacobian product
#
# For arrays, each node receives $G = \partial L/\partial Y$ (same shape as its output $Y$) and must return
# $\partial L/\partial X$ for each input (same shape as that input). It never builds the full Jacobian.
# For a matrix product $Y = XW$ with $X$ of shape $(N, D)$ and $W$ of shape $(D, M)$:
#
# $$\frac{\partial L}{\partial X} = G\,W^\top \;\;(N, D), \qquad \frac{\partial L}{\partial W} = X^\top G \;\;(D, M).$$
#
# A trick to remember it: these are the only products of $G$ with the other factor that have the right shape.

# %%
X_np, W_np = rng.standard_normal((4, 3)), rng.standard_normal((3, 2))  # (N=4, D=3), (D=3, M=2)
G_np = rng.standard_normal((4, 2))  # pretend dL/dY
Xt, Wt = Tensor(X_np, requires_grad=True), Tensor(W_np, requires_grad=True)
(Xt @ Wt).backward(G_np)  # backward with a given upstream gradient G
print("dL/dX = G Wᵀ:", np.allclose(Xt.grad, G_np @ W_np.T), "   dL/dW = Xᵀ G:", np.allclose(Wt.grad, X_np.T @ G_np))

# %% [markdown]
# ## 4. Deriving one op's backward: the softmax
#
# For one row, $y_i = e^{x_i} / \sum_k e^{x_k}$. Its Jacobian is
#
# $$\frac{\partial y_i}{\partial x_j} = y_i(\delta_{ij} - y_j),$$
#
# (differentiate the quotient: the numerator gives $y_i\delta_{ij}$, the denominator $-y_i y_j$). Given
# the upstream gradient $g = \partial L / \partial y$, the vector–Jacobian product is
#
# $$\frac{\partial L}{\partial x_j} = \sum_i g_i\, y_i(\delta_{ij} - y_j) = y_j\Big(g_j - \sum_i g_i y_i\Big).$$
#
# No $T\times T$ Jacobian is needed: one dot product per row. It only uses the output $y$, so the forward
# can keep $y$ and throw $x$ away.
#
# ### Exercise 2 — code the softmax backward (2 points)
# Write `softmax_backward(y, g)` for arrays of shape `(N, C)` (softmax over the last axis): `y` is the
# softmax output and `g` the upstream gradient; return $\partial L/\partial x$, same shape. It is checked
# against minishop's autograd on inputs you have not seen.

# %%
def softmax_backward(y, g):
    """dL/dx for y = softmax(x, axis=-1), given g = dL/dy; all (N, C)."""
    return None  # your code here


# %%
check_softmax_backward(softmax_backward)

# %% [markdown]
# ## 5. Gradient checking by finite differences
#
# How do we know a hand-derived backward is right? Compare it with the definition of the derivative.
# The **central difference**
#
# $$\frac{\partial f}{\partial x_i} \approx \frac{f(x + \varepsilon e_i) - f(x - \varepsilon e_i)}{2\varepsilon}$$
#
# has an error of order $\varepsilon^2$ (the $\varepsilon^2$ terms of the two Taylor expansions cancel),
# against $\varepsilon$ for the one-sided $\big(f(x+\varepsilon e_i) - f(x)\big)/\varepsilon$. But $\varepsilon$
# cannot be tiny: $f$ is only known to about $10^{-16}|f|$ in float64, and dividing that round-off by
# $\varepsilon$ amplifies it. The plot shows the trade-off for $f(x) = \sin(x)\,e^{x}$ at $x = 0.7$.

# %%
def f_scalar(x):
    return np.sin(x) * np.exp(x)


x0 = 0.7
exact = (np.cos(x0) + np.sin(x0)) * np.exp(x0)
epsilons = np.logspace(-14, -1, 40)
forward_error = [abs((f_scalar(x0 + e) - f_scalar(x0)) / e - exact) for e in epsilons]
central_error = [abs((f_scalar(x0 + e) - f_scalar(x0 - e)) / (2 * e) - exact) for e in epsilons]
x32 = np.float32(x0)
central_error32 = [abs(float((f_scalar(x32 + np.float32(e)) - f_scalar(x32 - np.float32(e))) / (2 * np.float32(e))) - exact)
                   for e in epsilons]

fig, ax = plt.subplots(figsize=(7, 4))
ax.loglog(epsilons, forward_error, "o-", ms=3, label="one-sided, float64")
ax.loglog(epsilons, central_error, "s-", ms=3, label="central, float64")
ax.loglog(epsilons, central_error32, "^-", ms=3, label="central, float32")
ax.axvline(1e-6, color="gray", ls=":", label="ε = 1e-6 (minishop.gradcheck)")
ax.set_xlabel("ε")
ax.set_ylabel("|numeric − exact|")
ax.set_title("Truncation error falls with ε, round-off error grows as ε shrinks")
ax.legend()
plt.show()
for label, errors in [("central, float64", central_error), ("central, float32", central_error32)]:
    best = int(np.argmin(errors))
    print(f"{label}: smallest error {errors[best]:.1e} at ε = {epsilons[best]:.0e}")

# %% [markdown]
# Central differences in float64 are far more accurate than in float32, and their best $\varepsilon$ is much
# smaller (printed above). That is why gradient checks always run in **float64**
# (`minishop.set_default_dtype("float64")`), while training runs in float32.
#
# ### Exercise 3 — a numerical gradient (2 points)
# Write `numerical_gradient(f, x, eps=1e-6)` that returns the central-difference gradient of a scalar
# function `f` at the float64 array `x` (any shape): one pair of evaluations per element. Loop over
# `np.ndindex(x.shape)`, and restore each element after perturbing it.

# %%
def numerical_gradient(f, x, eps=1e-6):
    """Central differences: grad[i] = (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)."""
    return None  # your code here


# %%
check_numerical_gradient(numerical_gradient)

# %% [markdown]
# ## 6. `minishop.gradcheck`, and what a wrong backward looks like
#
# `minishop.gradcheck(fn, inputs)` does this for every element of every input Tensor, in float64, and
# compares with what `.backward()` computes. A non-scalar output is reduced to a scalar by a fixed random
# projection, so that every output element takes part. Every op and layer of minishop passes it in the
# test suite. Here are two ops with hand-written backwards — the softmax we just derived and the layer norm:

# %%
minishop.set_default_dtype("float64")
logits = Tensor(rng.standard_normal((3, 5)), requires_grad=True)
print(minishop.gradcheck(lambda x: F.softmax(x, axis=-1), [logits]))
h = Tensor(rng.standard_normal((2, 3, 6)), requires_grad=True)
gamma, beta = Tensor(rng.standard_normal(6), requires_grad=True), Tensor(rng.standard_normal(6), requires_grad=True)
print(minishop.gradcheck(lambda x, w, b: F.layer_norm(x, w, b), [h, gamma, beta]))

# %% [markdown]
# Now a bug. A classic one: writing the softmax by hand but cutting a path out of the graph — here the
# normaliser is `detach()`-ed, so backpropagation forgets that changing $x_j$ also changes the denominator.
# The forward values are still exactly right (so a test of outputs only would pass); the gradient is not:

# %%
def buggy_softmax(x):
    e = x.exp()
    return e / e.sum(axis=-1, keepdims=True).detach()  # BUG: the denominator is treated as a constant


print("forward is right:", np.allclose(buggy_softmax(logits).numpy(), F.softmax(logits, axis=-1).numpy()))
try:
    minishop.gradcheck(buggy_softmax, [logits])
except AssertionError as error:
    print("gradcheck caught it:\n", error)

# %% [markdown]
# The message names the input, the element where analytic and numeric gradients disagree most, and both
# values — enough to start debugging: the analytic value is $y_j g_j$, missing the $-y_j\sum_i g_i y_i$ term.

# %% [markdown]
# Your softmax from lesson 5 (if it passed its check there) goes through the same test — it is built from
# Tensor operations, so its backward comes from theirs:

# %%
softmax = use("softmax", F.softmax)
print(minishop.gradcheck(lambda x: softmax(x, axis=-1), [logits]))

# %%
minishop.set_default_dtype("float32")  # back to the training default

# %% [markdown]
# ## 7. A new op of your own, through minishop's op hook
#
# Building a function from Tensor operations gives its backward for free, but sometimes an op deserves a
# hand-written backward: it is faster (one fused step instead of a dozen nodes), uses less memory (it keeps
# only what the backward needs), or is more accurate. minishop's public **op hook** is `minishop.Function`:
# subclass it, write `forward(self, *arrays)` on plain arrays (keeping on `self` whatever the backward
# needs), and `backward(self, g)` returning a **tuple** with one gradient per input; then
# `MyOp.apply(tensor)` runs it inside the graph. Here is the smallest example, $y = x^2$:

# %%
class Square(minishop.Function):
    def forward(self, x):  # x: a plain array
        self.x = x  # what backward needs
        return x * x

    def backward(self, g):  # g = dL/dy, same shape as y
        return (2 * self.x * g,)  # dL/dx = dy/dx · g


minishop.set_default_dtype("float64")
z = Tensor(rng.standard_normal(4), requires_grad=True)
print(minishop.gradcheck(lambda t: Square.apply(t), [z]))
minishop.set_default_dtype("float32")

# %% [markdown]
# The transformer's feed-forward layer (lesson 8) uses the **GELU** activation, in its tanh approximation:
#
# $$\operatorname{GELU}(x) = \tfrac12\,x\,\big(1 + \tanh u\big),\qquad u = c\,(x + k x^3),\quad c = \sqrt{2/\pi},\ k = 0.044715 .$$
#
# ### Exercise 4 — GELU as a minishop op (3 points)
# Complete `GELU.forward` and `GELU.backward` (derive $dy/dx$ with the product rule and the chain rule).
# `gelu(x)` applies it. The check compares output and gradient with `minishop.functional.gelu` and runs
# `minishop.gradcheck` on your op. Once it passes, the feed-forward layers of the capstone (lesson 13) run
# your GELU.

# %%
GELU_C, GELU_K = math.sqrt(2.0 / math.pi), 0.044715


class GELU(minishop.Function):
    def forward(self, x):
        raise NotImplementedError  # your code here: y, keeping on self what backward needs

    def backward(self, g):
        raise NotImplementedError  # your code here: a tuple with dL/dx


def gelu(x):
    return GELU.apply(x)


# %%
check_gelu(gelu)

# %% [markdown]
# From here on your GELU stands in for minishop's (if it passed). Its curve and its derivative:

# %%
gelu = use("gelu", F.gelu, yours=gelu)
grid = Tensor(np.linspace(-4, 4, 201), requires_grad=True)
gelu(grid).sum().backward()  # the sum's gradient is 1 everywhere, so grid.grad = dGELU/dx
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(grid.numpy(), gelu(grid).numpy(), label="GELU(x)")
ax.plot(grid.numpy(), grid.grad, label="dGELU/dx (from backward)")
ax.plot(grid.numpy(), np.maximum(grid.numpy(), 0), ":", color="gray", label="ReLU, for comparison")
ax.axhline(0, color="black", lw=0.5)
ax.set_xlabel("x")
ax.legend()
plt.show()

# %% [markdown]
# ## Quiz (3 points)
# 1. Backpropagation visits the nodes of the graph in (a) the order they were created; (b) reverse
#    topological order; (c) any order.
# 2. A central-difference gradient check of a model with $P$ parameters needs about (a) 1; (b) $P$;
#    (c) $2P$ forward passes.
# 3. `Function.backward(self, g)` must return (a) one gradient per input, each of that input's shape;
#    (b) the Jacobian; (c) the gradient of the output.
#
# Answer with letters, e.g. `{"1": "a", "2": "a", "3": "a"}`.

# %%
answers = {"1": None, "2": None, "3": None}  # your answers here

# %%
check_quiz(answers)

# %% [markdown]
# ## Reflection
# 1. Why does backpropagation cost about the same as one forward pass, while central differences cost
#    **two** forward passes per parameter? How long would a gradient check of a 1-million-parameter model
#    take if one forward pass takes 10 ms?
# 2. In `Value.__add__` the gradients are *added* (`+=`) rather than assigned. Build an expression that
#    uses one `Value` twice and see what goes wrong with `=` instead.
# 3. The buggy softmax passed a forward-only test. What kind of test would have caught it without
#    finite differences?
#
# ## Summary
# - A program is a graph of small ops; backpropagation visits it in reverse topological order, each node
#   multiplying the incoming gradient by its local derivative and **summing** over the uses of a value.
# - For arrays, each backward is a vector–Jacobian product that never forms the Jacobian:
#   $G W^\top$ and $X^\top G$ for a matmul, $y\odot(g - \langle g, y\rangle)$ for a softmax.
# - Central differences in float64 with $\varepsilon\approx 10^{-6}$ check any backward to ~$10^{-9}$;
#   `minishop.gradcheck` does it for you and says where it fails.
# - A new op is a `minishop.Function` with `forward` on arrays and `backward` returning one gradient per input.
# - **Yours from now on:** `gelu` — the capstone's feed-forward layers run it.
#
# **Next:** lesson 7 uses these gradients to train — with SGD, momentum, Adam and AdamW.
