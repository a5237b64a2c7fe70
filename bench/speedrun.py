"""Speedrun: the best SASRec on Amazon Video Games within a wall-clock budget, minishop vs the PyTorch recipe.

    python bench/speedrun.py --budget 300 --seed 0 --json runs/speedrun-0.json          # minishop's recipe
    python bench/speedrun.py --budget 300 --framework torch --json runs/speedrun-torch-0.json   # the reference

The budget covers training AND validation (every batch built, every step, every validation pass);
loading the data and the final test evaluation are timed separately and excluded. Every core of the
machine is used (--threads, default all, pinned in code for both frameworks). On a machine shared with
other jobs, `--clock cpu` counts this process's CPU seconds instead of wall seconds (with one thread,
what the wall clock would read on a quiet machine; the wall time is reported too). The model kept is the one
with the best NDCG@10 on a fixed random subset of validation users (--valid-users, sampled protocol, as
the paper chooses its epoch); the test split is scored only once, at the end, for that model: all
30,901 users, pessimistic ties, both protocols. Also reported: the time at which validation first
reached the paper's level (sampled NDCG@10 0.536 and HR@10 0.741).

minishop's recipe (defaults): the SASRec architecture of the paper (d 50, 2 blocks, 1 head, max length 50,
dropout 0.5), a sampled softmax with --negatives shared negatives per batch drawn half uniformly, half by
training popularity, with the logQ correction; Adam (betas 0.9, 0.98) with a short warm-up and a cosine
decay of the learning rate over the TIME budget (the schedule ends when the budget does). --loss ce
trains with the full softmax instead (the fused kernel), --loss bce with SASRec's one negative.
--average-from S (minishop only; off by default) adds weight averaging: from S seconds on, every validation
first folds the current weights into a running mean (minishop.optim.WeightAverage) and then validates that
mean instead of the raw weights, keeping it if it is the best so far; training goes on from the raw weights.
The PyTorch reference (--framework torch) is the paper's recipe in PyTorch eager: BCE, one negative per
position, Adam lr 1e-3, batch 128, gradient clipping 1, same architecture, batches and validation.

Data: --data, else $MINISHOP_AMAZON_GAMES, else ../shared/data/amazon-games.txt.
"""

import argparse
import contextlib
import json
import math
import os
import sys
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
PAPER = {"NDCG@10": 0.536, "HR@10": 0.741}  # SASRec, Amazon Games, sampled protocol (Kang & McAuley 2018)
SIZES = dict(d_model=50, n_blocks=2, n_heads=1, max_len=50, dropout=0.5)


def negative_distribution(split, n_items, popular_share):
    """Sampling probabilities of items 0..n_items: a mix of uniform and training popularity (0 for padding)."""
    from minishop.eval.metrics import item_counts

    counts = item_counts(split.train, n_items).astype(np.float64)  # (n_items + 1,)
    counts[0] = 0.0
    uniform = np.r_[0.0, np.full(n_items, 1.0 / n_items)]
    return (1 - popular_share) * uniform + popular_share * counts / counts.sum()


def minishop_trainer(args, n_items, split):
    """(model, step(batch_histories, rng, lr) -> loss, snapshot() -> weights, restore(weights))."""
    import minishop
    from minishop.optim import Adam, clip_grad_norm
    from minishop.recsys import LOSSES, SequentialRecommender, make_batch

    minishop.manual_seed(args.seed)
    model = SequentialRecommender(n_items, **SIZES)
    optimizer = Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.98))
    probabilities = negative_distribution(split, n_items, args.popular_share) if args.loss == "sampled" else None

    def step(histories, rng, lr):
        batch = make_batch(histories, n_items, SIZES["max_len"], args.loss, rng, n_negatives=args.negatives,
                           negative_probabilities=probabilities)
        optimizer.lr = lr
        optimizer.zero_grad()
        loss = LOSSES[args.loss](model, batch)
        loss.backward()
        clip_grad_norm(model.parameters(), 1.0)
        optimizer.step()
        return loss.item()

    def snapshot():
        return [p.data.copy() for p in model.parameters()]

    def restore(weights):
        for p, w in zip(model.parameters(), weights):
            p.data[...] = w

    return model, step, snapshot, restore


