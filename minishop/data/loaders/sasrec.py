"""Load SASRec's preprocessed format: one `user item` pair per line, each user's lines in chronological order.

Example: `amazon-games.txt` (Amazon Video Games as published by the SASRec authors). Ids are positive integers.
The file has no time column, so `timestamp` is the line number: it keeps each user's order exactly.
"""

import pandas as pd

from minishop.data.loaders.base import LoadResult, Lines


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise ValueError("not positive")
    return value


def load_sasrec(path, errors="raise", encoding="utf-8"):
    """A SASRec `user item` file at `path` as a LoadResult (event "interaction", timestamp = line order)."""
    lines = Lines(path, "load sasrec", errors, encoding)
    users, items, stamps = [], [], []
    for line_no, text in lines.decoded():
        fields = text.split()
        if len(fields) != 2:
            lines.fail(line_no, "<line>", "2 space-separated integers 'user item'", text[:60])
            continue
        try:
            user = _positive_int(fields[0])
        except ValueError:
            lines.fail(line_no, "user", "a positive integer", fields[0])
            continue
        try:
            item = _positive_int(fields[1])
        except ValueError:
            lines.fail(line_no, "item", "a positive integer", fields[1])
            continue
        users.append(user)
        items.append(item)
        stamps.append(line_no)
    frame = pd.DataFrame({"user": pd.Series(users, dtype="int64"), "item": pd.Series(items, dtype="int64"),
                          "timestamp": pd.Series(stamps, dtype="int64")})
    frame["event"] = "interaction"
    return LoadResult(interactions=frame, items=None, report=lines.finish(len(frame)))
