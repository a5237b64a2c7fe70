"""Reproduce SASRec on Amazon Video Games with minishop, and compare with the published numbers.

    python bench/amazon_games.py --loss bce --epochs 200 --eval-every 10 --patience 0 --average-from 100
    python bench/amazon_games.py --loss bce --epochs 200 --eval-every 10 --patience 0   # no weight averaging
    python bench/amazon_games.py --loss ce --epochs 60 --eval-every 2 --patience 5    # full softmax cross-entropy

The paper's setup: d 50, 2 blocks, 1 head, max length 50, dropout 0.5, Adam lr 1e-3 (betas 0.9, 0.98),
batch 128, no warm-up, no clipping. --average-from S adds stochastic weight averaging from epoch S (the
mean of the end-of-epoch weights is validated and kept; minishop.optim.averaging). Validation NDCG@10 on
the validation items every --eval-every epochs, under the paper's sampled protocol by default
(--valid-protocol full to select on full ranking), with early stopping; then the TEST metrics of the best
model and of the three baselines under both protocols, for ALL users (the paper scores a random 10,000).
Published (sampled protocol): SASRec NDCG@10 0.5360, HR@10 0.7410.

The data file is read from --data, else $MINISHOP_AMAZON_GAMES, else ../shared/data/amazon-games.txt from the
repository root; the script exits cleanly with a message when it is absent. --out keeps the run folder, so
--resume continues an interrupted run exactly.
"""

import argparse
import json
import os
import sys
import time
from dataclasses import asdict

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PUBLISHED = {"NDCG@10": 0.5360, "HR@10": 0.7410}


def data_path(argument):
    return argument or os.environ.get("MINISHOP_AMAZON_GAMES") or os.path.join(
        REPO, "..", "shared", "data", "amazon-games.txt")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", help="amazon-games.txt (SASRec's Video.txt)")
    parser.add_argument("--loss", choices=["bce", "ce", "sampled"], default="bce")
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--eval-every", type=int, default=5)
    parser.add_argument("--patience", type=int, default=5, help="evaluations without improvement (0 = never stop)")
    parser.add_argument("--valid-protocol", choices=["sampled", "full"], default="sampled",
                        help="the validation metric that picks the best epoch (default: sampled, as the paper)")
    parser.add_argument("--valid-users", type=int, default=None, help="validate on a random subset of users")
    parser.add_argument("--average-from", type=int, default=0,
                        help="from this epoch on, validate and keep the running mean of the end-of-epoch weights "
                             "(stochastic weight averaging; 0 = off, the default)")
    parser.add_argument("--norm-first", type=int, default=1, help="1 = pre-LN (default), 0 = post-LN")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="/tmp/amazon_run", help="run folder (checkpoints, metrics.jsonl)")
    parser.add_argument("--json", dest="json_out", help="write the results here (default OUT/results.json)")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)

    path = data_path(args.data)
    if not os.path.exists(path):
        print(f"amazon_games: skipped: data file not found at {path} "
              "(set --data or MINISHOP_AMAZON_GAMES; download: "
              "https://raw.githubusercontent.com/kang205/SASRec/master/data/Video.txt)")
        return 0

    sys.path.insert(0, REPO)
    from minishop.data import prepare
    from minishop.eval import format_table
    from minishop.recsys.training import RecommenderConfig, compare_with_baselines, fit_recommender

    prepared = prepare(path, format="sasrec")
    print(f"Amazon Games: {prepared}")
    config = RecommenderConfig(data=path, format="sasrec", d_model=50, n_blocks=2, n_heads=1, max_len=50,
                               dropout=0.5, norm_first=bool(args.norm_first), loss=args.loss, batch_size=128,
                               epochs=args.epochs, lr=1e-3, warmup_steps=0, clip_grad_norm=0.0,
                               eval_every=args.eval_every, patience=args.patience, valid_users=args.valid_users,
                               valid_protocol=args.valid_protocol, average_from=args.average_from,
                               seed=args.seed, progress=not args.quiet)
    started = time.perf_counter()
    model, result = fit_recommender(prepared, config, out_dir=args.out, resume=args.resume)
    train_seconds = time.perf_counter() - started
    results = compare_with_baselines(model, prepared.split, seed=args.seed)
    print(format_table(results))
    print(f"published SASRec (sampled protocol, paper): NDCG@10 {PUBLISHED['NDCG@10']}, HR@10 {PUBLISHED['HR@10']}")
    seconds_per_epoch = [record["seconds"] for record in result.history]
    summary = {
        "loss": args.loss, "epochs_run": result.epochs_run, "best_epoch": result.best_epoch,
        "best_valid_NDCG@10": result.best_metric, "valid_protocol": args.valid_protocol,
        "stopped_early": result.stopped_early,
        "train_wall_seconds_this_call": train_seconds,
        "mean_epoch_seconds": sum(seconds_per_epoch) / max(len(seconds_per_epoch), 1),
        "config": asdict(config),
        "results": results, "published_sampled": PUBLISHED,
    }
    json_out = args.json_out or os.path.join(args.out, "results.json")
    with open(json_out, "w", encoding="utf-8") as file:
        json.dump(summary, file, indent=2)
    print(f"results written to {json_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
