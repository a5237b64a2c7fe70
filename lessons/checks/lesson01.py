"""Checks of lesson 1 (collecting e-commerce data). Expected values come from minishop's own loaders."""

from minishop import data

from . import check_close, check_equal, quiz, register

LESSON = "lesson01"
register("mean_rating", 1, ("Loop over the file's lines; each non-blank line is one JSON object with a 'rating'.",
                            "Average over ALL the reviews: the sum of the ratings divided by how many there are."),
         LESSON)
register("status_counts", 2, ("Each row of order_items is one line of an order; its status lives in the orders table.",
                              "Join the two tables on order_id, keep the rows whose created_at SQLite can read, "
                              "and count the rows per status (GROUP BY).",
                              "Count order LINES, not orders: COUNT(*) over the joined rows."), LESSON)
register("quiz 01", 3, ("Sections 3 (click log), 5 (SQL) and 6 (interactions table) have the answers.",), LESSON)


def check_mean_rating(mean_rating):
    shop = data.load(format="shop", errors="skip")  # minishop's loader for the whole shop folder
    return check_close("mean_rating", mean_rating, shop.reviews["rating"].mean())


def check_status_counts(status_counts, db_path):
    from_sqlite = data.load(db_path, format="sqlite", errors="skip")  # minishop reads the same database
    return check_equal("status_counts", status_counts, from_sqlite.interactions["status"].value_counts().to_dict())


QUIZ = {"1": "b", "2": "c", "3": "a"}


def check_quiz(answers):
    """Questions in the lesson's quiz cell; answers are letters."""
    return quiz("quiz 01", answers, QUIZ)
