"""Friendly checks for the exercises in minishop's lessons: tiered hints, points, and your own code track.

Every exercise in a lesson has three cells: a Markdown lead-in, a cell where the learner writes code
(the placeholder is `None`, e.g. `answer = None  # your code here`), and a check cell. The check cell
calls a lesson's own check (`from checks.lesson05 import check_softmax`) or one of the helpers below.
Each check does one of three things:

- the answer is still the placeholder (`None`, or a function that returns `None` or raises
  `NotImplementedError`): print "not attempted yet" and the FIRST hint only, score 0, return False;
- the answer is wrong: raise AssertionError saying what is wrong (a shape, the worst element, the
  failing input) and the first hint; `hint(name, 2)` gives the next one, and so on;
- the answer is right: print "Correct! (+N points)", record the points, return True. A function that
  passes is saved (its source) so that later lessons can use it: see `use()` in `checks/store.py`.

The full answers live only in lessons/solutions/. When MINISHOP_LESSONS_STRICT=1 (the test suite sets
it for the solutions) a blank exercise raises NotAttempted, so a solution can never pass by being blank.

    from checks import check_close, check_equal, check_true, check_function, quiz, hint, use, used

The helpers take the exercise's name first: `check_close(name, got, expected, points=1, hints=(...))`.
`REPO_ROOT` is the repository's root folder, so a lesson finds `data/` from lessons/ or lessons/solutions/.
"""

import os
import pathlib

import numpy as np

from .store import save_piece, use, used  # noqa: F401  (the your-own-code track)
from .strict_array import StrictArray, strict_xp  # noqa: F401  (lesson 11's device-agnostic check)

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]  # lessons/checks/__init__.py -> the repository
LESSONS_DIR = REPO_ROOT / "lessons"

_EXERCISES = {}  # name -> {"points": int, "hints": tuple, "lesson": str}: registered by the lesson modules
_SCORES = {}  # name -> (points earned, points possible): the last result of each check in this kernel


class NotAttempted(AssertionError):
    """Raised instead of a hint when MINISHOP_LESSONS_STRICT=1 and an exercise is still blank."""


# ------------------------------------------------------------------------------------- hints and points


def register(name, points=1, hints=(), lesson=""):
    """Declare an exercise: its points and its hints, from a gentle nudge to almost the answer."""
    _EXERCISES[name] = {"points": points, "hints": tuple(hints), "lesson": lesson}


def _exercise(name, points, hints):
    """The registered points and hints of `name`, overridden by those a call passes."""
    known = _EXERCISES.get(name, {"points": 1, "hints": (), "lesson": ""})
    if points is None:
        points = known["points"]
    hints = tuple(hints) if hints else known["hints"]
    _EXERCISES[name] = {**known, "points": points, "hints": hints}
    return points, hints


def hint(name, level=2):
    """Print the `level`-th hint (1 = the first nudge) of exercise `name`."""
    if name not in _EXERCISES:
        print(f"no exercise called {name!r}; known: {', '.join(sorted(_EXERCISES)) or 'none yet'}")
        return
    hints = _EXERCISES[name]["hints"]
    if not hints:
        print(f"{name}: no hints for this one")
        return
    level = max(1, min(level, len(hints)))
    more = f" (more: hint({name!r}, {level + 1}))" if level < len(hints) else " (that is the last hint)"
    print(f"💡 {name} — hint {level}/{len(hints)}: {hints[level - 1]}{more}")


def _first_hint(name, hints):
    if not hints:
        return ""
    more = f" (more: hint({name!r}, 2))" if len(hints) > 1 else ""
    return f" — hint 1/{len(hints)}: {hints[0]}{more}"


def scores():
    """{name: (earned, possible)} of every check run in this kernel."""
    return dict(_SCORES)


def exercises(lesson=None):
    """{name: points} of the registered exercises (of one lesson module, e.g. "lesson05")."""
    return {name: e["points"] for name, e in _EXERCISES.items() if lesson is None or e["lesson"] == lesson}


def _strict():
    return os.environ.get("MINISHOP_LESSONS_STRICT", "") == "1"


def _not_attempted(name, points, hints):
    _SCORES[name] = (0, points)
    message = f"⏳ {name}: not attempted yet{_first_hint(name, hints)}"
    if _strict():
        raise NotAttempted(message)
    print(message)
    return False


def _wrong(name, points, hints, what):
    _SCORES[name] = (0, points)
    raise AssertionError(f"❌ {name}: {what}{_first_hint(name, hints)}")


