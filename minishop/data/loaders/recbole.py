"""Load RecBole atomic files: `NAME.inter` (the interactions) and, when it sits beside it, `NAME.item`.

Atomic files are tab-separated, with a header of `name:type` fields (type token, token_seq, float, float_seq):

    user_id:token   item_id:token   rating:float   timestamp:float
    196             242             3              881250949

`path` is the .inter file or the dataset's folder (holding one .inter file). The .item file gives titles
(`title`, `movie_title`, `name`) and categories (`categories`, `genre`, `class`) where it has them.
"""

import os

import pandas as pd

from minishop.data.loaders.base import DataFormatError, LoadResult, Lines, column_key, side_note
from minishop.data.loaders.interactions import find_columns, to_interactions
from minishop.data.loaders.table import read_delimited, text_column

TITLES = ("title", "movie_title", "name", "item_name")
CATEGORIES = ("categories", "category", "genre", "genres", "class")


def inter_file(path):
    """The .inter file of `path`: the file itself, or the one .inter file in the folder `path`."""
    if not os.path.isdir(path):
        return path
    found = sorted(name for name in os.listdir(path) if name.endswith(".inter"))
    if len(found) != 1:
        raise DataFormatError(f"{path}: is a folder, expected a RecBole .inter file or a folder holding exactly "
                              f"one (found {found or 'none'})")
    return os.path.join(path, found[0])


def load_items(path, errors, encoding):
    """NAME.item -> (items table: item, title, category; Report)."""
    lines = Lines(path, "load recbole items", errors, encoding)
    table = read_delimited(lines, delimiter="\t")
    keys = {column_key(name): name for name in table.header}
    item = keys.get("itemid")
    if item is None:
        raise DataFormatError(f"{path}, line 1: expected an item_id:token column, found {table.header}")
    ids = text_column(table.frame[item])
    table.fail_rows((ids == "").to_numpy(dtype=bool), item, "a non-empty item id")
    named = {"item": ids}
    for ours, names in (("title", TITLES), ("category", CATEGORIES)):
        column = next((keys[column_key(n)] for n in names if column_key(n) in keys), None)
        named[ours] = text_column(table.frame[column]) if column else None
    table.frame = table.frame.assign(**{k: v for k, v in named.items() if v is not None})
    frame = table.flush()[[k for k, v in named.items() if v is not None]]
    if "title" not in frame.columns:
        frame["title"] = frame["item"]
    if "category" not in frame.columns:
        frame["category"] = None
    return frame, lines.finish(len(frame), allow_empty=True)


def float_fields(header):
    """The header's NAME:float fields (times, ratings): read as numbers; a NAME:token field is text."""
    return [name for name in header if name.endswith(":float")]


def load_recbole(path, errors="raise", encoding="utf-8"):
    """The RecBole dataset at `path` (NAME.inter, or its folder) as a LoadResult; NAME.item as item metadata."""
    path = inter_file(str(path))
    lines = Lines(path, "load recbole", errors, encoding)
    table = read_delimited(lines, delimiter="\t", numbers=float_fields)
    found = find_columns(path, table.header)
    table.frame = table.frame[list(dict.fromkeys(found.values()))]
    frame = to_interactions(table, found)
    report = lines.finish(len(frame))
    items = None
    item_path = os.path.splitext(path)[0] + ".item"
    if os.path.exists(item_path):
        items, items_report = load_items(item_path, errors, encoding)
        if pd.api.types.is_integer_dtype(frame["item"]):  # ids read as numbers in .inter: the same in .item
            items["item"] = pd.to_numeric(items["item"], errors="coerce")
            items_report.notes.append(f"{int(items['item'].isna().sum()):,} item ids are not numbers")
        report.notes.append(side_note(items_report))
    return LoadResult(interactions=frame, items=items, report=report)