class TorchScorer:
    """The PyTorch model behind minishop.eval's recommender interface: score(histories) -> (B, n_items + 1)."""

    def __init__(self, model, n_items):
        self.model, self.n_items = model, n_items

    def score(self, histories, batch_size=256):
        import torch

        from minishop.recsys.model import SequentialRecommender

        pad = SequentialRecommender.pad_histories
        holder = type("Pad", (), {"max_len": SIZES["max_len"]})()
        self.model.eval()
        rows = []
        with torch.no_grad():
            for start in range(0, len(histories), batch_size):
                items = torch.from_numpy(pad(holder, histories[start:start + batch_size]))
                last = self.model(items)[:, -1, :]  # (b, D)
                rows.append((last @ self.model.items.weight.T).numpy())
        self.model.train()
        scores = np.concatenate(rows).astype(np.float32)
        scores[:, 0] = -np.inf
        return scores


def torch_trainer(args, n_items, split):
    """The paper's recipe in PyTorch eager (BCE, lr 1e-3 fixed), minishop's initial weights copied in."""
    import torch

    import minishop
    from minishop.recsys import SequentialRecommender, make_batch
    from recommender_throughput import torch_trainer as build

    minishop.manual_seed(args.seed)
    torch.manual_seed(args.seed)
    model, _, torch_step = build(n_items, "bce", SequentialRecommender(n_items, **SIZES))

    def step(histories, rng, lr):
        return torch_step(make_batch(histories, n_items, SIZES["max_len"], "bce", rng))

    def snapshot():
        return {name: value.clone() for name, value in model.state_dict().items()}

    return TorchScorer(model, n_items), step, snapshot, model.load_state_dict


def learning_rate(args, elapsed, step_index):
    """Warm-up over the first steps, then cosine decay from lr to lr/20 over the time budget (minishop);
    the constant lr of the paper for the PyTorch reference."""
    if args.framework == "torch":
        return args.lr
    warm = min(1.0, (step_index + 1) / args.warmup_steps)
    progress = min(1.0, elapsed / args.budget)
    return args.lr * warm * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress)))


def run(args):
    from minishop.data import prepare
    from minishop.eval import evaluate, evaluate_all

    started = time.perf_counter()
    prepared = prepare(args.data, format="sasrec")
    split, n_items = prepared.split, prepared.n_items
    histories = [items for items in split.train.values() if len(items) >= 2]
    data_seconds = time.perf_counter() - started
    build = torch_trainer if args.framework == "torch" else minishop_trainer
    model, step, snapshot, restore = build(args, n_items, split)
    valid_users = sorted(split.valid)
    chosen_users = [valid_users[i] for i in np.random.default_rng(1000 + args.seed).choice(
        len(valid_users), size=min(args.valid_users, len(valid_users)), replace=False)]

    from minishop.optim import WeightAverage

    average = WeightAverage(model.parameters()) if args.average_from is not None else None
    rng = np.random.default_rng(args.seed)
    best, best_weights, passed_at, history = -1.0, None, None, []
    steps = epochs = 0
    next_validation = args.eval_every
    now = time.process_time if args.clock == "cpu" else time.perf_counter
    clock, wall_clock = now(), time.perf_counter()
    elapsed = 0.0
    while elapsed < args.budget:
        order = rng.permutation(len(histories))
        for start in range(0, len(order) - args.batch_size + 1, args.batch_size):
            batch = [histories[i] for i in order[start:start + args.batch_size]]
            step(batch, rng, learning_rate(args, elapsed, steps))
            steps += 1
            elapsed = now() - clock
            last_check = history[-1]["seconds"] if history else 0.0
            if elapsed >= next_validation or (elapsed >= args.budget and elapsed - last_check > args.eval_every / 4):
                averaging = average is not None and elapsed >= args.average_from
                if averaging:
                    average.update()  # θ̄ <- θ̄ + (θ - θ̄) / n with the weights of this validation
                with average.applied() if averaging else contextlib.nullcontext():  # validate θ̄, else θ
                    result = evaluate(model, split, "valid", "sampled", ks=(10,), users=chosen_users,
                                      seed=args.seed, progress=False)
                    if result["NDCG@10"] > best:
                        best, best_weights = result["NDCG@10"], snapshot()
                elapsed = now() - clock
                history.append({"seconds": round(elapsed, 1), "step": steps, "NDCG@10": result["NDCG@10"],
                                "HR@10": result["HR@10"], "averaged": average.count if averaging else 0})
                print(f"  {elapsed:6.1f} s  step {steps:5d}  valid NDCG@10 {result['NDCG@10']:.4f}  "
                      f"HR@10 {result['HR@10']:.4f}" + (f"  (mean of {average.count})" if averaging else ""),
                      flush=True)
                if passed_at is None and all(result[k] >= PAPER[k] for k in PAPER):
                    passed_at = elapsed
                next_validation = elapsed + args.eval_every
            if elapsed >= args.budget:
                break
        epochs += 1
    train_seconds, wall_seconds = elapsed, time.perf_counter() - wall_clock

    restore(best_weights)
    clock = time.perf_counter()
    test = evaluate_all(model, split, "test", ks=(10,), progress=False)
    test_seconds = time.perf_counter() - clock
    return report(args, test, history, dict(
        train_seconds=round(train_seconds, 1), clock=args.clock, train_wall_seconds=round(wall_seconds, 1),
        load_average=round(os.getloadavg()[0], 2), data_seconds=round(data_seconds, 1),
        test_seconds=round(test_seconds, 1), test_users_per_second=round(test["full"]["n_users"] / test_seconds, 1),
        valid_passed_paper_seconds=None if passed_at is None else round(passed_at, 1), **{"best_valid_NDCG@10": best},
        steps=steps, epochs=round(steps * args.batch_size / len(histories), 2)))


