"""What makes a recommender run folder self-contained: its id maps and the fingerprint of its data.

A model knows items only by their index 1..n_items; what index an item gets depends on the file it was
read from. So a run folder keeps, next to config.json:

    items.json   {"ids": [raw item id of index 0, 1, 2, ...], "titles": {index: title}}
    users.json   {raw user id: {"items": [item index, ...], "events": [event, ...]}}  (whole histories)
    data.json    the data's fingerprint: path, format, each file's size and sha256, users, items, rows

and every later use of the model (evaluate, recommend, minishop.load_run) maps data to the model by RAW
ids with align(): the order of the lines in a file cannot matter, and an item the model never saw is
counted and reported, never given some other item's index.
"""

import hashlib
import os
from dataclasses import replace

from minishop import runs
from minishop.data.loaders.shop import default_shop_path
from minishop.data.splits import leave_one_out

ITEMS, USERS, DATA = "items.json", "users.json", "data.json"


def fingerprint(path, data_format, prepared):
    """{"path", "format", "files": [{"name", "bytes", "sha256"}], "users", "items", "interactions"}."""
    path = default_shop_path() if path is None else path
    names = ([os.path.join(path, name) for name in sorted(os.listdir(path))] if os.path.isdir(path) else [path])
    files = [{"name": os.path.basename(name), "bytes": os.path.getsize(name), "sha256": _sha256(name)}
             for name in names if os.path.isfile(name)]
    return {"path": os.path.abspath(path), "format": data_format, "files": files, "users": prepared.n_users,
            "items": prepared.n_items, "interactions": sum(len(s) for s in prepared.sequences.values())}


def _sha256(name):
    digest = hashlib.sha256()
    with open(name, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sequence_events(prepared):
    """{user index: [event name, ...]} aligned with prepared.sequences (the same stable (user, time) order)."""
    frame = prepared.interactions
    if frame is None or "event" not in frame.columns:
        return {user: ["interaction"] * len(items) for user, items in prepared.sequences.items()}
    ordered = frame.sort_values(["user_idx", "timestamp"], kind="stable")
    events = {}
    for user, event in zip(ordered["user_idx"].to_numpy(), ordered["event"].astype(str).to_numpy()):
        events.setdefault(int(user), []).append(event)
    return events


def write_start(out_dir, config, prepared, data_path, resume, chosen=None):
    """Write config.json, items.json, users.json and data.json before training (on resume: check the data
    is the same as the run's, and write only config.json, which may have raised epochs or patience).
    data.json also keeps `chosen`, the settings chosen from the data and why (read_chosen)."""
    print_of = fingerprint(data_path, config["format"], prepared)
    if resume:
        if changed_since_training(out_dir, print_of):
            raise ValueError(f"--resume {out_dir}: the data differs from the run's ({print_of['path']}: its "
                             f"sha256 is not the one in {os.path.join(out_dir, DATA)}); resume on the same data, "
                             "or start a new run")
        runs.write_run(out_dir, config=config)
        return
    events = sequence_events(prepared)
    users = {str(prepared.user_ids[user]): {"items": items, "events": events[user]}
             for user, items in prepared.sequences.items()}
    items = {"ids": [str(raw) for raw in prepared.item_ids],
             "titles": {str(index): title for index, title in prepared.item_titles.items()}}
    runs.write_run(out_dir, config=config, items=items, users=users, data=dict(print_of, from_data=chosen or {}))


def read_chosen(folder):
    """The settings chosen from the data when the run in folder started ({} for runs older than that)."""
    return runs.read_json(os.path.join(folder, DATA)).get("from_data", {})


def changed_since_training(folder, print_of):
    """Whether the data fingerprinted as `print_of` differs from the run's data.json (its files' sha256)."""
    saved = runs.read_json(os.path.join(folder, DATA))
    return [f["sha256"] for f in saved["files"]] != [f["sha256"] for f in print_of["files"]]


def read_items(folder):
    """(raw item ids by index, {index: title}) of the run in folder."""
    items = runs.read_json(os.path.join(folder, ITEMS))
    return items["ids"], {int(index): title for index, title in items["titles"].items()}


def align(prepared, item_ids, titles):
    """prepared re-indexed by the run's items (item_ids: raw id of each run index); returns (aligned, notes).

    An item of the data the run never saw is dropped from its histories and counted in notes
    ("unknown_items", "unknown_interactions", "users_left_empty"); a file with no known item at all is
    an error. aligned.events holds each aligned history's events ({user index: [event, ...]}). The split is made again from the aligned histories, as leave-one-out always is.
    """
    run_index = {raw: index for index, raw in enumerate(item_ids) if index > 0}
    to_run = [run_index.get(str(raw), 0) for raw in prepared.item_ids]  # data index -> run index (0: unknown)
    events = sequence_events(prepared)
    sequences, aligned_events, unknown_rows, emptied = {}, {}, 0, 0
    for user, items in prepared.sequences.items():
        kept = [(to_run[item], event) for item, event in zip(items, events[user]) if to_run[item]]
        unknown_rows += len(items) - len(kept)
        if not kept:
            emptied += 1
            continue
        sequences[user], aligned_events[user] = [item for item, _ in kept], [event for _, event in kept]
    unknown_items = sum(1 for index in to_run[1:] if index == 0)
    if not sequences:
        raise ValueError(f"none of the data's {prepared.n_items} items is among the {len(item_ids) - 1} items "
                         "the model was trained on: this model cannot score this data")
    notes = {"unknown_items": unknown_items, "unknown_interactions": unknown_rows, "users_left_empty": emptied}
    n_items = len(item_ids) - 1
    aligned = replace(prepared, sequences=sequences, split=leave_one_out(sequences, n_items=n_items),
                      n_items=n_items, item_ids=list(item_ids), item_titles=dict(titles), item_categories={})
    aligned.events = aligned_events
    return aligned, notes


def describe(notes):
    """One line for the notes of align(), or '' when every item was known."""
    if not notes["unknown_items"]:
        return ""
    return (f"note: {notes['unknown_items']} items of the data are unknown to the model: their "
            f"{notes['unknown_interactions']} interactions were left out ({notes['users_left_empty']} users "
            "had no known item left)")

