"""Benchmark: one SASRec training step (forward + backward + Adam) in minishop (float32) vs PyTorch CPU eager.

The same model in both: vocabulary 23,716 (item 0 = padding), d_model 50, 2 pre-LN blocks, 1 head, max length
50, batch 128, dropout 0.5, learned positions, tied item embeddings, causal attention with a key-padding mask.
The loss is computed only at the real (non-padding) positions of left-padded batches:
  bce: binary cross-entropy of one positive (the next item) and one uniformly sampled negative per position;
  ce:  full softmax cross-entropy over all items.
Batches come from real user histories in amazon-games.txt when it exists (--data, or env MINISHOP_AMAZON_GAMES,
default ../shared/data/amazon-games.txt from the repository root); otherwise synthetic left-padded batches with
about 12% real positions.

Timing: both frameworks train in ONE process, in alternating blocks of steps, on the same pre-built batches;
we report the median time per step of each, by the wall clock (time.perf_counter, the default) or with
--clock cpu by this process's CPU time (time.process_time), which other jobs on a shared machine disturb far
less: on one thread it is the step's time without the waits for a core; on more threads it adds up every
thread's work, spin-waits included, so it then measures work, not speed. Memory: each framework trains alone
in a fresh subprocess, which reports its peak resident set size (VmHWM) and its RSS just before training
(after imports and data), so the difference is what training itself needed. Both processes get the same
glibc malloc settings (see set_malloc).

    python bench/train_step.py                 # both losses, timing + memory, both frameworks on 1 thread
    python bench/train_step.py --threads 2     # both on 2 threads
    python bench/train_step.py --clock cpu     # CPU time per step instead of wall time (a loaded machine)
    python bench/train_step.py --profile --loss ce   # where minishop's CE step spends its time (cProfile)
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
DEFAULT_DATA = os.environ.get("MINISHOP_AMAZON_GAMES", os.path.join(REPO, "..", "shared", "data", "amazon-games.txt"))
CONFIG = dict(vocab_size=23716, d_model=50, n_blocks=2, n_heads=1, max_len=50, batch_size=128, dropout=0.5)


def set_malloc():
    """minishop.backend.tune_malloc(), applied for both frameworks: keep freed blocks >= 1 MB in the heap
    instead of returning them to the kernel, and never mmap (see shared/PERFORMANCE.md)."""
    from minishop.backend import tune_malloc

    return tune_malloc()


def rss_mb():
    with open("/proc/self/statm") as file:
        return int(file.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb():
    """This process's peak RSS (VmHWM). Not ru_maxrss: on Linux that survives exec, so a subprocess inherits
    its parent's peak."""
    with open("/proc/self/status") as file:
        for line in file:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB -> MB


# ---- batches -----------------------------------------------------------------------------------------------

def load_histories(path):
    """Each user's items in time order, from 'user item' lines; None when the file is absent."""
    if not path or not os.path.exists(path):
        return None
    pairs = np.loadtxt(path, dtype=np.int64)
    users, starts = np.unique(pairs[:, 0], return_index=True)
    return [history for history in np.split(pairs[:, 1], starts[1:]) if len(history) >= 3]


def make_batches(histories, n_batches, seed):
    """Left-padded (inputs, positives, negatives) int arrays (B, T); 0 = padding, like SASRec's sampler."""
    rng = np.random.default_rng(seed)
    B, T, V = CONFIG["batch_size"], CONFIG["max_len"], CONFIG["vocab_size"]
    batches = []
    for _ in range(n_batches):
        inputs, positives = np.zeros((B, T), np.int64), np.zeros((B, T), np.int64)
        for row in range(B):
            if histories is not None:
                history = histories[rng.integers(len(histories))][:-2]  # keep validation/test items out
                sequence = history[-(T + 1):]
            else:  # synthetic: lengths with a mean near 6 of 50, like the real data
                sequence = rng.integers(1, V, size=min(T + 1, 2 + rng.geometric(0.2)))
            n = len(sequence) - 1
            inputs[row, T - n:], positives[row, T - n:] = sequence[:-1], sequence[1:]
        negatives = np.where(positives > 0, rng.integers(1, V, size=(B, T)), 0)
        batches.append((inputs, positives, negatives))
    return batches


