"""Benchmark of the data layer at scale: load + prepare a 10-million-row interactions file.

    python bench/loaders.py                       # 10M rows, written once to /tmp/minishop-bench/interactions.csv
    python bench/loaders.py --rows 1000000 --threads 1

Writes a seeded CSV (user_id,item_id,timestamp as unix seconds; long-tailed users and items, 1% exact
duplicate rows), then times `minishop.data.prepare(path, format="csv")` (load, clean, k-core, remap,
sequences, leave-one-out) and reports rows/s, the CPU time (on a busy shared machine the wall time
mostly measures the other jobs) and the peak resident memory of the process. The target of
issue 15: 10M rows loaded and prepared in under a minute and under 4 GB on a 2-core machine.
"""

import argparse
import os
import resource
import sys
import time

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from minishop.data import prepare  # noqa: E402


def write_interactions(path, n_rows, seed=0):
    """A seeded interactions CSV of `n_rows` rows (plus 1% exact duplicates), written in chunks."""
    rand = np.random.default_rng(seed)
    n_users, n_items = max(1, n_rows // 20), max(1, n_rows // 100)
    with open(path, "w") as handle:
        handle.write("user_id,item_id,timestamp\n")
        for start in range(0, n_rows, 1_000_000):
            n = min(1_000_000, n_rows - start)
            users = rand.integers(1, n_users + 1, n)
            items = np.minimum(rand.zipf(1.3, n), n_items)  # long-tailed popularity
            stamps = 1_672_531_200 + rand.integers(0, 365 * 86400, n)
            chunk = pd.DataFrame({"user_id": users, "item_id": items, "timestamp": stamps})
            chunk = pd.concat([chunk, chunk.sample(frac=0.01, random_state=seed + start)])
            chunk.to_csv(handle, header=False, index=False)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--out", default="/tmp/minishop-bench")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, f"interactions-{args.rows}.csv")
    if not os.path.exists(path):
        started = time.perf_counter()
        write_interactions(path, args.rows)
        print(f"wrote {path} ({os.path.getsize(path) / 1e6:.0f} MB) in {time.perf_counter() - started:.0f} s")
    with threadpool_limits(args.threads):
        started, cpu_started = time.perf_counter(), time.process_time()
        prepared = prepare(path, format="csv")
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    rows = prepared.report.rows_in
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # Linux: kilobytes
    print(prepared.report)
    print(prepared)
    print(f"load + prepare: {rows:,} rows in {seconds:.1f} s = {rows / seconds:,.0f} rows/s "
          f"(CPU time {cpu_seconds:.1f} s); peak memory {peak_gb:.2f} GB ({args.threads} threads, "
          f"load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