def report(args, test, history, figures):
    """results.json's shape: {"model": {"sampled": {...}, "full": {...}}, "train_seconds": ..., ...}."""
    keep = ("NDCG@10", "HR@10")
    recipe = {k: getattr(args, k) for k in ("loss", "lr", "batch_size", "negatives", "popular_share",
                                            "warmup_steps", "average_from", "budget", "valid_users", "seed",
                                            "threads")}
    return {"model": {protocol: {k: test[protocol][k] for k in keep} for protocol in ("sampled", "full")},
            "framework": args.framework, **figures, "recipe": recipe, "validation": history}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=os.environ.get("MINISHOP_AMAZON_GAMES") or os.path.join(
        REPO, "..", "shared", "data", "amazon-games.txt"))
    parser.add_argument("--budget", type=float, default=300.0, help="seconds of training + validation")
    parser.add_argument("--framework", choices=["minishop", "torch"], default="minishop")
    parser.add_argument("--loss", choices=["sampled", "ce", "bce"], default="sampled", help="minishop's loss")
    parser.add_argument("--lr", type=float, default=None, help="peak learning rate (minishop 3e-3, torch 1e-3)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--negatives", type=int, default=2000, help="shared negatives per batch (sampled)")
    parser.add_argument("--popular-share", type=float, default=0.5, help="share of negatives drawn by popularity")
    parser.add_argument("--warmup-steps", type=int, default=100)
    parser.add_argument("--average-from", type=float, default=None, metavar="SECONDS",
                        help="from this time on, validate and keep the running mean of the weights (minishop)")
    parser.add_argument("--valid-users", type=int, default=3000, help="fixed random validation subset")
    parser.add_argument("--eval-every", type=float, default=30.0, help="seconds between validations")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall", help="what the budget counts")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="for both frameworks (default: all)")
    parser.add_argument("--json", help="write the results here (results.json's shape)")
    args = parser.parse_args()
    if args.lr is None:
        args.lr = 1e-3 if args.framework == "torch" else 3e-3
    if args.framework == "torch":
        args.loss = "bce"  # the paper's recipe
        if args.average_from is not None:
            parser.error("--average-from: weight averaging is for --framework minishop only")
    if args.average_from is not None and not 0 <= args.average_from < args.budget:
        parser.error(f"--average-from {args.average_from:g}: expected seconds in [0, --budget {args.budget:g})")
    if not os.path.exists(args.data):
        print(f"speedrun: skipped: no data at {args.data} (set --data or MINISHOP_AMAZON_GAMES)")
        return 0
    from torch_reference import pin_threads

    print(pin_threads(args.threads))
    print(f"{args.framework}: budget {args.budget:.0f} s, seed {args.seed}", flush=True)
    results = run(args)
    print(json.dumps({k: v for k, v in results.items() if k != "validation"}))
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as file:
            json.dump(results, file, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
