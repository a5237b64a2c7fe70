"""The minishop course: lesson notebooks, their checks (`lessons/checks/`), `build.py` and `grade.py`.

This file makes `lessons` a package so that a teacher can run `python -m lessons.grade NOTEBOOK.ipynb`
from the repository's root. The notebooks themselves import `checks` directly (they run in lessons/).
"""
