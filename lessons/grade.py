"""Grade a lesson notebook: execute it and print the points of every check and quiz.

    python -m lessons.grade lessons/05_self_attention.ipynb            # from the repository's root
    python -m lessons.grade student/05_self_attention.ipynb --store DIR

The notebook runs from a fresh kernel in its own folder, every cell even after an error (a wrong
answer raises in its check cell, and the rest of the notebook still counts). Each check records
(points earned, points possible); an exercise of the lesson that was never run (its cell deleted)
counts 0 of its points. Prints a table and `score: X / Y`.

The learner's saved pieces (`use()`) go to a fresh temporary store unless --store names one, so
grading never changes what a learner's later lessons use.
"""

import argparse
import json
import os
import pathlib
import re
import sys
import tempfile

MARKER = "@@minishop-scores@@"


def _score_cell(lesson_module):
    """The code of the cell appended to the notebook: it prints the kernel's scores as JSON."""
    return (
        "import importlib as _importlib, json as _json, sys as _sys\n"
        "_checks = _sys.modules.get('checks')\n"
        "if _checks is not None:\n"
        "    try:\n"
        f"        _importlib.import_module('checks.{lesson_module}')\n"
        "    except ImportError:\n"
        "        pass\n"
        f"    print({MARKER!r} + _json.dumps({{'scores': _checks.scores(), "
        f"'declared': _checks.exercises({lesson_module!r})}}))\n"
    )


def execute(notebook, file_name, folder, store, strict=False, allow_errors=True, timeout=600):
    """Run `notebook` (an nbformat object, changed in place; `file_name` says its lesson number, as in
    05_self_attention.ipynb) in `folder` with the score cell appended.

    Returns ({name: (earned, possible)}, {name: points} declared by the lesson, number of cells that
    raised). Strict mode sets MINISHOP_LESSONS_STRICT=1 (a blank exercise raises). With allow_errors every
    cell runs even after an error, as grading wants; without, the first error stops the run and raises
    nbclient's CellExecutionError, as the tests want.
    """
    import nbclient
    import nbformat

    number = re.match(r"(\d\d)_", file_name)
    lesson_module = f"lesson{number.group(1)}" if number else "none"
    notebook.cells.append(nbformat.v4.new_code_cell(_score_cell(lesson_module)))
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1",
           "MINISHOP_LESSONS_STRICT": "1" if strict else "0", "MINISHOP_LESSONS_STORE": str(store)}
    client = nbclient.NotebookClient(notebook, timeout=timeout, kernel_name="python3", allow_errors=allow_errors,
                                     resources={"metadata": {"path": str(folder)}})
    client.execute(env=env)  # the kernel process gets this environment
    errors = sum(1 for cell in notebook.cells[:-1] if cell.cell_type == "code"
                 for output in cell.get("outputs", []) if output.get("output_type") == "error")
    for output in notebook.cells.pop().get("outputs", []):
        text = output.get("text", "")
        if MARKER in text:
            report = json.loads(text.split(MARKER, 1)[1])
            return {k: tuple(v) for k, v in report["scores"].items()}, report["declared"], errors
    return {}, {}, errors


def run_notebook(path, store=None, timeout=600):
    """Execute the notebook file at `path` in its folder, as `execute` (a temporary store unless given)."""
    import nbformat

    path = pathlib.Path(path).resolve()
    notebook = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as scratch:
        return execute(notebook, path.name, path.parent, store or scratch, timeout=timeout)


def score(scores, declared):
    """(earned, possible, rows): every check run, plus the lesson's exercises never run (0 points)."""
    rows = [(name, earned, possible, "right" if earned == possible else "not yet")
            for name, (earned, possible) in scores.items()]
    rows += [(name, 0, points, "never run") for name, points in declared.items() if name not in scores]
    return sum(r[1] for r in rows), sum(r[2] for r in rows), rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebook", type=pathlib.Path, help="a lesson notebook (.ipynb)")
    parser.add_argument("--store", type=pathlib.Path, default=None,
                        help="folder of the learner's saved pieces (default: a fresh temporary one)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell (default 600)")
    args = parser.parse_args(argv)
    if args.notebook.suffix != ".ipynb" or not args.notebook.is_file():
        parser.error(f"notebook: expected an existing .ipynb file, got {args.notebook}")
    scores, declared, errors = run_notebook(args.notebook, args.store, args.timeout)
    earned, possible, rows = score(scores, declared)
    width = max([len(r[0]) for r in rows] + [8])
    print(f"{'exercise':<{width}}  points  status")
    for name, got, out_of, status in rows:
        print(f"{name:<{width}}  {got:>g} / {out_of:<3g} {status}")
    if errors:
        print(f"({errors} cell{'s' if errors != 1 else ''} raised an error: wrong answers count 0, the rest still ran)")
    print(f"score: {earned:g} / {possible:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
