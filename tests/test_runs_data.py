"""A run folder maps data to the model by raw ids: the order of a file's lines cannot change any result,
an item the model never saw is counted and left out (never given another item's index), and
minishop.load_run answers in raw ids without reading the data again."""

import csv
import json
import os

import numpy as np
import pytest

import minishop
from minishop.cli import main
from minishop.data import prepare

TINY = ["--format", "sasrec", "--epochs", "2", "--d-model", "16", "--n-blocks", "1", "--n-heads", "2",
        "--max-len", "20", "--eval-every", "1", "--quiet"]


def write_sasrec(path, lines):
    path.write_text("".join(f"{user} {item}\n" for user, item in lines))
    return str(path)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The shop's histories as a SASRec file (integer ids), the same lines interleaved differently (each user's
    order kept), and a copy where one item's id was replaced by a new one; plus a run trained on the first."""
    root = tmp_path_factory.mktemp("data")
    shop = prepare()
    lines = [(user, item) for user, items in shop.sequences.items() for item in items]
    rng = np.random.default_rng(0)
    queues = {user: list(items) for user, items in shop.sequences.items()}
    interleaved = []
    while queues:  # draw a random user, emit their next item: users interleave, each user's order stays
        user = list(queues)[rng.integers(len(queues))]
        interleaved.append((user, queues[user].pop(0)))
        if not queues[user]:
            del queues[user]
    renamed_item = 7
    renamed = [(user, 10_000 if item == renamed_item else item) for user, item in lines]
    paths = {"original": write_sasrec(root / "original.txt", lines),
             "interleaved": write_sasrec(root / "interleaved.txt", interleaved),
             "renamed": write_sasrec(root / "renamed.txt", renamed)}
    run = str(root / "run")
    assert main(["train", "--data", paths["original"], "--out", run, *TINY]) == 0
    users = [user for user, items in shop.sequences.items() if renamed_item not in items][:40]
    touched = [user for user, items in shop.sequences.items() if renamed_item in items]
    (root / "users.txt").write_text("".join(f"{user}\n" for user in users))
    return {"root": root, "run": run, "users": users, "touched": touched, **paths}


def evaluate_on(files, name):
    out = str(files["root"] / f"{name}.json")
    assert main(["evaluate", files["run"], "--data", files[name], "--format", "sasrec", "--json", out]) == 0
    return json.load(open(out))


def recommend_on(files, name):
    out = str(files["root"] / f"{name}.csv")
    assert main(["recommend", files["run"], "--data", files[name], "--format", "sasrec",
                 "--users", str(files["root"] / "users.txt"), "--out", out, "-k", "10"]) == 0
    return list(csv.reader(open(out)))


@pytest.mark.slow
def test_the_order_of_the_lines_changes_no_metric_and_no_recommendation(files):
    assert evaluate_on(files, "interleaved") == evaluate_on(files, "original")
    assert recommend_on(files, "interleaved") == recommend_on(files, "original")
    assert json.load(open(os.path.join(files["run"], "results.json")))["model"] == evaluate_on(files, "original")["model"]


@pytest.mark.slow
def test_an_item_the_model_never_saw_is_counted_and_shifts_nothing(files, capsys):
    original = recommend_on(files, "original")
    capsys.readouterr()
    renamed = recommend_on(files, "renamed")
    assert renamed == original  # these users never had the renamed item: their answers cannot move
    printed = capsys.readouterr().out
    n_rows = sum(1 for line in open(files["original"]) if line.split()[1] == "7")
    assert f"note: 1 items of the data are unknown to the model: their {n_rows} interactions were left out" in printed
    notes = evaluate_on(files, "renamed")["data"]
    assert notes == {"unknown_items": 1, "unknown_interactions": n_rows, "users_left_empty": 0}


@pytest.mark.slow
def test_a_file_with_no_known_item_is_a_clear_error(files, capsys):
    stranger = write_sasrec(files["root"] / "stranger.txt", [(1, 20_000), (1, 20_001), (1, 20_002)])
    assert main(["evaluate", files["run"], "--data", stranger, "--format", "sasrec"]) == 2
    assert "none of the data's 3 items is among the" in capsys.readouterr().err


@pytest.mark.slow
def test_load_run_answers_in_raw_ids_like_the_command(files, capsys):
    run = minishop.load_run(files["run"])
    user = files["users"][0]
    answer = run.recommend(user=user, k=10)
    rows = [row for row in recommend_on(files, "original")[1:] if row[0] == str(user)]
    assert [item["item"] for item in answer["items"]] == [row[2] for row in rows]
    history = json.load(open(os.path.join(files["run"], "users.json")))[str(user)]["items"]
    raw_history = [run.item_ids[index] for index in history]
    again = run.recommend(history=raw_history + ["no-such-item"], k=10)
    assert again["items"] == answer["items"] and again["unknown"] == ["no-such-item"]
    scores = run.score([raw_history, raw_history[:3]])
    assert scores.shape == (2, len(run.item_ids)) and np.isneginf(scores[:, 0]).all()
    best = max(range(1, len(run.item_ids)), key=lambda i: scores[0, i] if run.item_ids[i] not in raw_history
               else -np.inf)
    assert run.item_ids[best] == answer["items"][0]["item"]
    with pytest.raises(KeyError, match="is not among the"):
        run.recommend(user="nobody")
