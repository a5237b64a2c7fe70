"""Friendly checks for the exercises in minishop's lessons.

Every exercise in a lesson has three cells: a Markdown lead-in, a cell where the learner writes code
(the placeholder is `None`, e.g. `answer = None  # your code here`), and a check cell that calls one
of the helpers below. Each helper does one of three things:

- the answer is still the placeholder (`None`, or a function that returns `None` or raises
  `NotImplementedError`): print "not attempted yet" and a hint, and return False;
- the answer is wrong: raise AssertionError with a message that says what was expected and what
  was found (a shape, the worst element, the failing input);
- the answer is right: print "Correct!" and return True.

So a lesson with untouched exercises still runs top to bottom (a teacher can hand it out as is), and
a solutions notebook proves that every check passes on a correct answer. When the environment
variable MINISHOP_LESSONS_STRICT=1 is set (the test suite sets it for the solutions), an untouched
exercise raises instead of printing, so a solution can never pass by being left blank.

    from checks import check_close, check_equal, check_true, check_function

The file also gives `REPO_ROOT`, the repository's root folder, so a lesson can find `data/` whether
it runs from lessons/ or lessons/solutions/.
"""

import os
import pathlib

import numpy as np

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent  # lessons/checks.py -> the repository
LESSONS_DIR = REPO_ROOT / "lessons"


class NotAttempted(AssertionError):
    """Raised instead of a hint when MINISHOP_LESSONS_STRICT=1 and an exercise is still blank."""


def _strict():
    return os.environ.get("MINISHOP_LESSONS_STRICT", "") == "1"


def _not_attempted(name, hint):
    message = f"⏳ {name}: not attempted yet — hint: {hint}"
    if _strict():
        raise NotAttempted(message)
    print(message)
    return False


def _correct(name, note=""):
    print(f"✅ {name}: Correct!" + (f" {note}" if note else ""))
    return True


def _as_array(value):
    """A NumPy array from a NumPy/CuPy array, a minishop Tensor, a list or a number."""
    if hasattr(value, "requires_grad") and hasattr(value, "data"):  # a minishop Tensor
        value = value.data
    if hasattr(value, "get") and not isinstance(value, (dict, np.ndarray)):  # a CuPy array
        value = value.get()
    return np.asarray(value)


def check_close(answer, expected, name="answer", hint="", atol=1e-6, rtol=1e-5):
    """Check that `answer` has the shape of `expected` and the same values up to atol + rtol·|expected|.

    `answer` and `expected` may be numbers, lists, NumPy/CuPy arrays or minishop Tensors.
    """
    if answer is None:
        return _not_attempted(name, hint)
    got, want = _as_array(answer), _as_array(expected)
    if got.shape != want.shape:
        raise AssertionError(
            f"{name}: expected shape {want.shape}, got shape {got.shape}. "
            "Check which axis you summed over or whether a transpose is missing."
        )
    if not np.issubdtype(got.dtype, np.number):
        raise AssertionError(f"{name}: expected numbers, got an array of dtype {got.dtype}")
    got64, want64 = got.astype(np.float64), want.astype(np.float64)
    if not np.all(np.isfinite(got64)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(got64))[0])
        raise AssertionError(f"{name}: found a non-finite value {got64[bad]} at index {bad}")
    error = np.abs(got64 - want64)
    allowed = atol + rtol * np.abs(want64)
    if np.any(error > allowed):
        worst = np.unravel_index(int(np.argmax(error - allowed)), error.shape) if error.ndim else ()
        raise AssertionError(
            f"{name}: not quite. At index {tuple(int(i) for i in worst)} expected {want64[worst]:.6g}, "
            f"got {got64[worst]:.6g} ({int(np.sum(error > allowed))} of {error.size} values differ)."
            + (f" Hint: {hint}" if hint else "")
        )
    return _correct(name)


def _short(value, limit=300):
    """repr(value), cut to `limit` characters so that a huge array does not flood the notebook."""
    text = repr(value.tolist() if isinstance(value, (np.ndarray, np.generic)) else value)
    return text if len(text) <= limit else text[: limit - 5] + " ...]"


def check_equal(answer, expected, name="answer", hint=""):
    """Check that `answer` equals `expected` exactly (numbers, strings, tuples, dicts, integer/bool arrays)."""
    if answer is None:
        return _not_attempted(name, hint)
    suffix = f" Hint: {hint}" if hint else ""
    if isinstance(expected, (np.ndarray, list)) or hasattr(expected, "shape") or hasattr(answer, "shape"):
        got, want = _as_array(answer), _as_array(expected)
        if got.shape != want.shape:
            raise AssertionError(f"{name}: expected shape {want.shape}, got shape {got.shape}.{suffix}")
        if not np.array_equal(got, want):
            first = tuple(int(i) for i in np.argwhere(got != want)[0]) if got.ndim else ()
            raise AssertionError(
                f"{name}: at index {first} expected {_short(want[first])}, got {_short(got[first])} "
                f"({int(np.sum(got != want))} of {want.size} differ). Expected {_short(want)}, got {_short(got)}.{suffix}"
            )
        return _correct(name)
    try:
        equal = bool(answer == expected)
    except (TypeError, ValueError):  # e.g. comparing a container with a number
        equal = False
    if not equal:
        raise AssertionError(f"{name}: expected {_short(expected)}, got {_short(answer)}.{suffix}")
    return _correct(name)


def check_true(answer, condition, message, name="answer", hint=""):
    """Check a property of `answer`: `condition(answer)` must be true; `message` says what was expected."""
    if answer is None:
        return _not_attempted(name, hint)
    if not condition(answer):
        raise AssertionError(f"{name}: {message}" + (f" Hint: {hint}" if hint else ""))
    return _correct(name)


def check_function(function, cases, name=None, hint="", atol=1e-6, rtol=1e-5):
    """Check a function the learner wrote on a list of `(args, expected)` cases.

    `args` is a tuple of positional arguments. A function that still returns None or raises
    NotImplementedError counts as not attempted. Results are compared with `check_close`'s rule.
    """
    name = name or getattr(function, "__name__", "your function")
    for number, (args, expected) in enumerate(cases, start=1):
        try:
            got = function(*args)
        except NotImplementedError:
            return _not_attempted(name, hint)
        if got is None:
            return _not_attempted(name, hint)
        got, want = _as_array(got), _as_array(expected)
        shapes = ", ".join(str(getattr(a, "shape", type(a).__name__)) for a in args)
        if got.shape != want.shape:
            raise AssertionError(
                f"{name}: on test case {number} (inputs of shapes {shapes}) expected an output of shape "
                f"{want.shape}, got {got.shape}."
            )
        error = np.abs(got.astype(np.float64) - want.astype(np.float64))
        allowed = atol + rtol * np.abs(want.astype(np.float64))
        if not np.all(error <= allowed):  # also catches NaN
            worst = np.unravel_index(int(np.nanargmax(np.where(np.isnan(error), np.inf, error))), error.shape)
            worst = tuple(int(i) for i in worst)
            raise AssertionError(
                f"{name}: on test case {number} (inputs of shapes {shapes}) at index {worst} expected "
                f"{want[worst]:.6g}, got {got[worst]:.6g}." + (f" Hint: {hint}" if hint else "")
            )
    return _correct(name, f"({len(cases)} test case{'s' if len(cases) != 1 else ''} passed)")
