"""Are the cited reasons faithful? Removing the items a recommendation cites ("because you viewed ...")
should lower the recommended items' scores more than removing as many random items of the same history,
and not only on the items the citations were chosen for.

    python bench/faithfulness.py --run runs/shop            # a run folder of `minishop train`
    python bench/faithfulness.py                            # trains the default shop run first (~1-3 min)

For every saved user (or --users N of them), after the last max_len items of the history: the top 10
recommendations split by rank, odd ranks to choose the cited items on, even ranks to measure them on
(minishop.recsys.explain.drops_per_user). drop(S) = mean over the targets r of s(r | h) - s(r | h without
S), with S = the cited items removed together, or as many random other positions. Two ways to cite:
"attention" (the last attention layer's heaviest items) and "occlusion" (the items whose single removal
lowers the choosing targets' scores the most; `minishop recommend` and minishop.load_run cite this way).
Prints, for each and for both sets of targets, the mean drops, the share of users where the cited drop is
the larger, and a bootstrap 95% interval of the mean difference. On the choosing targets occlusion passes
almost by construction; the held-out targets are the test.
"""

import argparse
import tempfile

import numpy as np

import minishop
from minishop.recsys.explain import drops_per_user
from minishop.recsys.training import RecommenderConfig, train_recommender


def line(method, targets, cited, random, seed):
    """One row of results: mean drops, share of users with the larger cited drop, bootstrap interval."""
    rng = np.random.default_rng(seed)
    difference = cited - random
    boot = [difference[rng.integers(len(difference), size=len(difference))].mean() for _ in range(2000)]
    return (f"{method:9s}  {targets:10s}  {len(cited):5d}  {cited.mean():10.4f}  {random.mean():11.4f}  "
            f"{np.mean(cited > random):12.1%}  {difference.mean():+.4f} "
            f"[{np.quantile(boot, 0.025):+.4f}, {np.quantile(boot, 0.975):+.4f}]")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", help="run folder (default: train the shop with the default settings)")
    parser.add_argument("--users", type=int, default=None, help="at most this many users (default: all)")
    parser.add_argument("--reasons", type=int, default=3, help="items cited per recommendation (default 3)")
    parser.add_argument("-k", type=int, default=10, help="recommendations split into choosing and measured "
                                                         "halves (default 10)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    minishop.set_num_threads(1)
    folder = args.run
    if folder is None:
        folder = tempfile.mkdtemp(prefix="minishop_faithfulness_") + "/shop"
        train_recommender(RecommenderConfig(progress=False), out_dir=folder, log=lambda text: None)
    run = minishop.load_run(folder)
    histories = [user["items"] for user in run.users().values()][: args.users]
    print(f"run {folder}: {args.reasons} cited items; top {args.k} split into choosing (odd ranks) and measured "
          "(even ranks) targets; drop = mean s(r|h) - s(r|h without them)")
    print("citing     targets     users  cited drop  random drop  cited>random  mean difference [95% bootstrap]")
    for method in ("attention", "occlusion"):
        drops = drops_per_user(run.model, histories, args.reasons, args.seed, method, args.k)  # (users, 2, 2)
        print(line(method, "held-out", drops[:, 0, 0], drops[:, 0, 1], args.seed))
        print(line(method, "chosen on", drops[:, 1, 0], drops[:, 1, 1], args.seed))


if __name__ == "__main__":
    main()
