"""The recommender on the command line: `minishop train`, `evaluate` and `recommend`.

    minishop train --out runs/shop                 # the bundled shop, ~1 minute on a laptop CPU
    minishop train --out runs/shop --resume        # continue it after an interruption, with its saved settings
    minishop evaluate runs/shop                    # test metrics of a run (its best.ckpt), both protocols
    minishop recommend runs/shop --user U00042 -k 10
    minishop recommend runs/shop --users users.txt --out recs.csv   # one raw user id per line

`add_recommender_commands(subparsers)` registers them on minishop's main parser (minishop/cli.py). Every
argument is checked before any data is read; data is mapped to a model by raw ids (minishop.recsys.runfiles).
"""

import csv
import json
import os
import sys
from dataclasses import replace

from minishop import distributed, runs
from minishop.config import HELP, add_config_flags, add_run_flags, check_writable, config_from_args
from minishop.data import registry
from minishop.eval import evaluate_all, format_table
from minishop.recsys import runfiles
from minishop.recsys.explain import user_index
from minishop.recsys.inference import TrainedRecommender
from minishop.recsys.training import RecommenderConfig, compare_with_baselines, prepare_data, train_recommender


def add_recommender_commands(subparsers):
    """Add `train`, `evaluate` and `recommend`."""
    train = subparsers.add_parser(
        "train", help="train the recommender and compare it with three baselines",
        description="Train the sequential recommender (SASRec) and print its test metrics next to the "
                    "most-popular, Markov and item-kNN baselines, under full ranking and the paper's sampled "
                    "protocol. Settings: defaults < --config file < command-line options.")
    add_config_flags(train, RecommenderConfig)
    train.add_argument("--out", help="run folder: config.json, items.json, users.json, data.json, best.ckpt, "
                                     "last.ckpt, metrics.jsonl, results.json")
    add_run_flags(train)
    train.set_defaults(func=run_train)

    evaluate = subparsers.add_parser(
        "evaluate", help="test metrics of a trained model (and the baselines), both protocols",
        description="Evaluate a checkpoint (or a run folder's best.ckpt) on the test items of its data.")
    evaluate.add_argument("checkpoint", help="a run folder or a .ckpt file inside one")
    evaluate.add_argument("--data", help="evaluate on another file than the one it was trained on, or a downloaded "
                                         "registry data set's name (items are matched by raw id; unknown ones "
                                         "are counted and left out)")
    evaluate.add_argument("--format", help="format of --data")
    add_reading_flags(evaluate)
    evaluate.add_argument("--stage", choices=["test", "valid"], default="test", help="held-out items (default test)")
    evaluate.add_argument("--no-baselines", dest="baselines", action="store_false", help="only the model")
    evaluate.add_argument("--json", dest="json_out", help="also write the results to this JSON file")
    evaluate.add_argument("--device", choices=["numpy", "cupy"], help=DEVICE)
    evaluate.set_defaults(func=run_evaluate)

    recommend = subparsers.add_parser(
        "recommend", help="top-k products for a user (or a file of users), with the reason",
        description="Recommend new products after a user's whole history, with the past items the list rests "
                    "on most (removing them lowers the recommended items' scores the most) and what the user did "
                    "with them (\"because you viewed ...\").")
    recommend.add_argument("checkpoint", help="a run folder or a .ckpt file inside one")
    who = recommend.add_mutually_exclusive_group(required=True)
    who.add_argument("--user", help="the user's id as written in the data")
    who.add_argument("--users", metavar="FILE", help="a file of user ids, one per line: recommend for each")
    recommend.add_argument("--out", help="with --users: write the recommendations to this CSV file "
                                         "(user, rank, item, title, score, reason)")
    recommend.add_argument("-k", type=int, default=10, help="how many products (default 10)")
    recommend.add_argument("--reasons", type=int, default=3, help="how many past items to cite (default 3)")
    recommend.add_argument("--data", help="read the users' histories from another file, or a downloaded registry "
                                          "data set's name (default: the histories saved with the run)")
    recommend.add_argument("--format", help="format of --data")
    add_reading_flags(recommend)
    recommend.add_argument("--device", choices=["numpy", "cupy"], help=DEVICE)
    recommend.set_defaults(func=run_recommend)


