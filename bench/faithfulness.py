"""Are the cited reasons faithful? Removing the items a recommendation cites ("because you viewed ...")
should lower the recommended item's score more than removing as many random items of the same history.

    python bench/faithfulness.py --run runs/shop            # a run folder of `minishop train`
    python bench/faithfulness.py                            # trains the default shop run first (~1-3 min)

For every saved user (or --users N of them): r = the top recommendation after the last max_len items;
drop(S) = s(r | h) - s(r | h without S), with S = the cited items or as many random other positions.
Two ways to cite: "attention" (the last attention layer's heaviest items) and "occlusion" (the items whose
removal lowers s(r) the most, what `minishop recommend` and minishop.load_run cite). Prints, for each, the
mean drops, the share of users where the cited drop is the larger, and a bootstrap 95% interval of the
mean difference.
"""

import argparse
import tempfile

import numpy as np

import minishop
from minishop.recsys.explain import faithfulness
from minishop.recsys.training import RecommenderConfig, train_recommender


def measure(model, histories, method, reasons, seed):
    """One line of results for a way of citing."""
    per_user = [faithfulness(model, [history], reasons, seed + i, method) for i, history in enumerate(histories)]
    per_user = [result for result in per_user if result["users"]]
    cited = np.array([r["cited_drop"] for r in per_user])
    random = np.array([r["random_drop"] for r in per_user])
    rng = np.random.default_rng(seed)
    boot = [(cited - random)[rng.integers(len(cited), size=len(cited))].mean() for _ in range(2000)]
    return (f"{method:9s}  {len(per_user):5d}  {cited.mean():10.4f}  {random.mean():10.4f}  "
            f"{np.mean(cited > random):7.1%}  {(cited - random).mean():+.4f} "
            f"[{np.quantile(boot, 0.025):+.4f}, {np.quantile(boot, 0.975):+.4f}]")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", help="run folder (default: train the shop with the default settings)")
    parser.add_argument("--users", type=int, default=None, help="at most this many users (default: all)")
    parser.add_argument("--reasons", type=int, default=3, help="items cited per recommendation (default 3)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    minishop.set_num_threads(1)
    folder = args.run
    if folder is None:
        folder = tempfile.mkdtemp(prefix="minishop_faithfulness_") + "/shop"
        train_recommender(RecommenderConfig(progress=False), out_dir=folder, log=lambda text: None)
    run = minishop.load_run(folder)
    histories = [user["items"] for user in run.users().values()][: args.users]
    print(f"run {folder}: {args.reasons} cited items; drop = s(r|h) - s(r|h without them)")
    print("citing     users  cited drop  random drop  cited>random  mean difference [95% bootstrap]")
    for method in ("attention", "occlusion"):
        print(measure(run.model, histories, method, args.reasons, args.seed))


if __name__ == "__main__":
    main()
