"""Training throughput of the full recommender: minishop vs PyTorch CPU eager, same model, same run.

One training step here is everything `minishop train` does per batch: build the padded batch from user
histories (with BCE negatives sampled from items the user never touched), forward, loss at the real
positions only, backward, gradient clipping, Adam. The PyTorch model is the same SequentialRecommender
written with torch ops (scaled item embeddings, right-aligned learned positions, pre-LN blocks with GELU
feed-forward of width d, causal + key-padding mask, timeline mask, final LayerNorm, tied scores); the script
first copies minishop's weights into it and checks that both compute the same loss. Both then train in ONE
process, alternating blocks of steps, on the same batches (built by the same host-side pipeline inside the
timed step); we report the median steps/s of each and the ratio. (bench/train_step.py times the bare step.)

    python bench/recommender_throughput.py                 # Amazon Games histories, BCE and CE, 1 thread each
    python bench/recommender_throughput.py --loss bce --rounds 4 --threads 2   # both frameworks on 2 threads

Data: --data, else $MINISHOP_AMAZON_GAMES, else ../shared/data/amazon-games.txt; skipped with a message if absent.
"""

import argparse
import math
import os
import statistics
import sys
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
SIZES = dict(d_model=50, n_blocks=2, n_heads=1, max_len=50, dropout=0.5)
BATCH = 128


def load_train_histories(path):
    from minishop.data import prepare

    prepared = prepare(path, format="sasrec")
    histories = [items for items in prepared.split.train.values() if len(items) >= 2]
    return histories, prepared.n_items


def minishop_trainer(n_items, loss_name):
    import minishop
    from minishop.recsys.objectives import LOSSES
    from minishop.recsys.model import SequentialRecommender
    from minishop.optim import Adam, clip_grad_norm

    minishop.manual_seed(0)
    model = SequentialRecommender(n_items, **SIZES)
    optimizer = Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.98))

    def step(batch):
        optimizer.zero_grad()
        loss = LOSSES[loss_name](model, batch)
        loss.backward()
        clip_grad_norm(model.parameters(), 1.0)
        optimizer.step()
        return loss.item()

    return model, step


def torch_sasrec(n_items, source):
    """The recommender at SIZES in PyTorch eager (pre-LN SASRec), with `source` (a minishop model)'s weights."""
    import torch
    import torch.nn.functional as TF
    from torch_reference import PreLNBlock

    D, L, p = SIZES["d_model"], SIZES["max_len"], SIZES["dropout"]

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.items, self.positions = torch.nn.Embedding(n_items + 1, D), torch.nn.Embedding(L, D)
            self.blocks = torch.nn.ModuleList([PreLNBlock(D, p, drop_attention_output=False)
                                               for _ in range(SIZES["n_blocks"])])
            self.final_norm = torch.nn.LayerNorm(D)

        def forward(self, ids):  # ids (B, T)
            T = ids.shape[1]
            padding = ids == 0
            keep = (~padding).unsqueeze(-1).float()  # (B, T, 1)
            causal = torch.triu(torch.ones(T, T, dtype=torch.bool, device=ids.device), diagonal=1)
            mask = causal[None] | padding[:, None, :]  # (B, T, T)
            x = self.items(ids) * math.sqrt(D) + self.positions.weight[L - T:]
            x = TF.dropout(x, p, self.training) * keep
            for block in self.blocks:
                x = block(x, mask) * keep
            return self.final_norm(x)

    model = Model()
    copy_weights(source, model)
    return model


def torch_trainer(n_items, loss_name, source):
    """The same model in PyTorch, with `source` (a minishop model)'s weights copied in."""
    import torch
    import torch.nn.functional as TF

    D = SIZES["d_model"]
    model = torch_sasrec(n_items, source)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.98))

    def loss_of(batch):
        items = torch.from_numpy(batch.items)
        B, T = items.shape
        real = torch.from_numpy(batch.positions)
        hidden = model(items).reshape(B * T, D)[real]  # (N, D)
        targets = torch.from_numpy(batch.targets.reshape(-1)[batch.positions])
        if loss_name == "bce":
            pos = (hidden * model.items(targets)).sum(-1)
            neg = (hidden * model.items(torch.from_numpy(batch.negatives))).sum(-1)
            return (TF.binary_cross_entropy_with_logits(pos, torch.ones_like(pos))
                    + TF.binary_cross_entropy_with_logits(neg, torch.zeros_like(neg)))
        return TF.cross_entropy(hidden @ model.items.weight[1:].T, targets - 1)

    def step(batch):
        optimizer.zero_grad(set_to_none=True)
        loss = loss_of(batch)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        return loss.item()

    return model, loss_of, step


