"""How the recommender's training step grows: step time and peak memory against catalogue size, batch and length.

    python bench/scaling.py                  # the three sweeps below, full CE and sampled softmax (dense and
                                             # sparse rows), 1 thread
    python bench/scaling.py --sweep catalog --threads 2

Sweeps (synthetic data, the Amazon Games model otherwise: d 50, 2 blocks, 1 head, dropout 0.5, Adam):
  catalog: 10k, 100k, 1M items at batch 128, length 50;
  batch:   64, 128, 256 histories at 10k items, length 50;
  length:  25, 50, 100 at 10k items, batch 128.
Histories: lengths 2 + a geometric number with mean length/6 (about 20% of the positions real at length
50, against 12% on Amazon Games), items uniform over the catalogue.

Expected: the full softmax (fused kernel, minishop.fused_cross_entropy) costs O(N * C * D) per step,
linear in the catalogue C and in the number N of real positions; the sampled softmax (--negatives
shared negatives) costs O(N * K * D) for its loss, flat in C, plus, with a dense gradient, the update
of the whole item table, O(C * D) (its gradient, Adam's two moments), which dominates at a million items.
"sampled-sparse" is the same loss with SequentialRecommender(sparse_items=True): the table's gradient is
only the rows looked up (minishop/row_gradient.py) and Adam updates only those (lazy Adam), so the whole
step is flat in C. Memory: the item table and Adam's two moments are 3 copies of C * D floats (600 MB at
1M items), plus a dense gradient (a 4th copy) unless sparse, plus for the full softmax one block of
scores and the fused kernel's (C, D) gradient.

Each configuration runs alone in a fresh subprocess, which reports the median seconds per step (wall, and
CPU seconds of the process: with one thread, what a quiet machine's wall clock would read) and its peak
resident memory (VmHWM) minus its memory before the model was built.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
SWEEPS = {
    "catalog": [dict(n_items=n, batch=128, length=50) for n in (10_000, 100_000, 1_000_000)],
    "batch": [dict(n_items=10_000, batch=b, length=50) for b in (64, 128, 256)],
    "length": [dict(n_items=10_000, batch=128, length=t) for t in (25, 50, 100)],
}


def peak_rss_mb():
    with open("/proc/self/status") as file:
        for line in file:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024


def rss_mb():
    with open("/proc/self/statm") as file:
        return int(file.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def synthetic_histories(n_histories, n_items, length, rng):
    lengths = np.minimum(length + 1, 2 + rng.geometric(6.0 / length, size=n_histories))
    return [rng.integers(1, n_items + 1, size=n).tolist() for n in lengths]


LABELS = {"ce": "full CE", "sampled": "sampled", "sampled-sparse": "sampled, sparse rows", "bce": "bce",
          "bce-sparse": "bce, sparse rows"}


def worker(loss, n_items, batch, length, negatives, steps, threads):
    """Train alone for `steps` steps; print the median wall and CPU seconds per step, peak and start RSS (MB).

    loss: a key of LOSSES, or that key + "-sparse" for the item table's gradient as rows (sparse_items=True).
    """
    import minishop
    from minishop.optim import Adam
    from minishop.recsys import LOSSES, SequentialRecommender, make_batch

    minishop.set_num_threads(threads)
    rng = np.random.default_rng(0)
    batches = [synthetic_histories(batch, n_items, length, rng) for _ in range(4)]
    before = rss_mb()
    minishop.manual_seed(0)
    loss, sparse = loss.removesuffix("-sparse"), loss.endswith("-sparse")
    model = SequentialRecommender(n_items, d_model=50, n_blocks=2, n_heads=1, max_len=length, dropout=0.5,
                                  sparse_items=sparse)
    optimizer = Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.98))
    times, cpu_times, positions = [], [], []
    for i in range(steps + 1):  # the first step is a warm-up
        start, cpu_start = time.perf_counter(), time.process_time()
        built = make_batch(batches[i % 4], n_items, length, loss, rng, n_negatives=negatives)
        optimizer.zero_grad()
        LOSSES[loss](model, built).backward()
        optimizer.step()
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
        positions.append(len(built.positions))
    print(json.dumps({"seconds": statistics.median(times[1:]), "cpu_seconds": statistics.median(cpu_times[1:]),
                      "peak_mb": peak_rss_mb(), "before_mb": before,
                      "positions": int(np.mean(positions))}))


def measure(loss, config, args):
    command = [sys.executable, os.path.abspath(__file__), "--worker", loss, str(config["n_items"]),
               str(config["batch"]), str(config["length"]), "--negatives", str(args.negatives),
               "--steps", str(args.steps), "--threads", str(args.threads)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sweep", choices=["all"] + list(SWEEPS), default="all")
    parser.add_argument("--losses", default="ce,sampled,sampled-sparse",
                        help="comma-separated: ce, sampled, bce, and sampled-sparse, bce-sparse (sparse_items=True)")
    parser.add_argument("--negatives", type=int, default=2000, help="shared negatives of the sampled softmax")
    parser.add_argument("--steps", type=int, default=3, help="timed steps per configuration (after one warm-up)")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads, pinned with threadpoolctl")
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        loss, n_items, batch, length = args.worker[0], *map(int, args.worker[1:])
        return worker(loss, n_items, batch, length, args.negatives, args.steps, args.threads)
    sweeps = list(SWEEPS) if args.sweep == "all" else [args.sweep]
    print(f"threads {args.threads} (threadpoolctl); {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; "
          f"sampled softmax with {args.negatives} shared negatives")
    print("| sweep | items | batch | length | real positions | loss | ms/step (wall) | CPU ms/step | peak MB "
          "(+ for training) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for sweep in sweeps:
        for config in SWEEPS[sweep]:
            for loss in args.losses.split(","):
                m = measure(loss, config, args)
                print(f"| {sweep} | {config['n_items']:,} | {config['batch']} | {config['length']} "
                      f"| {m['positions']} | {LABELS.get(loss, loss)} | {m['seconds'] * 1e3:.0f} "
                      f"| {m['cpu_seconds'] * 1e3:.0f} "
                      f"| {m['peak_mb']:.0f} (+{m['peak_mb'] - m['before_mb']:.0f}) |", flush=True)
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