# ---- minishop ----------------------------------------------------------------------------------------------

def minishop_step_factory(loss_name):
    import minishop
    from minishop import nn, optim
    import minishop.functional as F
    from minishop.fused_cross_entropy import linear_cross_entropy

    minishop.manual_seed(0)
    model = nn.Transformer(CONFIG["vocab_size"], CONFIG["d_model"], CONFIG["n_blocks"], CONFIG["n_heads"],
                           CONFIG["max_len"], dropout=CONFIG["dropout"], causal=True, d_ff=CONFIG["d_model"])
    optimizer = optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.98))
    items = model.token_embedding.weight

    def step(batch):
        inputs, positives, negatives = batch
        B, T = inputs.shape
        real = np.flatnonzero(positives.reshape(-1))  # (N,) positions with a next item
        hidden = model(inputs, key_padding_mask=inputs == 0)  # (B, T, D)
        hidden = hidden.reshape(B * T, -1)[real]  # (N, D): scores only where they count
        if loss_name == "bce":
            pos = (hidden * F.embedding(items, positives.reshape(-1)[real])).sum(axis=-1)  # (N,)
            neg = (hidden * F.embedding(items, negatives.reshape(-1)[real])).sum(axis=-1)  # (N,)
            loss = (F.binary_cross_entropy_with_logits(pos, np.ones(len(real), np.float32))
                    + F.binary_cross_entropy_with_logits(neg, np.zeros(len(real), np.float32)))
        else:
            loss = linear_cross_entropy(hidden, items, positives.reshape(-1)[real])  # fused: no (N, V) scores
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


# ---- PyTorch: the same architecture, written with the same operations ----------------------------------------

def torch_step_factory(loss_name):
    import torch
    import torch.nn.functional as TF
    from torch_reference import PreLNBlock

    torch.manual_seed(0)
    V, D, T, p = CONFIG["vocab_size"], CONFIG["d_model"], CONFIG["max_len"], CONFIG["dropout"]

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.items, self.positions = torch.nn.Embedding(V, D), torch.nn.Embedding(T, D)
            self.blocks = torch.nn.ModuleList([PreLNBlock(D, p) for _ in range(CONFIG["n_blocks"])])
            self.final_norm = torch.nn.LayerNorm(D)
            causal = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
            self.register_buffer("causal", causal)

        def forward(self, ids):
            mask = self.causal[None] | (ids == 0)[:, None, :]  # (B, T, T)
            x = TF.dropout(self.items(ids) + self.positions.weight, p, self.training)
            for block in self.blocks:
                x = block(x, mask)
            return self.final_norm(x)

    model = Model()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.98))

    def step(batch):
        inputs, positives, negatives = (torch.from_numpy(a) for a in batch)
        B, T = inputs.shape
        real = torch.nonzero(positives.reshape(-1)).squeeze(1)
        hidden = model(inputs).reshape(B * T, -1)[real]  # (N, D)
        if loss_name == "bce":
            pos = (hidden * model.items(positives.reshape(-1)[real])).sum(-1)
            neg = (hidden * model.items(negatives.reshape(-1)[real])).sum(-1)
            loss = (TF.binary_cross_entropy_with_logits(pos, torch.ones_like(pos))
                    + TF.binary_cross_entropy_with_logits(neg, torch.zeros_like(neg)))
        else:
            loss = TF.cross_entropy(hidden @ model.items.weight.T, positives.reshape(-1)[real])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


FACTORIES = {"minishop": minishop_step_factory, "torch": torch_step_factory}


# ---- measurements ------------------------------------------------------------------------------------------

CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def time_interleaved(loss_name, batches, rounds, steps_per_round, warmup, clock=time.perf_counter):
    """Median seconds per step of each framework, alternating blocks of steps so both see the same noise."""
    steps = {name: factory(loss_name) for name, factory in FACTORIES.items()}
    times = {name: [] for name in steps}
    for name, step in steps.items():
        for i in range(warmup):
            step(batches[i % len(batches)])
    for round_index in range(rounds):
        order = list(steps) if round_index % 2 == 0 else list(reversed(list(steps)))
        for name in order:
            for i in range(steps_per_round):
                start = clock()
                steps[name](batches[(round_index * steps_per_round + i) % len(batches)])
                times[name].append(clock() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def memory_worker(framework, loss_name, data, n_steps):
    """Run in a subprocess: train alone and print RSS before training and the peak, in MB, as JSON."""
    set_malloc()
    batches = make_batches(load_histories(data), 4, seed=1)
    step = FACTORIES[framework](loss_name)
    before = rss_mb()
    for i in range(n_steps):
        step(batches[i % len(batches)])
    print(json.dumps({"before_mb": before, "peak_mb": peak_rss_mb()}))


def measure_memory(framework, loss_name, data, n_steps, threads):
    command = [sys.executable, os.path.abspath(__file__), "--memory-worker", framework, "--loss", loss_name,
               "--data", data or "", "--memory-steps", str(n_steps), "--threads", str(threads)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def profile_minishop(loss_name, batches, n_steps):
    import cProfile
    import pstats

    step = minishop_step_factory(loss_name)
    step(batches[0])
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(n_steps):
        step(batches[i % len(batches)])
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=DEFAULT_DATA, help="amazon-games.txt (user item per line); "
                        "synthetic batches if missing (default: env MINISHOP_AMAZON_GAMES or ../shared/data)")
    parser.add_argument("--loss", choices=["bce", "ce", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=6, help="alternating blocks per framework")
    parser.add_argument("--steps", type=int, default=5, help="timed steps per block")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps per framework first")
    parser.add_argument("--memory-steps", type=int, default=5, help="steps run by each memory subprocess")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory subprocesses")
    parser.add_argument("--threads", type=int, default=1, help="threads for BOTH frameworks, pinned in code "
                        "(torch.set_num_threads/set_num_interop_threads, threadpoolctl for BLAS and OpenMP); default 1")
    parser.add_argument("--clock", choices=list(CLOCKS), default="wall", help="time steps by the wall clock "
                        "(default) or by this process's CPU time (time.process_time: steadier on a shared machine)")
    parser.add_argument("--profile", action="store_true", help="cProfile minishop's step (of the first --loss) "
                        "instead of comparing")
    parser.add_argument("--memory-worker", choices=list(FACTORIES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    losses = ["bce", "ce"] if args.loss == "both" else [args.loss]
    from torch_reference import pin_threads

    threads_line = pin_threads(args.threads)  # before any work, in this process and in each memory worker
    if args.memory_worker:
        return memory_worker(args.memory_worker, losses[0], args.data, args.memory_steps)
    malloc_set = set_malloc()
    histories = load_histories(args.data)
    batches = make_batches(histories, 8, seed=1)
    real = np.mean([(b[1] > 0).mean() for b in batches])
    print(f"data: {'real histories from ' + args.data if histories else 'synthetic (data file not found)'}; "
          f"{real:.1%} of {CONFIG['batch_size'] * CONFIG['max_len']} positions are real; "
          f"malloc thresholds raised: {malloc_set}")
    if args.profile:
        return profile_minishop(losses[0], batches, n_steps=args.rounds * args.steps)

    import torch
    print(f"torch {torch.__version__}, numpy {np.__version__}, float32 in both; {threads_line}; "
          f"clock: {args.clock}")
    for loss_name in losses:
        seconds = time_interleaved(loss_name, batches, args.rounds, args.steps, args.warmup, CLOCKS[args.clock])
        ours, theirs = 1 / seconds["minishop"], 1 / seconds["torch"]
        line = (f"{loss_name:>3}: minishop {ours:6.2f} steps/s ({seconds['minishop'] * 1e3:6.1f} ms)   "
                f"torch {theirs:6.2f} steps/s ({seconds['torch'] * 1e3:6.1f} ms)   ratio {ours / theirs:.2f}x")
        if not args.no_memory:
            memory = {name: measure_memory(name, loss_name, args.data, args.memory_steps, args.threads)
                      for name in FACTORIES}
            line += "   peak RSS " + ", ".join(
                f"{name} {m['peak_mb']:.0f} MB (+{m['peak_mb'] - m['before_mb']:.0f} MB for training)"
                for name, m in memory.items())
        print(line, flush=True)
    if not args.no_memory:
        print("memory: each framework alone in a subprocess; peak = VmHWM, '+' = peak minus RSS before "
              "the first step (after imports, model and data)")


if __name__ == "__main__":
    main()
