"""Checks of lesson 6 (backpropagation and gradient checking).

The learner's new op, GELU through the public op hook `minishop.Function`, is saved as the piece
    gelu(x) -> Tensor     (the tanh approximation, as minishop.functional.gelu and the transformer's MLP)
so that lesson 8's feed-forward layer can run it. Its check compares the output and the gradient with
minishop's and runs `minishop.gradcheck` on it in float64.
"""

import numpy as np

import minishop
import minishop.functional as F
from minishop import Tensor

from . import check_close, check_function, quiz, register
from .tensor_cases import tensor_case

LESSON = "lesson06"
register("df_db", 1, ("Follow the path from f back to b: f = tanh(u), u = p + c, p = a·b. Multiply the local derivatives.",
                      "The derivative of tanh(u) is 1 - tanh(u)²; the derivative of a·b with respect to b is a."),
         LESSON)
register("softmax_backward", 2, ("Start from the Jacobian y_i(δ_ij - y_j) and multiply by g: you get one dot product per row.",
                                 "The dot product of g and y is taken along the softmax's axis (the last), and must "
                                 "broadcast back over that axis: keepdims."), LESSON)
register("numerical_gradient", 2, ("One pair of evaluations per element: perturb the element up and down by eps.",
                                   "Central means (f(x + eps) - f(x - eps)) / (2 eps), not a one-sided difference.",
                                   "Put each element back to its original value after the two evaluations."), LESSON)
register("gelu", 3, ("forward receives a plain array: compute y = 0.5 x (1 + tanh(u)) with u = c (x + k x³), and keep "
                     "on self what backward will need (x and tanh(u)).",
                     "backward is the product rule: d/dx [0.5 x (1 + t)] = 0.5 (1 + t) + 0.5 x dt/dx, and "
                     "dt/du = 1 - t², du/dx = c (1 + 3 k x²).",
                     "backward returns a TUPLE with one gradient per forward input: the upstream g times dy/dx."),
         LESSON)
register("quiz 06", 3, ("Sections 1 (the graph), 5 (finite differences) and 6 (gradcheck) have the answers.",), LESSON)

rng = np.random.default_rng(6)  # seeded: every run checks the same inputs


def check_df_db(df_db):
    a, b, c = (Tensor(np.array(v), requires_grad=True) for v in (0.5, -1.5, 0.8))
    (a * b + c).tanh().backward()
    return check_close("df_db", df_db, b.grad)


def _autograd_softmax_grad(x, g):
    xt = Tensor(x, requires_grad=True)
    F.softmax(xt, axis=-1).backward(g)
    return xt.grad


def check_softmax_backward(softmax_backward):
    xs = [rng.standard_normal(shape) * scale for shape, scale in [((2, 3), 1.0), ((5, 7), 3.0), ((4, 1, 6), 1.0)]]
    gs = [rng.standard_normal(x.shape) for x in xs]
    cases = [((F.softmax(Tensor(x), axis=-1).numpy(), g), _autograd_softmax_grad(x, g)) for x, g in zip(xs, gs)]
    return check_function("softmax_backward", softmax_backward, cases, atol=1e-10, rtol=1e-8)


def _sin_times_x(x):
    return float(np.sum(np.sin(x) * x))


def _log_sum_exp(x):
    return float(np.log(np.sum(np.exp(x))))  # its gradient is the softmax


def _curvy(x):
    return float(np.sum(np.exp(2.0 * x)))  # a large second derivative: a one-sided difference is off


def _one_element_at_a_time(f, x0):
    """f, refusing an x that differs from x0 in more than one element (an element was not put back)."""
    def watched(x):
        if np.count_nonzero(x != x0) > 1:
            raise ValueError("f saw two elements of x changed at once: put each element back after its two evaluations")
        return f(x)
    return watched


def check_numerical_gradient(numerical_gradient):
    x1, x2, x3 = rng.standard_normal((3, 4)), rng.standard_normal(5), rng.standard_normal((2, 3)) + 1.0
    cases = [((_one_element_at_a_time(_sin_times_x, x1), x1), np.cos(x1) * x1 + np.sin(x1)),
             ((_one_element_at_a_time(_log_sum_exp, x2), x2), F.softmax(Tensor(x2)).numpy()),
             ((_curvy, x3), 2.0 * np.exp(2.0 * x3))]
    return check_function("numerical_gradient", numerical_gradient, cases, atol=1e-7, rtol=1e-6, save=False)


def _passes_gradcheck(gelu, x):
    """A check_function `expected`: None when `gelu` passes minishop.gradcheck at x (float64), else why not."""
    def expected(_):
        previous = minishop.default_dtype()
        minishop.set_default_dtype("float64")
        try:
            minishop.gradcheck(gelu, [Tensor(x.copy(), requires_grad=True, name="x")])
        except AssertionError as error:
            return f"minishop.gradcheck rejects your backward: {error}"
        finally:
            minishop.set_default_dtype(previous)
        return None
    return expected


def check_gelu(gelu):
    wide = rng.standard_normal((3, 5, 7)) * 3.0  # (3, 5, 7): tails where tanh saturates, and the middle
    small = rng.standard_normal((4, 6))
    cases = [tensor_case(F.gelu, [wide]), tensor_case(F.gelu, [small]),
             ((Tensor(small),), {}, _passes_gradcheck(gelu, small))]
    return check_function("gelu", gelu, cases)


QUIZ = {"1": "b", "2": "c", "3": "a"}


def check_quiz(answers):
    """Questions in the lesson's quiz cell; answers are letters."""
    return quiz("quiz 06", answers, QUIZ)