def copy_weights(source, model):
    """minishop parameters -> torch (Linear weights are stored (in, out) in minishop, (out, in) in torch)."""
    import torch

    named = {name: p.numpy() for name, p in source.named_parameters()}
    with torch.no_grad():
        model.items.weight.copy_(torch.from_numpy(named["item_embedding.weight"]))
        model.positions.weight.copy_(torch.from_numpy(named["position_embedding.weight"]))
        model.final_norm.weight.copy_(torch.from_numpy(named["final_norm.weight"]))
        model.final_norm.bias.copy_(torch.from_numpy(named["final_norm.bias"]))
        for i, block in enumerate(model.blocks):
            prefix = f"blocks.{i}."
            pairs = {"norm1": "norm1", "norm2": "norm2", "q": "attention.q_proj", "k": "attention.k_proj",
                     "v": "attention.v_proj", "out": "attention.out_proj", "fc1": "feed_forward.fc1",
                     "fc2": "feed_forward.fc2"}
            for mine, theirs in pairs.items():
                layer = getattr(block, mine)
                weight = named[prefix + theirs + ".weight"]
                layer.weight.copy_(torch.from_numpy(weight.T.copy() if weight.ndim == 2 else weight))
                layer.bias.copy_(torch.from_numpy(named[prefix + theirs + ".bias"]))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=None)
    parser.add_argument("--loss", choices=["bce", "ce", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=6, help="alternating blocks of steps per framework")
    parser.add_argument("--steps", type=int, default=5, help="timed steps per block")
    parser.add_argument("--threads", type=int, default=1, help="threads for BOTH frameworks, pinned in code "
                        "(torch.set_num_threads/set_num_interop_threads, threadpoolctl for BLAS and OpenMP); default 1")
    args = parser.parse_args()
    path = args.data or os.environ.get("MINISHOP_AMAZON_GAMES") or os.path.join(
        REPO, "..", "shared", "data", "amazon-games.txt")
    if not os.path.exists(path):
        print(f"recommender_throughput: skipped: no data at {path} (set --data or MINISHOP_AMAZON_GAMES)")
        return 0

    import torch
    import minishop
    from minishop.recsys.objectives import make_batch
    minishop.backend.tune_malloc()  # for both frameworks: they train in this one process

    from torch_reference import pin_threads

    threads_line = pin_threads(args.threads)
    histories, n_items = load_train_histories(path)
    print(f"Amazon Games: {len(histories)} training histories, {n_items} items; batch {BATCH}, {SIZES}")
    print(f"torch {torch.__version__}, numpy {np.__version__}; {threads_line}")
    for loss_name in (["bce", "ce"] if args.loss == "both" else [args.loss]):
        source, minishop_step = minishop_trainer(n_items, loss_name)
        torch_model, torch_loss, torch_step = torch_trainer(n_items, loss_name, source)
        rng = np.random.default_rng(0)
        order = rng.permutation(len(histories))

        def batch_number(i):  # the data pipeline, timed as part of every step
            start = (i * BATCH) % (len(order) - BATCH)
            return make_batch([histories[j] for j in order[start:start + BATCH]], n_items, SIZES["max_len"],
                              loss_name, np.random.default_rng(i))

        # same model? compare the loss of one batch without dropout
        source.eval(), torch_model.eval()
        check = batch_number(0)
        from minishop.recsys.objectives import LOSSES

        with minishop.no_grad():
            ours = LOSSES[loss_name](source, check).item()
        theirs = torch_loss(check).item()
        source.train(), torch_model.train()
        print(f"[{loss_name}] same weights, eval mode: minishop loss {ours:.6f}, torch loss {theirs:.6f}")

        steps = {"minishop": lambda i: minishop_step(batch_number(i)), "torch": lambda i: torch_step(batch_number(i))}
        times = {name: [] for name in steps}
        for name, step in steps.items():
            for i in range(2):
                step(i)  # warm-up
        counter = 0
        for round_index in range(args.rounds):
            for name in (list(steps) if round_index % 2 == 0 else list(reversed(list(steps)))):
                for i in range(args.steps):
                    start = time.perf_counter()
                    steps[name](counter + i)
                    times[name].append(time.perf_counter() - start)
            counter += args.steps
        rate = {name: 1.0 / statistics.median(values) for name, values in times.items()}
        print(f"[{loss_name}] steps/s (median of {args.rounds * args.steps}): minishop {rate['minishop']:.2f}, "
              f"torch {rate['torch']:.2f}; ratio minishop/torch = {rate['minishop'] / rate['torch']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
