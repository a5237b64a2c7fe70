"""Regenerate every lesson notebook (.ipynb) from its source of truth, a jupytext "percent" .py file.

    python lessons/build.py                  # write lessons/NN_slug.ipynb and lessons/solutions/*.ipynb
    python lessons/build.py lessons/05_*.py  # only these sources (and nothing else)
    python lessons/build.py --check          # write nothing; exit 1 listing the notebooks that are out of date

The .py files are what you edit and what diffs well in review; the .ipynb files are committed without
outputs so that the course renders on GitHub and opens in Jupyter with no extra step. The test suite
runs `--check`'s logic, so a lesson whose notebook was not rebuilt fails CI.
"""

import argparse
import hashlib
import pathlib
import sys

import jupytext

LESSONS_DIR = pathlib.Path(__file__).resolve().parent


def lesson_sources():
    """Every lesson and solutions source: lessons/NN_*.py and lessons/solutions/NN_*.py, sorted."""
    sources = sorted(LESSONS_DIR.glob("[0-9][0-9]_*.py"))
    sources += sorted((LESSONS_DIR / "solutions").glob("[0-9][0-9]_*.py"))
    return sources


def notebook_text(source):
    """The .ipynb text (no outputs) that the percent-format file `source` should produce."""
    notebook = jupytext.read(source, fmt="py:percent")
    notebook.metadata.setdefault("kernelspec", {"display_name": "Python 3", "language": "python", "name": "python3"})
    notebook.metadata["jupytext"] = {"formats": "ipynb,py:percent"}  # Jupyter + jupytext keep the pair in sync
    seen = set()
    for cell in notebook.cells:  # stable cell ids (jupytext draws random ones): a hash of the cell's text
        cell_id = hashlib.sha1(cell.source.encode("utf-8")).hexdigest()[:8]
        while cell_id in seen:
            cell_id = hashlib.sha1(cell_id.encode("utf-8")).hexdigest()[:8]
        seen.add(cell_id)
        cell.id = cell_id
    return jupytext.writes(notebook, fmt="ipynb")


def _cells(notebook):
    """What must match between a notebook and its source: each cell's type and text."""
    return [(cell.cell_type, cell.source) for cell in notebook.cells]


def _has_outputs(notebook):
    return any(cell.get("outputs") or cell.get("execution_count") for cell in notebook.cells if cell.cell_type == "code")


def out_of_date(source):
    """True when `source`'s paired .ipynb is missing, has other cells than the source, or keeps outputs.

    The comparison is by cell type and text (not byte for byte), so another version of jupytext or
    nbformat writing slightly different JSON does not count as a change.
    """
    target = source.with_suffix(".ipynb")
    if not target.exists():
        return True
    committed = jupytext.read(target, fmt="ipynb")
    expected = jupytext.reads(notebook_text(source), fmt="ipynb")
    return _cells(committed) != _cells(expected) or _has_outputs(committed)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sources", nargs="*", type=pathlib.Path,
                        help="lesson .py files to build (default: every lesson and solutions file)")
    parser.add_argument("--check", action="store_true", help="only report notebooks that are out of date")
    args = parser.parse_args(argv)
    sources = [path.resolve() for path in args.sources] or lesson_sources()
    for source in sources:
        if source.suffix != ".py" or not source.exists():
            parser.error(f"{source}: expected an existing lesson source file ending in .py")
    stale = [source for source in sources if out_of_date(source)]
    if args.check:
        for source in stale:
            print(f"out of date: {source.with_suffix('.ipynb').relative_to(LESSONS_DIR.parent)} "
                  f"(run: python lessons/build.py)")
        return 1 if stale else 0
    for source in stale:
        source.with_suffix(".ipynb").write_text(notebook_text(source), encoding="utf-8")
        print(f"wrote {source.with_suffix('.ipynb').relative_to(LESSONS_DIR.parent)}")
    print(f"{len(sources)} notebooks, {len(stale)} rebuilt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
