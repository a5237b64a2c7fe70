"""Your own code track: a function that passes its check is saved, and later lessons run it.

When `check_function` passes, the learner's source code (`inspect.getsource`, which works for functions
defined in notebook cells) is written to a small JSON store: the folder named by the environment
variable MINISHOP_LESSONS_STORE, else `.minishop_progress/` in the notebook's folder. With it go the
notebook functions it calls (their source too), the modules it names (`np`, `math`, ...) and small
constants, so the piece runs on its own in a later lesson.

`use(name, fallback)` rebuilds every saved piece in ONE shared namespace (so a learner's attention
finds the learner's softmax by name at call time) and returns the learner's function, saying so; if
the exercise has not passed yet it says that too and returns the library's `fallback`. `used()` lists
which pieces are the learner's and which are the library's.
"""

import builtins
import inspect
import json
import linecache
import os
import pathlib
import re
import textwrap
import types

PRELUDE = """\
import math
import numpy as np
import minishop
from minishop import Function, Tensor, functional as F
from minishop import nn
xp = minishop.backend.xp()
"""

PIECES_MODULE = "your_pieces"  # the __name__ of the shared namespace, so its functions can be saved again
_PASSED = {}  # name -> the function object that passed its check in this kernel
_USED = {}  # name -> "yours" or "library": what use() returned, for used()
_CACHE = {"key": None, "namespace": None}


def store_dir():
    """The folder of the store: $MINISHOP_LESSONS_STORE, else .minishop_progress/ in the current folder."""
    return pathlib.Path(os.environ.get("MINISHOP_LESSONS_STORE") or ".minishop_progress")


def _store_file():
    return store_dir() / "pieces.json"


def load_pieces():
    """{name: piece} from the store ({} when there is none yet, or when it cannot be read: we say so)."""
    path = _store_file()
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        print(f"(could not read your saved pieces in {path}: {error}; using the library's versions)")
        return {}


def _code_names(code):
    """Every global name a function's code (and the functions nested in it) refers to."""
    names = set(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            names |= _code_names(constant)
    return names


def _dependencies(function, seen, sources, lines):
    """Fill `sources` with the notebook functions `function` calls (deepest first) and `lines` with the
    imports and constants it needs; what the prelude already gives is skipped."""
    prelude = {"math", "np", "minishop", "Function", "Tensor", "F", "nn", "xp"}
    for name in sorted(_code_names(function.__code__)):
        if name in seen or name in prelude or hasattr(builtins, name) or name not in function.__globals__:
            continue
        seen.add(name)
        value = function.__globals__[name]
        if isinstance(value, types.ModuleType):
            lines.append(f"import {value.__name__} as {name}")
        elif isinstance(value, types.FunctionType) and value.__module__ in (function.__module__, PIECES_MODULE):
            _dependencies(value, seen, sources, lines)
            sources.append(textwrap.dedent(inspect.getsource(value)))
        elif isinstance(value, type) and value.__module__ in (function.__module__, PIECES_MODULE):
            for method in vars(value).values():  # a class of the notebook, e.g. an op: what its methods use
                if isinstance(method, types.FunctionType):
                    _dependencies(method, seen, sources, lines)
            sources.append(_class_source(value))
        elif callable(value) and getattr(value, "__module__", None) not in (None, "__main__", function.__module__) \
                and value.__qualname__.isidentifier():
            lines.append(f"from {value.__module__} import {value.__qualname__} as {name}")
        elif isinstance(value, (bool, int, float, str)):
            lines.append(f"{name} = {value!r}")


def _class_source(cls):
    """The source of a class defined in a notebook cell (inspect.getsource cannot find a cell's module
    file, so we start from one of its methods, whose code knows its cell, and walk up to `class`)."""
    try:
        return textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        pass
    for method in vars(cls).values():
        if isinstance(method, types.FunctionType):
            lines = linecache.getlines(method.__code__.co_filename)
            for start in range(method.__code__.co_firstlineno - 1, -1, -1):
                if re.match(rf"\s*class\s+{cls.__name__}\b", lines[start]):
                    return textwrap.dedent("".join(inspect.getblock(lines[start:])))
    raise OSError(f"could not find the source of class {cls.__name__}")


def save_piece(name, function):
    """Save the source of `function`, which just passed the check `name`, for later lessons."""
    _PASSED[name] = function
    if not isinstance(function, types.FunctionType) or function.__name__ == "<lambda>":
        return
    try:
        source = textwrap.dedent(inspect.getsource(function))
        sources, lines = [], []
        _dependencies(function, {function.__name__}, sources, lines)
    except (OSError, TypeError) as error:
        print(f"(your {name} passed, but its source could not be read ({error}): later lessons use the library's)")
        return
    pieces = load_pieces()
    pieces.pop(name, None)  # re-saved pieces move to the end: the newest definition of a name wins
    pieces[name] = {"function": function.__name__, "source": "\n".join(lines + sources + [source])}
    path = _store_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(pieces, indent=1), encoding="utf-8")
    os.replace(temporary, path)  # never a half-written store


def _namespace():
    """One namespace with the prelude and every saved piece, rebuilt when the store changes."""
    path = _store_file()
    key = (str(path.resolve()), path.stat().st_mtime_ns if path.exists() else None)
    if _CACHE["key"] == key:
        return _CACHE["namespace"]
    namespace = {"__name__": PIECES_MODULE}
    exec(PRELUDE, namespace)
    for name, piece in load_pieces().items():
        filename = f"<your {name}>"
        lines = piece["source"].splitlines(keepends=True)
        linecache.cache[filename] = (len(piece["source"]), None, lines, filename)  # inspect.getsource works again
        try:
            exec(compile(piece["source"], filename, "exec"), namespace)
        except Exception as error:  # a saved piece that no longer runs: say it, use the library's
            print(f"(your saved {name} could not be rebuilt: {type(error).__name__}: {error})")
    _CACHE.update(key=key, namespace=namespace)
    return namespace


def use(name, fallback, yours=None):
    """The learner's `name` if it passed its check (`yours`, or the saved one), else `fallback`; said aloud."""
    if yours is not None and _PASSED.get(name) is yours:
        print(f"using your {name}")
        _USED[name] = "yours"
        return yours
    piece = load_pieces().get(name)
    if piece is not None:
        function = _namespace().get(piece["function"])
        if callable(function):
            print(f"using your {name}")
            _USED[name] = "yours"
            return function
    print(f"using the library's {name} (yours has not passed its check yet)")
    _USED[name] = "library"
    return fallback


def used():
    """Print and return {name: "yours" or "library"} for every piece `use()` was asked for in this kernel."""
    for name, whose in _USED.items():
        print(f"  {name:<28} {'yours' if whose == 'yours' else 'the library' + chr(39) + 's'}")
    return dict(_USED)