DEVICE = HELP["device"]


def add_reading_flags(parser):
    """--columns, --errors and --encoding for reading --data (default: the run's own settings)."""
    parser.add_argument("--columns", help="csv/tsv/parquet --data: its columns, as user=visitorid,item=itemid,"
                                          "timestamp=ts (default: the run's)")
    parser.add_argument("--errors", choices=("raise", "skip"), help="malformed rows of --data: stop naming file, "
                                                                    "line and column, or skip and count them "
                                                                    "(default: the run's)")
    parser.add_argument("--encoding", help="text encoding of --data (default: the run's)")


def reading_settings(args):
    """The data-reading flags typed, as RecommenderConfig fields."""
    return {name: getattr(args, name) for name in ("columns", "errors", "encoding") if getattr(args, name, None)}


def run_train(args):
    """Settings -> minishop.recsys.training.train_recommender, which prints each step and the test metrics.

    With --resume the run's config.json gives the settings; a flag that contradicts it is an error.
    """
    if (args.resume or args.overwrite) and not args.out:
        raise ValueError(f"{'--resume' if args.resume else '--overwrite'} needs --out (the run folder)")
    saved = runs.saved_config(args.out) if args.resume else None  # a clear error when there is no run
    if getattr(args, "data", None):  # a registry name typed becomes its cached file and format, as config.json
        path, data_format = registry.resolve(args.data, getattr(args, "format", None))  # stores them, so
        if path != args.data:  # --resume --data NAME matches the run it continues
            args.data, args.format = path, data_format
    config = config_from_args(RecommenderConfig, args, saved=saved, source=f"{args.out}/config.json")
    config = replace(config, **dict(zip(("data", "format"), registry.resolve(config.data, config.format))))
    train_recommender(config, out_dir=args.out, resume=args.resume, overwrite=args.overwrite)
    if args.out:
        print(f"run folder: {args.out} (config.json, best.ckpt, last.ckpt, metrics.jsonl, results.json, ...)")
    return 0


def check_folder(path, name):
    """A path that must be an existing run folder or checkpoint file: a clear error naming the argument."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"{name} {path}: no such run folder or checkpoint file")


def load_data(run, path, data_format, reading=None):
    """The run's data (or another file, read with `reading`: columns, errors, encoding), re-indexed by the
    run's items; prints what was left out, and whether the run's own data file changed since training."""
    raw = prepare_data(replace(run.config, **(reading or {})), path, data_format)
    if path is None and os.path.exists(os.path.join(run.folder, runfiles.DATA)):
        if runfiles.changed_since_training(run.folder, runfiles.fingerprint(run.config.data, run.config.format, raw)):
            print(f"note: {run.config.data or 'the bundled shop'} changed since training ({runfiles.DATA}); "
                  "its items are matched to the model by raw id")
    prepared, notes = runfiles.align(raw, run.item_ids, run.titles)
    if runfiles.describe(notes):
        print(runfiles.describe(notes))
    return prepared, notes


def run_evaluate(args):
    """Test (or validation) metrics of the model, and of the baselines fitted on the same data."""
    check_folder(args.checkpoint, "checkpoint")
    check_writable(args.json_out, "--json")
    args.data, args.format = registry.resolve(args.data, args.format)  # a registry name: its cached file
    run = TrainedRecommender(args.checkpoint, args.device)
    prepared, notes = load_data(run, args.data, args.format, reading_settings(args))
    if args.baselines and args.stage == "test":
        results = compare_with_baselines(run.model, prepared.split, seed=run.config.seed)
    else:
        results = {"model": evaluate_all(run.model, prepared.split, stage=args.stage, seed=run.config.seed,
                                         progress=False)}
    if distributed.world().rank != 0:  # started under mpiexec: one report, one file
        return 0
    print(f"{args.stage} metrics of {args.checkpoint}:")
    print(format_table(results))
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as file:
            json.dump(dict(results, data=notes), file, indent=2)
    return 0


def run_recommend(args):
    """One user's recommendations printed, or every user of --users written as CSV (to --out or the screen)."""
    if args.k < 1:
        raise ValueError(f"-k {args.k}: expected at least 1")
    if args.reasons < 0:
        raise ValueError(f"--reasons {args.reasons}: expected 0 or more")
    if args.out and not args.users:
        raise ValueError("--out: goes with --users FILE (batch recommendations)")
    check_writable(args.out, "--out")
    check_folder(args.checkpoint, "checkpoint")
    users = read_user_file(args.users) if args.users else [args.user]
    args.data, args.format = registry.resolve(args.data, args.format)  # a registry name: its cached file
    run = TrainedRecommender(args.checkpoint, args.device)
    history_of = saved_histories(run) if args.data is None else data_histories(run, args.data, args.format,
                                                                                    reading_settings(args))
    if args.users is None:
        indices, events = history_of(args.user)
        answer = run.answer(indices, events, [], args.k, args.reasons)
        print("\n".join(format_answer(run, args.user, indices, answer)))
        return 0
    answers, unknown = [], []
    for user in users:
        try:
            indices, events = history_of(user)
        except KeyError:
            unknown.append(user)
            continue
        answers.append((user, run.answer(indices, events, [], args.k, args.reasons)))
    write_csv(answers, args.out)
    if unknown:
        print(f"minishop recommend: {len(unknown)} of the {len(users)} users in {args.users} are unknown and got "
              f"no recommendations (e.g. {', '.join(unknown[:5])})", file=sys.stderr)
    return 0


