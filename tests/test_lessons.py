"""The course in lessons/: every notebook is in sync with its .py source and runs top to bottom.

- Each lesson notebook runs from a clean kernel with its exercises untouched: every check cell must say
  "not attempted yet" (a lesson handed out must not come pre-solved) and nothing may raise.
- Each solutions notebook runs with MINISHOP_LESSONS_STRICT=1, so a blank exercise raises, and every
  check call must print "Correct!".
- Notebooks run in their own folder (lessons/ or lessons/solutions/), as Jupyter runs them, against
  the installed minishop package. New lessons are picked up automatically from the file names.
"""

import importlib.util
import os
import pathlib
import re
import time

import numpy as np
import pytest

nbformat = pytest.importorskip("nbformat", reason="the lessons extra is needed: pip install -e '.[lessons]'")
nbclient = pytest.importorskip("nbclient", reason="the lessons extra is needed: pip install -e '.[lessons]'")
pytest.importorskip("jupytext", reason="the lessons extra is needed: pip install -e '.[lessons]'")

LESSONS_DIR = pathlib.Path(__file__).resolve().parent.parent / "lessons"


def _load(name):
    """Import lessons/<name>.py under a private module name (no clash with PyPI's `build`)."""
    spec = importlib.util.spec_from_file_location(f"_lessons_{name}", LESSONS_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _load("build")
checks = _load("checks")

LESSON_SOURCES = sorted(LESSONS_DIR.glob("[0-9][0-9]_*.py"))
SOLUTION_SOURCES = sorted((LESSONS_DIR / "solutions").glob("[0-9][0-9]_*.py"))
CHECK_CALL = re.compile(r"^\s*(?:\w+\s*=\s*)?check_(?:close|equal|true|function)\(", re.MULTILINE)


def _name(path):
    return str(path.relative_to(LESSONS_DIR))


def _check_calls(notebook):
    return sum(len(CHECK_CALL.findall(cell.source)) for cell in notebook.cells if cell.cell_type == "code")


def _printed(notebook):
    texts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                texts.append(output.get("text", ""))
    return "".join(texts)


def _run(source, strict):
    """Execute the paired notebook of `source` in a fresh kernel; return what it printed and its number of checks."""
    notebook = nbformat.reads(build.notebook_text(source), as_version=4)
    # One BLAS thread, as for the rest of the suite (tests/conftest.py): on a shared 2-core machine a
    # 2-thread OpenBLAS runs our small matmuls up to 10x slower.
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0", "MINISHOP_BACKEND": "numpy",
           "OPENBLAS_NUM_THREADS": "1", "MINISHOP_LESSONS_STRICT": "1" if strict else "0"}
    client = nbclient.NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(source.parent)}}
    )
    start = time.perf_counter()
    client.execute(env=env)  # the kernel process gets this environment
    seconds = time.perf_counter() - start
    print(f"{_name(source)} ran in {seconds:.1f} s")
    return _printed(notebook), _check_calls(notebook)


# ---------------------------------------------------------------------------------------------- format


@pytest.mark.parametrize("source", LESSON_SOURCES + SOLUTION_SOURCES, ids=_name)
def test_notebook_is_in_sync_with_its_source(source):
    assert not build.out_of_date(source), (
        f"{_name(source.with_suffix('.ipynb'))} is missing or differs from {_name(source)}: "
        "run `python lessons/build.py` and commit both files"
    )


@pytest.mark.parametrize("source", LESSON_SOURCES, ids=_name)
def test_lesson_has_solutions_goals_exercises_and_a_plot(source):
    solutions = LESSONS_DIR / "solutions" / f"{source.stem}_solutions.py"
    assert solutions.exists(), f"{_name(source)} has no solutions file {_name(solutions)}"
    text = source.read_text(encoding="utf-8")
    assert "Learning goals" in text and "Prerequisites" in text, f"{_name(source)}: state learning goals and prerequisites"
    lesson = nbformat.reads(build.notebook_text(source), as_version=4)
    solved = nbformat.reads(build.notebook_text(solutions), as_version=4)
    n_checks = _check_calls(lesson)
    assert n_checks >= 2, f"{_name(source)}: a lesson needs at least 2 exercises with checks, found {n_checks}"
    assert _check_calls(solved) == n_checks, f"{_name(solutions)} must call the same {n_checks} checks as the lesson"
    assert "plt." in text, f"{_name(source)}: a lesson shows at least one matplotlib plot"
    assert "import minishop" in text, f"{_name(source)}: a lesson uses (and checks against) the installed minishop"
    for path in (source, solutions):  # the installed package, never the repository's folder put on sys.path
        extra_paths = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if "sys.path" in line]
        allowed = [line for line in extra_paths if line.startswith('sys.path.insert(0, "..")') and path == solutions]
        assert extra_paths == allowed, (
            f"{_name(path)}: only a solutions file may touch sys.path, and only with sys.path.insert(0, \"..\") "
            f"to find checks.py; found {extra_paths}"
        )