def _correct(name, points, note=""):
    _SCORES[name] = (points, points)
    print(f"✅ {name}: Correct! (+{points} point{'s' if points != 1 else ''})" + (f" {note}" if note else ""))
    return True


# ------------------------------------------------------------------------------------------- comparing


def as_array(value):
    """A NumPy array from a NumPy/CuPy array, a minishop Tensor, a StrictArray, a list or a number."""
    if hasattr(value, "requires_grad") and hasattr(value, "data"):  # a minishop Tensor
        value = value.data
    if isinstance(value, StrictArray):
        value = value.get()
    if hasattr(value, "get") and not isinstance(value, (dict, np.ndarray)):  # a CuPy array
        value = value.get()
    return np.asarray(value)


def _short(value, limit=300):
    """repr(value), cut to `limit` characters so that a huge array does not flood the notebook."""
    text = repr(value.tolist() if isinstance(value, (np.ndarray, np.generic)) else value)
    return text if len(text) <= limit else text[: limit - 5] + " ...]"


def _difference(got, expected, atol, rtol, where=""):
    """None when `got` matches `expected` (shape, then values up to atol + rtol·|expected|); else what differs."""
    got, want = as_array(got), as_array(expected)
    if got.shape != want.shape:
        return (f"{where}expected shape {want.shape}, got shape {got.shape}. "
                "Check which axis you reduced over, a missing keepdims, or a missing transpose.")
    if not np.issubdtype(got.dtype, np.number) and got.dtype != bool:
        return f"{where}expected numbers, got an array of dtype {got.dtype}"
    got64, want64 = got.astype(np.float64), want.astype(np.float64)
    if not np.all(np.isfinite(got64)) and not np.array_equal(np.isfinite(got64), np.isfinite(want64)):
        bad = tuple(int(i) for i in np.argwhere(np.isfinite(got64) != np.isfinite(want64))[0])
        return f"{where}found a non-finite value {got64[bad]} at index {bad} (overflow? a 0/0?)"
    with np.errstate(invalid="ignore", over="ignore"):  # -inf - (-inf) where both are -inf: equal, no warning
        error = np.abs(np.nan_to_num(got64 - want64, nan=0.0))
        allowed = atol + rtol * np.abs(np.nan_to_num(want64))
    if np.any(error > allowed):
        worst = np.unravel_index(int(np.argmax(error - allowed)), error.shape) if error.ndim else ()
        return (f"{where}not quite. At index {tuple(int(i) for i in worst)} expected {want64[worst]:.6g}, "
                f"got {got64[worst]:.6g} ({int(np.sum(error > allowed))} of {error.size} values differ).")
    return None


def _split(args, n_new, kind):
    """Accept both orders: the name first (`check_close(name, got, expected)`) or the older
    `check_close(got, expected, name=...)`; returns (name or None, the other arguments)."""
    if len(args) == n_new and isinstance(args[0], str):
        return args[0], args[1:]
    if len(args) == n_new - 1:
        return None, args
    raise TypeError(f"{kind}: expected ({'name, ' if n_new else ''}...) with {n_new} positional arguments, got {len(args)}")


# --------------------------------------------------------------------------------------------- the checks


def check_close(*args, name=None, points=None, hints=(), hint="", atol=1e-6, rtol=1e-5):
    """check_close(name, got, expected): shape first, then values up to atol + rtol·|expected|.

    `got` and `expected` may be numbers, lists, NumPy/CuPy arrays or minishop Tensors.
    """
    first, (got, expected) = _split(args, 3, "check_close")
    name = first or name or "answer"
    points, hints = _exercise(name, points, hints or ((hint,) if hint else ()))
    if got is None:
        return _not_attempted(name, points, hints)
    problem = _difference(got, expected, atol, rtol)
    return _wrong(name, points, hints, problem) if problem else _correct(name, points)


def check_equal(*args, name=None, points=None, hints=(), hint=""):
    """check_equal(name, got, expected): exact equality (numbers, strings, tuples, dicts, int/bool arrays)."""
    first, (got, expected) = _split(args, 3, "check_equal")
    name = first or name or "answer"
    points, hints = _exercise(name, points, hints or ((hint,) if hint else ()))
    if got is None:
        return _not_attempted(name, points, hints)
    if isinstance(expected, (np.ndarray, list)) or hasattr(expected, "shape") or hasattr(got, "shape"):
        got_array, want = as_array(got), as_array(expected)
        if got_array.shape != want.shape:
            return _wrong(name, points, hints, f"expected shape {want.shape}, got shape {got_array.shape}.")
        if not np.array_equal(got_array, want):
            first_bad = tuple(int(i) for i in np.argwhere(got_array != want)[0]) if got_array.ndim else ()
            return _wrong(name, points, hints,
                          f"at index {first_bad} expected {_short(want[first_bad])}, got {_short(got_array[first_bad])} "
                          f"({int(np.sum(got_array != want))} of {want.size} differ).")
        return _correct(name, points)
    try:
        equal = bool(got == expected)
    except (TypeError, ValueError):  # e.g. comparing a container with a number
        equal = False
    if not equal:
        return _wrong(name, points, hints, f"expected {_short(expected)}, got {_short(got)}.")
    return _correct(name, points)


