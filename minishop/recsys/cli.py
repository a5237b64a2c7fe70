"""The recommender on the command line: `minishop train`, `evaluate` and `recommend`.

    minishop train --out runs/shop                 # the bundled shop, ~1 minute on a laptop CPU
    minishop evaluate runs/shop                    # test metrics of a run (its best.ckpt), both protocols
    minishop recommend runs/shop --user U00042 -k 10

`add_recommender_commands(subparsers)` registers them on minishop's main parser (minishop/cli.py).
"""

import json
import os
from dataclasses import fields

from minishop import backend
from minishop.data import prepare
from minishop.eval import evaluate_all, format_table
from minishop.recsys.explain import format_recommendations, recommend_for_user
from minishop.recsys.training import (RecommenderConfig, compare_with_baselines, fit_recommender,
                                      load_recommender)


def add_recommender_commands(subparsers):
    """Add `train`, `evaluate` and `recommend`."""
    train = subparsers.add_parser(
        "train", help="train the recommender and compare it with three baselines",
        description="Train the sequential recommender (SASRec) and print its test metrics next to the "
                    "most-popular, Markov and item-kNN baselines, under full ranking and the paper's sampled "
                    "protocol. Settings: defaults < --config file < command-line options.")
    train.add_argument("--data", help="interactions file (default: the bundled shop)")
    train.add_argument("--format", help="data format for minishop.data.prepare (default: shop)")
    train.add_argument("--loss", choices=["bce", "ce", "sampled"],
                       help="bce = SASRec's one-negative BCE, ce = full softmax (default), sampled = sampled softmax")
    train.add_argument("--epochs", type=int, help="maximum epochs (default 20; early stopping may end sooner)")
    train.add_argument("--device", choices=["numpy", "cupy"], help="numpy = CPU (default), cupy = GPU")
    train.add_argument("--d-model", dest="d_model", type=int, help="embedding width (default 64)")
    train.add_argument("--blocks", dest="n_blocks", type=int, help="transformer blocks (default 2)")
    train.add_argument("--heads", dest="n_heads", type=int, help="attention heads (default 2)")
    train.add_argument("--max-len", dest="max_len", type=int, help="longest history read (default 50)")
    train.add_argument("--dropout", type=float, help="dropout probability (default 0.2)")
    train.add_argument("--post-ln", dest="norm_first", action="store_const", const=False,
                       help="post-LayerNorm blocks (the original transformer) instead of pre-LN")
    train.add_argument("--batch-size", dest="batch_size", type=int, help="histories per batch (default 128)")
    train.add_argument("--lr", type=float, help="Adam learning rate (default 3e-3)")
    train.add_argument("--patience", type=int, help="evaluations without improvement before stopping (default 3; 0 = never)")
    train.add_argument("--eval-every", dest="eval_every", type=int, help="validate every N epochs (default 2)")
    train.add_argument("--valid-protocol", dest="valid_protocol", choices=["full", "sampled"],
                       help="early stopping follows validation NDCG@10 under full ranking (default) or the "
                            "paper's sampled protocol (100 negatives)")
    train.add_argument("--average-from", dest="average_from", type=int,
                       help="from this epoch on, validate and keep the running mean of the end-of-epoch weights "
                            "(stochastic weight averaging; default 0 = off)")
    train.add_argument("--seed", type=int, help="random seed (default 0)")
    train.add_argument("--config", help="JSON file of settings (keys as in RecommenderConfig)")
    train.add_argument("--out", help="run folder: best.ckpt, last.ckpt, config.json, metrics.jsonl, results.json")
    train.add_argument("--resume", action="store_true", help="continue the run in --out from its last.ckpt")
    train.add_argument("--quiet", action="store_true", help="no progress bars")
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


def recommender_config(args):
    """RecommenderConfig from defaults, then the --config file, then explicit command-line options."""

    values = {}
    if args.config:
        with open(args.config, encoding="utf-8") as file:
            try:
                values = json.load(file)
            except json.JSONDecodeError as error:
                raise ValueError(f"--config {args.config}: not valid JSON: line {error.lineno}: {error.msg}") from None
        if not isinstance(values, dict):
            raise ValueError(f"--config {args.config}: expected a JSON object of settings")
    for field in fields(RecommenderConfig):
        given = getattr(args, field.name, None)
        if given is not None:
            values[field.name] = given
    if args.quiet:
        values["progress"] = False
    return RecommenderConfig.from_dict(values, source=args.config or "options")


def load_data(path, data_format):
    """minishop.data.prepare for a path (None = the bundled shop) and format."""
    return prepare(path, format=data_format or "shop")


def run_train(args):
    config = recommender_config(args)
    if args.resume and not args.out:
        raise ValueError("--resume needs --out (the run folder to continue)")
    prepared = load_data(config.data, config.format)
    print(f"data: {config.data or 'bundled shop'}: {prepared.split.n_users} users, {prepared.split.n_items} items")
    print(f"model: d_model {config.d_model}, {config.n_blocks} blocks, {config.n_heads} heads, "
          f"max_len {config.max_len}, dropout {config.dropout}; loss {config.loss}; up to {config.epochs} epochs")
    model, result = fit_recommender(prepared, config, out_dir=args.out, resume=args.resume)
    print(f"trained {result.epochs_run} epochs in {result.seconds:.0f} s; best validation NDCG@10 "
          f"{result.best_metric:.4f} at epoch {result.best_epoch}" + (" (early stop)" if result.stopped_early else ""))
    results = compare_with_baselines(model, prepared.split, seed=config.seed, progress=config.progress)
    print(format_table(results))
    if args.out:
        with open(os.path.join(args.out, "results.json"), "w", encoding="utf-8") as file:
            json.dump(results, file, indent=2)
        print(f"run folder: {args.out} (best.ckpt, last.ckpt, config.json, metrics.jsonl, results.json)")
    return 0


def run_evaluate(args):
    backend.set_backend(args.device)
    model, config = load_recommender(args.checkpoint)
    prepared = load_data(args.data or config.data, args.format or config.format)
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
    prepared = load_data(args.data or config.data, args.format or config.format)
    recommendation = recommend_for_user(model, prepared, args.user, k=args.k, n_reasons=args.reasons)
    print("\n".join(format_recommendations(recommendation, prepared)))
    return 0
