"""Data-parallel training throughput on one machine: 1 and 2 MPI ranks (1 BLAS thread each), 1 rank x 2 threads.

    pip install -e ".[dist]"
    python bench/distributed.py                          # Amazon Games, BCE and full CE
    python bench/distributed.py --loss bce --steps 20 --rounds 1 --json results.json

Every setup runs in fresh processes (`mpiexec -n 2` for two ranks) that train SASRec at the paper's sizes
(d 50, 2 blocks, 1 head, max length 50, dropout 0.5, Adam) through minishop.train.train(), the real loop:
each rank builds the global batch, keeps its rows, runs forward and backward, the gradients are summed by a
bucketed allreduce, then clipping and Adam. Per-rank batch 128 (the global batch grows with the ranks, as
with PyTorch DDP); the row "2 ranks x 64" keeps one rank's global batch of 128 instead. The clock runs over
one epoch of --steps batches, batch building included, after a few warm-up steps.

Reported per setup: steps/s, examples/s (training histories per second, all ranks together), examples
per CPU-second (all ranks' CPU time: the cost of data parallelism itself, less sensitive than wall time to
other programs on a shared machine), and the milliseconds each step spends inside allreduce calls (summing,
plus waiting for the slower rank). Efficiency = examples/s of 2 ranks / (2 x examples/s of 1 rank). --json FILE writes
{"bce": {"speedup": .., "efficiency": .., "threads_speedup": .., "setups": {..}}, "ce": {..}, "machine": {..}}.
Each setup runs --rounds times, alternating with the others; the median round is reported.

Data: --data, else $MINISHOP_AMAZON_GAMES, else ../shared/data/amazon-games.txt; skipped with a message if absent.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
SIZES = dict(d_model=50, n_blocks=2, n_heads=1, max_len=50, dropout=0.5)
PER_RANK_BATCH = 128
WARM_UP = 3  # steps trained before the clock starts
# name: (ranks, BLAS threads per rank, histories per rank per step)
SETUPS = {
    "1 rank x 1 thread": (1, 1, PER_RANK_BATCH),
    "2 ranks x 1 thread": (2, 1, PER_RANK_BATCH),
    "1 rank x 2 threads": (1, 2, PER_RANK_BATCH),
    "2 ranks x 64": (2, 1, PER_RANK_BATCH // 2),
}


def data_path(argument):
    candidates = [argument, os.environ.get("MINISHOP_AMAZON_GAMES"),
                  os.path.join(REPO, "..", "shared", "data", "amazon-games.txt")]
    return next((path for path in candidates if path and os.path.exists(path)), None)


# ---- one measurement, inside each rank --------------------------------------------------------------

def measure(args):
    """Train WARM_UP steps, then one timed epoch of --steps steps; rank 0 prints one JSON line."""
    import minishop
    from minishop import distributed

    comm = distributed.init("mpi") if distributed.launched_world_size() > 1 else distributed.world()
    minishop.set_num_threads(args.threads)
    from minishop.data import prepare
    from minishop.recsys.objectives import LOSSES, make_batch
    from minishop.recsys.training import RecommenderConfig, build_model
    from minishop.train import TrainConfig, train

    split = prepare(args.data, format="sasrec").split
    users = sorted(user for user, items in split.train.items() if len(items) >= 2)
    global_batch = args.per_rank_batch * comm.world_size

    def batches(rng):  # the first --steps global batches of a shuffled epoch, built on every rank
        order = rng.permutation(len(users))[:args.steps * global_batch]
        return [make_batch([split.train[users[i]] for i in order[start:start + global_batch]], split.n_items,
                           SIZES["max_len"], args.loss, rng) for start in range(0, len(order), global_batch)]

    model = build_model(RecommenderConfig(**SIZES), split.n_items)
    in_allreduce = time_allreduce(comm)
    config = TrainConfig(epochs=1, lr=1e-3, betas=(0.9, 0.98), warmup_steps=0, progress=False, seed=0)
    train(model, lambda rng: batches(rng)[:WARM_UP], LOSSES[args.loss], config)  # first-touch memory, caches
    comm.barrier()
    in_allreduce[0] = 0.0
    started, cpu_started = time.perf_counter(), time.process_time()
    train(model, batches, LOSSES[args.loss], config)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    waits = comm.gather(minishop.backend.np.asarray([in_allreduce[0]]))
    cpu = comm.gather(minishop.backend.np.asarray([cpu_seconds]))
    examples = args.steps * global_batch
    if comm.rank == 0:
        print("RESULT " + json.dumps({"steps_per_s": args.steps / seconds, "examples_per_s": examples / seconds,
                                      "examples_per_cpu_s": examples / float(cpu.sum()),
                                      "allreduce_ms_per_step": [1000 * w / args.steps for w in waits.tolist()],
                                      "bytes_allreduced_per_step": bytes_per_step(model),
                                      "n_items": split.n_items, "load": os.getloadavg()[0]}), flush=True)


def time_allreduce(comm):
    """Wrap comm.allreduce to add the seconds spent inside it to a counter; returns the counter ([seconds])."""
    spent, allreduce = [0.0], comm.allreduce

    def timed(array):
        started = time.perf_counter()
        allreduce(array)
        spent[0] += time.perf_counter() - started
        return array

    comm.allreduce = timed
    return spent


def bytes_per_step(model):
    """Bytes each rank sends into the allreduce per step: every gradient, plus the two header numbers."""
    return sum(p.data.size * p.data.dtype.itemsize for p in model.parameters()) + 16


# ---- the parent: run every setup in fresh processes --------------------------------------------------

def run_setup(setup, loss, args):
    ranks, threads, per_rank = SETUPS[setup]
    command = [sys.executable, os.path.abspath(__file__), "--measure", "--loss", loss, "--steps", str(args.steps),
               "--threads", str(threads), "--per-rank-batch", str(per_rank), "--data", args.data]
    if ranks > 1:
        mpiexec = shutil.which("mpiexec", path=os.path.dirname(sys.executable)) or shutil.which("mpiexec")
        command = [mpiexec, "-n", str(ranks)] + command
    threads_env = {name: str(threads) for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    done = subprocess.run(command, capture_output=True, text=True, env=dict(os.environ, **threads_env))
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{setup} ({loss}) failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return json.loads(lines[-1][len("RESULT "):])


def summarize(rounds):
    """The median round of each setup, and the ratios users choose by."""
    setups = {}
    for setup, results in rounds.items():
        middle = sorted(results, key=lambda r: r["examples_per_s"])[len(results) // 2]
        setups[setup] = dict(middle, rounds_examples_per_s=[round(r["examples_per_s"], 1) for r in results])
    one = setups["1 rank x 1 thread"]["examples_per_s"]
    two = setups["2 ranks x 1 thread"]["examples_per_s"]
    threads = setups["1 rank x 2 threads"]["examples_per_s"]
    work = setups["2 ranks x 1 thread"]["examples_per_cpu_s"] / setups["1 rank x 1 thread"]["examples_per_cpu_s"]
    return {"speedup": two / one, "efficiency": two / (2 * one), "threads_speedup": threads / one,
            "ranks_over_threads": two / threads, "work_efficiency": work,
            "same_global_batch_speedup": setups["2 ranks x 64"]["examples_per_s"] / one, "setups": setups}


def print_table(loss, summary):
    print(f"\n{loss}: {'setup':<22} {'steps/s':>8} {'examples/s':>11} {'per CPU-s':>10} {'allreduce ms/step':>18}")
    for setup, result in summary["setups"].items():
        waits = "/".join(f"{w:.1f}" for w in result["allreduce_ms_per_step"]) if SETUPS[setup][0] > 1 else "-"
        print(f"{'':<5}{setup:<22} {result['steps_per_s']:>8.2f} {result['examples_per_s']:>11.0f} "
              f"{result['examples_per_cpu_s']:>10.0f} {waits:>18}")
    print(f"     2 ranks / 1 rank: {summary['speedup']:.2f}x examples/s (efficiency {summary['efficiency']:.0%}, "
          f"per CPU-second {summary['work_efficiency']:.0%}); 1 rank x 2 threads: {summary['threads_speedup']:.2f}x; "
          f"2 ranks x 1 thread vs 1 rank x 2 threads: {summary['ranks_over_threads']:.2f}x")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", help="Amazon Games in SASRec's format (user item per line)")
    parser.add_argument("--loss", choices=["bce", "ce", "both"], default="both")
    parser.add_argument("--steps", type=int, default=40, help="timed steps per setup and round (default 40)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every setup; the median is reported")
    parser.add_argument("--json", help="write the results to this JSON file")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)  # inside one setup's ranks
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--per-rank-batch", dest="per_rank_batch", type=int, default=PER_RANK_BATCH,
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.data = data_path(args.data)
    if args.data is None:
        print("bench/distributed.py: no Amazon Games file (--data or $MINISHOP_AMAZON_GAMES); skipped")
        return 0
    if args.measure:
        return measure(args) or 0
    results = {"machine": {"cpus": os.cpu_count(), "load_before": os.getloadavg()}}
    for loss in (["bce", "ce"] if args.loss == "both" else [args.loss]):
        rounds = {setup: [] for setup in SETUPS}
        for round_number in range(args.rounds):
            order = list(SETUPS) if round_number % 2 == 0 else list(reversed(SETUPS))
            for setup in order:
                rounds[setup].append(run_setup(setup, loss, args))
        results[loss] = summarize(rounds)
        print_table(loss, results[loss])
    results["machine"]["load_after"] = os.getloadavg()
    print(f"\nload average (1, 5, 15 min) before {results['machine']['load_before']}, "
          f"after {results['machine']['load_after']}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as file:
            json.dump(results, file, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
