"""The three baselines on Amazon Games under both protocols, with timings.

    python bench/eval_baselines.py                      # ../shared/data/amazon-games.txt
    python bench/eval_baselines.py --data PATH --stage valid

Reads `user item` lines (chronological per user), builds the SASRec leave-one-out split (users with
fewer than 3 interactions stay entirely in training), fits popular / Markov / item-kNN, and prints
their NDCG@10 and HR@10 under full ranking and under the paper's sampled protocol, for ALL users.
Sanity check (shared/PERFORMANCE.md): popularity scores about 0.279 sampled NDCG@10 there.
"""

import argparse
import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace

from minishop import backend
from minishop.eval import ItemKNNRecommender, MarkovRecommender, PopularRecommender, evaluate_all, format_table

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = os.environ.get("MINISHOP_AMAZON_GAMES", str(REPO_ROOT.parent / "shared" / "data" / "amazon-games.txt"))


def load_leave_one_out(path):
    """`user item` lines -> a split with train/valid/test dicts, n_users, n_items (SASRec's rule)."""
    np = backend.np
    pairs = np.loadtxt(path, dtype=np.int64, ndmin=2)  # (n_interactions, 2)
    sequences = {}
    for user, item in pairs.tolist():
        sequences.setdefault(user, []).append(item)
    train, valid, test = {}, {}, {}
    for user, items in sequences.items():
        if len(items) < 3:
            train[user] = items
        else:
            train[user], valid[user], test[user] = items[:-2], items[-2], items[-1]
    return SimpleNamespace(train=train, valid=valid, test=test, n_users=len(sequences),
                           n_items=int(pairs[:, 1].max()), n_interactions=len(pairs))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=DEFAULT_DATA, help="path to amazon-games.txt (env MINISHOP_AMAZON_GAMES)")
    parser.add_argument("--stage", choices=("valid", "test"), default="test", help="which held-out item to rank")
    parser.add_argument("--batch-size", type=int, default=256, help="users scored per batch")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sampled negatives")
    
    args = parser.parse_args(argv)
    if not Path(args.data).exists():
        print(f"skipped: {args.data} not found (set --data or MINISHOP_AMAZON_GAMES)")
        return 0

    started = time.perf_counter()
    split = load_leave_one_out(args.data)
    print(f"loaded {split.n_interactions:,} interactions, {split.n_users:,} users, {split.n_items:,} items, "
          f"{len(split.test):,} evaluated users in {time.perf_counter() - started:.1f} s")

    baselines = {
        "popular": PopularRecommender(),
        "markov": MarkovRecommender(),
        "itemknn": ItemKNNRecommender(),
    }
    results = {}
    print("timings: wall seconds (CPU seconds of this process; the two differ when the machine is shared)")
    for name, recommender in baselines.items():
        clocks = [(time.perf_counter(), time.process_time())]
        recommender.fit(split.train, split.n_items)
        clocks.append((time.perf_counter(), time.process_time()))
        results[name] = evaluate_all(recommender, split, stage=args.stage, seed=args.seed,
                                     batch_size=args.batch_size, progress=False)
        clocks.append((time.perf_counter(), time.process_time()))
        (fit_wall, fit_cpu), (eval_wall, eval_cpu) = [(b[0] - a[0], b[1] - a[1]) for a, b in zip(clocks, clocks[1:])]
        print(f"{name:8s} fit {fit_wall:5.2f} s ({fit_cpu:5.2f}), evaluate both protocols {eval_wall:5.2f} s "
              f"({eval_cpu:5.2f}); full coverage@10 {results[name]['full']['coverage@10']:.3f}, "
              f"popularity@10 {results[name]['full']['popularity@10']:.3f}")
    print()
    print(format_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
