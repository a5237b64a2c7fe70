"""The recommender on the command line: `minishop train`, `evaluate` and `recommend`.

    minishop train --out runs/shop                 # the bundled shop, ~1 minute on a laptop CPU
    minishop evaluate runs/shop                    # test metrics of a run (its best.ckpt), both protocols
    minishop recommend runs/shop --user U00042 -k 10

`add_recommender_commands(subparsers)` registers them on minishop's main parser (minishop/cli.py).
"""

import json

from minishop import backend
from minishop.config import add_config_flags, config_from_args
from minishop.eval import evaluate_all, format_table
from minishop.recsys.explain import format_recommendations, recommend_for_user
from minishop.recsys.training import (RecommenderConfig, compare_with_baselines, load_recommender, prepare_data,
                                      train_recommender)


def add_recommender_commands(subparsers):
    """Add `train`, `evaluate` and `recommend`."""
    train = subparsers.add_parser(
        "train", help="train the recommender and compare it with three baselines",
        description="Train the sequential recommender (SASRec) and print its test metrics next to the "
                    "most-popular, Markov and item-kNN baselines, under full ranking and the paper's sampled "
                    "protocol. Settings: defaults < --config file < command-line options.")
    add_config_flags(train, RecommenderConfig)
    train.add_argument("--out", help="run folder: best.ckpt, last.ckpt, config.json, metrics.jsonl, results.json")
    train.add_argument("--resume", action="store_true", help="continue the run in --out from its last.ckpt")
    train.set_defaults(func=run_train)

    evaluate = subparsers.add_parser(
        "evaluate", help="test metrics of a trained model (and the baselines), both protocols",
        description="Evaluate a checkpoint (or a run folder's best.ckpt) on the test items of its data.")
    evaluate.add_argument("checkpoint", help="a .ckpt file or a run folder")
    evaluate.add_argument("--data", help="evaluate on another file than the one it was trained on")
    evaluate.add_argument("--format", help="format of --data")
    evaluate.add_argument("--stage", choices=["test", "valid"], default="test", help="held-out items (default test)")
    evaluate.add_argument("--no-baselines", dest="baselines", action="store_false", help="only the model")
    evaluate.add_argument("--json", dest="json_out", help="also write the results to this JSON file")
    evaluate.add_argument("--device", choices=["numpy", "cupy"], default="numpy", help="numpy (default) or cupy")
    evaluate.set_defaults(func=run_evaluate)

    recommend = subparsers.add_parser(
        "recommend", help="top-k products for a user, with the reason",
        description="Recommend new products to a user after their whole history, with the past purchases the "
                    "model's last attention layer weighted most (\"because you bought ...\").")
    recommend.add_argument("checkpoint", help="a .ckpt file or a run folder")
    recommend.add_argument("--user", required=True, help="the user's id as written in the data")
    recommend.add_argument("-k", type=int, default=10, help="how many products (default 10)")
    recommend.add_argument("--reasons", type=int, default=3, help="how many past purchases to cite (default 3)")
    recommend.add_argument("--data", help="read the user's history from another file")
    recommend.add_argument("--format", help="format of --data")
    recommend.add_argument("--device", choices=["numpy", "cupy"], default="numpy", help="numpy (default) or cupy")
    recommend.set_defaults(func=run_recommend)


def run_train(args):
    """Settings -> minishop.recsys.training.train_recommender, which prints each step and the test metrics."""
    config = config_from_args(RecommenderConfig, args)
    if args.resume and not args.out:
        raise ValueError("--resume needs --out (the run folder to continue)")
    train_recommender(config, out_dir=args.out, resume=args.resume)
    if args.out:
        print(f"run folder: {args.out} (best.ckpt, last.ckpt, config.json, metrics.jsonl, results.json)")
    return 0


def load_data(config, path, data_format):
    """The run's data (its file, format, columns, errors, encoding, k-core), or another path and format."""
    return prepare_data(config, path, data_format)


def run_evaluate(args):
    backend.set_backend(args.device)
    model, config = load_recommender(args.checkpoint)
    prepared = load_data(config, args.data, args.format)
    if args.baselines and args.stage == "test":
        results = compare_with_baselines(model, prepared.split, seed=config.seed)
    else:
        results = {"model": evaluate_all(model, prepared.split, stage=args.stage, seed=config.seed, progress=False)}
    print(f"{args.stage} metrics of {args.checkpoint}:")
    print(format_table(results))
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as file:
            json.dump(results, file, indent=2)
    return 0


def run_recommend(args):
    if args.k < 1:
        raise ValueError(f"-k {args.k}: expected at least 1")
    backend.set_backend(args.device)
    model, config = load_recommender(args.checkpoint)
    prepared = load_data(config, args.data, args.format)
    recommendation = recommend_for_user(model, prepared, args.user, k=args.k, n_reasons=args.reasons)
    print("\n".join(format_recommendations(recommendation, prepared)))
    return 0
