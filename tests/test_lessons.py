"""The course in lessons/: every notebook is in sync with its .py source and runs top to bottom.

- Each lesson notebook runs from a clean kernel with its exercises untouched: every check cell must say
  "not attempted yet" (a lesson handed out must not come pre-solved), nothing may raise, and no line of
  the solution (longer than 25 characters) may appear in what it prints: hints nudge, never answer.
- Each solutions notebook runs with MINISHOP_LESSONS_STRICT=1, so a blank exercise raises, and every
  check call must print "Correct!" and earn full marks from the grading cell (lessons/grade.py).
- Each mode gets a fresh store of the learner's pieces (lessons/checks/store.py) and runs the lessons
  in order, so the solutions' pieces reach the later lessons, as they reach a learner's.
- Notebooks run in their own folder (lessons/ or lessons/solutions/), as Jupyter runs them, against
  the installed minishop package. New lessons are picked up automatically from the file names.
"""

import importlib.util
import pathlib
import re
import time

import pytest

nbformat = pytest.importorskip("nbformat", reason="the lessons extra is needed: pip install -e '.[lessons]'")
nbclient = pytest.importorskip("nbclient", reason="the lessons extra is needed: pip install -e '.[lessons]'")
pytest.importorskip("jupytext", reason="the lessons extra is needed: pip install -e '.[lessons]'")

LESSONS_DIR = pathlib.Path(__file__).resolve().parent.parent / "lessons"
LESSON_SECONDS = 120  # the course promises each lesson runs in two minutes on a 2-core CPU


