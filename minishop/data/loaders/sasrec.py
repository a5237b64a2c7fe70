"""Load SASRec's preprocessed format: one `user item` pair per line, each user's lines in chronological order.

Example: `amazon-games.txt` (Amazon Video Games as published by the SASRec authors). Ids are positive integers.
The file has no time column, so `timestamp` is the line number: it keeps each user's order exactly. The lines
are read by pandas and checked a column at a time (loaders/table.py).
"""

import pandas as pd

from minishop.data.loaders.base import LoadResult, Lines
from minishop.data.loaders.retailrocket import whole_numbers
from minishop.data.loaders.table import first_line, read_delimited


def load_sasrec(path, errors="raise", encoding="utf-8"):
    """A SASRec `user item` file at `path` as a LoadResult (event "interaction", timestamp = line order)."""
    lines = Lines(path, "load sasrec", errors, encoding)
    delimiter = "\t" if "\t" in first_line(lines) else " "  # the published files use one space; some use tabs
    table = read_delimited(lines, delimiter=delimiter, names=["user", "item"])
    user, item = whole_numbers(table.frame["user"]), whole_numbers(table.frame["item"])
    table.fail_rows(~(user >= 1).to_numpy(dtype=bool), "user", "a positive integer")
    table.fail_rows(~(item >= 1).to_numpy(dtype=bool), "item", "a positive integer")
    stamps = table.line_numbers(slice(None))  # the line number: file order is time order
    table.frame = pd.DataFrame({"user": user, "item": item, "timestamp": stamps})
    frame = table.flush().astype("int64")
    frame["event"] = "interaction"
    return LoadResult(interactions=frame, items=None, report=lines.finish(len(frame)))