def read_user_file(path):
    """The user ids of a file, one per line (blank lines skipped); a folder or a missing file is an error."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"--users {path}: " + ("is a folder, expected a file of user ids, one per line"
                                                        if os.path.isdir(path) else "no such file"))
    with open(path, encoding="utf-8") as file:
        return [line.strip() for line in file if line.strip()]


def saved_histories(run):
    """history_of(user) -> (item indices, events) from the histories saved with the run."""
    def history_of(user):
        saved = run.users().get(str(user))
        if saved is None:
            examples = ", ".join(list(run.users())[:5])
            raise KeyError(f"user {user!r} is not in this run's data ({len(run.users())} users, e.g. {examples})")
        return saved["items"], saved["events"]
    return history_of


def data_histories(run, path, data_format, reading=None):
    """history_of(user) -> (item indices, events) from another file, aligned to the run's items."""
    prepared, _ = load_data(run, path, data_format, reading)

    def history_of(user):
        index = user_index(prepared, user)
        if index not in prepared.sequences:
            raise KeyError(f"user {user!r}: none of their items is known to the model")
        return prepared.sequences[index], prepared.events[index]
    return history_of


def format_answer(run, user, indices, answer):
    """Lines of text: the recent history, the ranked titles with scores, and the reason."""
    name = lambda index: run.titles.get(index) or run.item_ids[index]  # noqa: E731
    lines = [f"user {user}: {len(indices)} items in their history; the last five:"]
    lines += [f"    {name(index)}" for index in indices[-5:]]
    lines.append(f"top {len(answer['items'])} recommendations:")
    for rank, item in enumerate(answer["items"], start=1):
        lines.append(f"  {rank:2d}. {item['title'] or item['item']}  (score {item['score']:.2f})")
    if answer["reasons"]:
        lines.append("because you " + reason_line(answer))
    return lines


def reason_line(answer):
    """'viewed A (score drops by 0.41 without it); added to cart B (score drops by 0.12 without it)': the
    items the list rests on most, each with the mean drop of the recommended items' scores without it."""
    return "; ".join(f"{reason['verb']} {reason['title'] or reason['item']} (score drops by "
                     f"{reason['score_drop']:.2g} without it)" for reason in answer["reasons"])


def write_csv(answers, out):
    """user, rank, item, title, score, reason: one row per recommendation, to the file `out` or the screen."""
    file = open(out, "w", newline="", encoding="utf-8") if out else sys.stdout
    try:
        writer = csv.writer(file)
        writer.writerow(["user", "rank", "item", "title", "score", "reason"])
        for user, answer in answers:
            for rank, item in enumerate(answer["items"], start=1):
                writer.writerow([user, rank, item["item"], item["title"] or "", f"{item['score']:.6g}",
                                 reason_line(answer)])
    finally:
        if out:
            file.close()