def _load(name):
    """Import lessons/<name>.py under a private module name (no clash with PyPI's `build`)."""
    spec = importlib.util.spec_from_file_location(f"_lessons_{name}", LESSONS_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _load("build")
grade = _load("grade")

LESSON_SOURCES = sorted(LESSONS_DIR.glob("[0-9][0-9]_*.py"))
SOLUTION_SOURCES = sorted((LESSONS_DIR / "solutions").glob("[0-9][0-9]_*.py"))
CHECK_CALL = re.compile(r"^\s*(?:\w+\s*=\s*)?(?:check_\w+|quiz)\(", re.MULTILINE)


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
            elif output.get("output_type") in ("execute_result", "display_data"):
                texts.append(output.get("data", {}).get("text/plain", ""))
    return "".join(texts)


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    """One fresh store of learner pieces per mode, shared by the lessons run in order."""
    return {"blank": tmp_path_factory.mktemp("store_blank"), "solutions": tmp_path_factory.mktemp("store_solutions")}


def _run(source, store, strict):
    """Execute the notebook of `source` in a fresh kernel; return (printed text, checks, scores, declared)."""
    notebook = nbformat.reads(build.notebook_text(source), as_version=4)
    start = time.perf_counter()
    scores, declared, _ = grade.execute(notebook, source.name, source.parent, store, strict=strict,
                                        allow_errors=False)  # any error fails the test
    seconds = time.perf_counter() - start
    print(f"{_name(source)} ran in {seconds:.1f} s")
    assert seconds <= LESSON_SECONDS, f"{_name(source)} took {seconds:.0f} s; a lesson must run in {LESSON_SECONDS} s"
    return _printed(notebook), _check_calls(notebook), scores, declared


def _solution_lines(source):
    """The code lines of a lesson's solutions (stripped, > 25 characters) that the lesson itself does not contain."""
    solutions = LESSONS_DIR / "solutions" / f"{source.stem}_solutions.py"
    lesson_lines = {line.strip() for line in source.read_text(encoding="utf-8").splitlines()}
    return {line.strip() for line in solutions.read_text(encoding="utf-8").splitlines()
            if len(line.strip()) > 25 and not line.strip().startswith("#") and line.strip() not in lesson_lines}


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


STUDY_TIME = re.compile(r"\*\*Study time:\*\* about ([0-9.]+) hours?")


def _readme_hours():
    """{"05": "3", ...}: the study hours of each lesson in lessons/README.md's table (its last column)."""
    rows = re.findall(r"^\| \[(\d\d)\]\(.*\| ([0-9.]+) \|$", (LESSONS_DIR / "README.md").read_text(encoding="utf-8"),
                      re.MULTILINE)
    return dict(rows)


@pytest.mark.parametrize("source", LESSON_SOURCES, ids=_name)
def test_lesson_has_a_quiz_reflection_answers_and_the_readme_study_time(source):
    text = source.read_text(encoding="utf-8")
    solutions = (LESSONS_DIR / "solutions" / f"{source.stem}_solutions.py").read_text(encoding="utf-8")
    assert re.search(r"^check_quiz\(|^quiz\(", text, re.MULTILINE), f"{_name(source)}: end the lesson with a quiz"
    assert "## Reflection" in text and "Reflection" in solutions, (
        f"{_name(source)}: reflection questions in the lesson, their answers in its solutions")
    hours = STUDY_TIME.search(text)
    assert hours, f"{_name(source)}: state '**Study time:** about N hours' at the top (never a run time)"
    assert _readme_hours().get(source.name[:2]) == hours.group(1), (
        f"{_name(source)} says {hours.group(1)} study hours; lessons/README.md's table says "
        f"{_readme_hours().get(source.name[:2])}")


@pytest.mark.slow
@pytest.mark.parametrize("source", LESSON_SOURCES, ids=_name)
def test_lesson_runs_with_exercises_untouched(source, stores):
    printed, n_checks, scores, _ = _run(source, stores["blank"], strict=False)
    assert printed.count("not attempted yet") == n_checks, (
        f"{_name(source)}: each of its {n_checks} check calls should report 'not attempted yet' on the "
        f"handed-out notebook; printed:\n{printed[-2000:]}"
    )
    assert "Correct!" not in printed, f"{_name(source)}: an exercise is already solved in the handed-out lesson"
    assert sum(earned for earned, _ in scores.values()) == 0, f"{_name(source)}: a blank lesson scores 0: {scores}"
    leaked = sorted(line for line in _solution_lines(source) if line in printed)
    assert not leaked, f"{_name(source)}: the blank run prints lines of the solution (a hint gives the answer): {leaked}"


@pytest.mark.slow
@pytest.mark.parametrize("source", SOLUTION_SOURCES, ids=_name)
def test_solutions_pass_every_check(source, stores):
    printed, n_checks, scores, declared = _run(source, stores["solutions"], strict=True)
    assert printed.count("Correct!") == n_checks, (
        f"{_name(source)}: expected {n_checks} 'Correct!' lines, printed:\n{printed[-2000:]}"
    )
    earned, possible, rows = grade.score(scores, declared)
    assert possible > 0 and earned == possible, f"{_name(source)}: the solutions should get full marks: {rows}"


# ---------------------------------------------------------------------------------------------- grade.py


def test_grade_prints_the_score_of_a_notebook(tmp_path, capsys):
    """The grading command on a tiny notebook: a right answer, a wrong one (the rest still runs), a blank."""
    cells = [
        f"import sys\nsys.path.insert(0, {str(LESSONS_DIR)!r})\nfrom checks import check_equal, quiz",
        "check_equal('right', 2 + 2, 4, points=3)",
        "check_equal('wrong', 2 + 2, 5, points=2)",
        "quiz('blank quiz', None, 'b', points=1)",
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    path = tmp_path / "99_demo.ipynb"
    nbformat.write(notebook, path)
    assert grade.main([str(path)]) == 0
    out = capsys.readouterr().out
    assert "score: 3 / 6" in out, out
    assert re.search(r"wrong\s+0 / 2", out) and "1 cell raised an error" in out, out


def test_grade_counts_an_exercise_that_never_ran_as_zero():
    earned, possible, rows = grade.score({"softmax": (2, 2), "quiz 05": (1.5, 3)}, {"softmax": 2, "attention": 3})
    assert (earned, possible) == (3.5, 8)
    assert ("attention", 0, 3, "never run") in rows and ("quiz 05", 1.5, 3, "not yet") in rows


def test_grade_rejects_what_is_not_a_notebook(tmp_path, capsys):
    with pytest.raises(SystemExit):
        grade.main([str(tmp_path / "missing.ipynb")])
    assert "expected an existing .ipynb file" in capsys.readouterr().err


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