@pytest.mark.slow
@pytest.mark.parametrize("source", LESSON_SOURCES, ids=_name)
def test_lesson_runs_with_exercises_untouched(source):
    printed, n_checks = _run(source, strict=False)
    assert printed.count("not attempted yet") == n_checks, (
        f"{_name(source)}: each of its {n_checks} check calls should report 'not attempted yet' on the "
        f"handed-out notebook; printed:\n{printed[-2000:]}"
    )
    assert "Correct!" not in printed, f"{_name(source)}: an exercise is already solved in the handed-out lesson"


@pytest.mark.slow
@pytest.mark.parametrize("source", SOLUTION_SOURCES, ids=_name)
def test_solutions_pass_every_check(source):
    printed, n_checks = _run(source, strict=True)
    assert printed.count("Correct!") == n_checks, (
        f"{_name(source)}: expected {n_checks} 'Correct!' lines, printed:\n{printed[-2000:]}"
    )


# ---------------------------------------------------------------------------------------- check helpers


def test_checks_report_a_blank_answer_with_its_hint(capsys, monkeypatch):
    monkeypatch.setenv("MINISHOP_LESSONS_STRICT", "0")
    assert checks.check_close(None, [1.0, 2.0], name="scores", hint="divide by sqrt(d)") is False
    assert "scores: not attempted yet — hint: divide by sqrt(d)" in capsys.readouterr().out
    assert checks.check_function(lambda x: None, [((1.0,), 2.0)], name="double") is False


def test_checks_raise_on_a_blank_answer_in_strict_mode(monkeypatch):
    monkeypatch.setenv("MINISHOP_LESSONS_STRICT", "1")
    with pytest.raises(checks.NotAttempted, match="not attempted"):
        checks.check_equal(None, 3)


def test_check_close_names_shape_and_worst_element():
    with pytest.raises(AssertionError, match=r"expected shape \(2, 3\), got shape \(3, 2\)"):
        checks.check_close([[0.0] * 2] * 3, [[0.0] * 3] * 2)
    with pytest.raises(AssertionError, match=r"At index \(1, 2\) expected 5, got 7"):
        checks.check_close([[0, 1, 2], [3, 4, 7]], [[0, 1, 2], [3, 4, 5]])
    with pytest.raises(AssertionError, match="non-finite"):
        checks.check_close([1.0, float("nan")], [1.0, 2.0])


def test_checks_say_correct_on_a_right_answer(capsys):
    assert checks.check_close([1.0, 2.0 + 1e-9], [1.0, 2.0], name="scores")
    assert checks.check_equal((2, 3), (2, 3), name="shape")
    assert checks.check_true(5, lambda n: n > 3, "expected more than 3")
    assert checks.check_function(lambda x: 2 * x, [((1.5,), 3.0), ((-2.0,), -4.0)], name="double")
    assert capsys.readouterr().out.count("Correct!") == 4


def test_check_function_and_check_true_explain_a_wrong_answer():
    with pytest.raises(AssertionError, match=r"double: on test case 2 .* expected -4, got 4"):
        checks.check_function(lambda x: abs(2 * x), [((1.5,), 3.0), ((-2.0,), -4.0)], name="double")
    with pytest.raises(AssertionError, match="expected more than 3"):
        checks.check_true(2, lambda n: n > 3, "expected more than 3")
    with pytest.raises(AssertionError, match=r"at index \(0,\) expected 1, got 2 \(2 of 2 differ\)"):
        checks.check_equal([2, 1], [1, 2])
    with pytest.raises(AssertionError, match=r"expected shape \(\), got shape \(2,\)"):
        checks.check_equal(np.array([3, 3]), 3)  # an array where a number was expected: no ValueError
    with pytest.raises(AssertionError, match=r"expected \{'a': 1\}, got \{'a': 2\}"):
        checks.check_equal({"a": 2}, {"a": 1})


# ---------------------------------------------------------------------------------------------- build.py


def test_build_detects_missing_edited_and_executed_notebooks(tmp_path):
    source = tmp_path / "99_demo.py"
    source.write_text("# %% [markdown]\n# # Demo\n\n# %%\nanswer = None  # your code here\n", encoding="utf-8")
    notebook_path = source.with_suffix(".ipynb")
    assert build.out_of_date(source), "a missing notebook is out of date"
    notebook_path.write_text(build.notebook_text(source), encoding="utf-8")
    assert not build.out_of_date(source)
    assert build.notebook_text(source) == build.notebook_text(source), "rebuilds must be byte-for-byte stable"

    notebook = nbformat.read(notebook_path, as_version=4)
    notebook.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi\n")]
    nbformat.write(notebook, notebook_path)
    assert build.out_of_date(source), "a notebook committed with outputs is out of date"

    notebook.cells[1].outputs = []
    notebook.cells[1].source = "answer = 42"
    nbformat.write(notebook, notebook_path)
    assert build.out_of_date(source), "a notebook edited without its .py is out of date"