def check_true(*args, name=None, points=None, hints=(), hint=""):
    """check_true(name, got, condition, message): `condition(got)` must hold; `message` says what was expected.

    `condition` may also return a string, which then says what is wrong (a falsy return = right).
    """
    first, (got, condition, message) = _split(args, 4, "check_true")
    name = first or name or "answer"
    points, hints = _exercise(name, points, hints or ((hint,) if hint else ()))
    if got is None:
        return _not_attempted(name, points, hints)
    verdict = condition(got)
    if isinstance(verdict, str):
        return _wrong(name, points, hints, verdict) if verdict else _correct(name, points)
    return _correct(name, points) if verdict else _wrong(name, points, hints, message)


def _call(function, args, kwargs):
    """function(*args, **kwargs) on private copies of array arguments (a learner's in-place edit stays theirs)."""
    args = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
    return function(*args, **kwargs)


def check_function(*args, name=None, points=None, hints=(), hint="", atol=1e-6, rtol=1e-5, save=True):
    """check_function(name, function, cases): run the learner's function on `cases` and compare.

    Each case is `(args, expected)` or `(args, kwargs, expected)`; `expected` is an array-like compared
    with check_close's rule, or a callable `expected(result)` returning None (right) or what is wrong.
    A function that returns None or raises NotImplementedError counts as not attempted. A function that
    passes is saved for later lessons (`save=False` to skip), see `use()`.
    """
    first, (function, cases) = _split(args, 3, "check_function")
    name = first or name or getattr(function, "__name__", "your function")
    points, hints = _exercise(name, points, hints or ((hint,) if hint else ()))
    if function is None:
        return _not_attempted(name, points, hints)
    for number, case in enumerate(cases, start=1):
        case_args, kwargs, expected = case if len(case) == 3 else (case[0], {}, case[1])
        shapes = ", ".join(str(getattr(a, "shape", type(a).__name__)) for a in case_args)
        where = f"on test case {number} (inputs of shapes {shapes}) "
        try:
            got = _call(function, case_args, kwargs)
        except NotImplementedError:
            return _not_attempted(name, points, hints)
        except Exception as error:  # a wrong answer that crashes is still a wrong answer, said plainly
            return _wrong(name, points, hints, f"{where}your function raised {type(error).__name__}: {error}")
        if got is None:
            return _not_attempted(name, points, hints)
        if callable(expected):
            problem = expected(got)
            problem = f"{where}{problem}" if problem else None
        else:
            problem = _difference(got, expected, atol, rtol, where)
        if problem:
            return _wrong(name, points, hints, problem)
    if save:
        save_piece(name, function)
    return _correct(name, points, f"({len(cases)} test case{'s' if len(cases) != 1 else ''} passed)")


def _normalise(answer):
    return answer.strip().lower() if isinstance(answer, str) else answer


def quiz(name, answer, correct, points=None, hints=()):
    """An auto-checked quiz: `answer` and `correct` are dicts {question: choice} (or one choice each).

    Choices are compared case-insensitively after stripping spaces. A wrong quiz names the questions to
    look at again, never their answers; points are earned in proportion to the questions answered right.
    """
    points, hints = _exercise(name, points, hints)
    if answer is None or (isinstance(answer, dict) and all(v is None for v in answer.values())):
        return _not_attempted(name, points, hints)
    if not isinstance(correct, dict):
        answer, correct = {"answer": answer}, {"answer": correct}
    if not isinstance(answer, dict) or set(answer) != set(correct):
        return _wrong(name, points, hints, f"answer with a dict with the keys {sorted(correct)}")
    wrong = [q for q in correct if _normalise(answer[q]) != _normalise(correct[q])]
    if wrong:
        earned = round(points * (len(correct) - len(wrong)) / len(correct), 2)
        _SCORES[name] = (earned, points)
        raise AssertionError(f"❌ {name}: {len(correct) - len(wrong)} of {len(correct)} right "
                             f"(+{earned} points); look again at {', '.join(map(str, wrong))}"
                             f"{_first_hint(name, hints)}")
    return _correct(name, points)
