#!/usr/bin/env bash
# The CuPy backend and the NCCL communicator, checked in one go on a machine with a CUDA GPU.
#
#   pip install -e ".[gpu,dist,test]"                  # CuPy for CUDA 12, mpi4py + mpich, pytest + torch
#   bash bench/gpu_check.sh [--data amazon-games.txt] 2>&1 | tee gpu_check.log
#
# 1. the GPU and the library versions found;
# 2. the GPU test module (tests/test_engine_gpu.py: every kind of op forward and backward on CuPy against
#    NumPy, gradcheck in float64 on the GPU, a few SGD steps);
# 3. one Amazon Games epoch of SASRec at the paper's sizes (BCE, then full CE), trained by minishop on CuPy
#    through minishop.train.train(), and the same epoch (same weights, same batches) by the same model in
#    PyTorch CUDA eager, in the same run: steps/s of each and the ratio. This part needs a CUDA build of
#    PyTorch (the test extra installs the CPU one), e.g. pip install torch --index-url
#    https://download.pytorch.org/whl/cu124; without one, only minishop's epoch is timed;
# 4. with two or more GPUs: an NCCL allreduce of one Games gradient (its time and bandwidth), then the
#    2-rank equivalence tests (tests/test_distributed_mpi.py) over NCCL, one GPU per rank.
# Data for step 3: --data FILE, else $MINISHOP_AMAZON_GAMES, else ../shared/data/amazon-games.txt.
# Every step runs even if one before it failed; the last line counts the failures. Put the output in
# bench/README.md under "GPU check".
set -u
cd "$(dirname "$0")/.."
DATA="${MINISHOP_AMAZON_GAMES:-../shared/data/amazon-games.txt}"
if [ "${1:-}" = "--data" ] && [ -n "${2:-}" ]; then DATA="$2"; fi
SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT
failures=0

step() { echo; echo "== $* =="; }
check() {  # run a command; count it as a failure if it exits non-zero
    "$@"
    local status=$?
    if [ "$status" -ne 0 ]; then echo "-- FAILED (exit $status): $*"; failures=$((failures + 1)); fi
}

step "1. GPU and libraries"
date -u
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null || echo "(no nvidia-smi)"
if ! python - <<'PY'
import cupy, numpy
from cupy.cuda import runtime
count = runtime.getDeviceCount()
names = [runtime.getDeviceProperties(i)["name"] for i in range(count)]
names = [name.decode() if isinstance(name, bytes) else name for name in names]
try:
    from cupy.cuda import nccl
    version = nccl.get_version() if getattr(nccl, "available", True) else "not available"
except Exception as error:  # CuPy without the NCCL library: only the 2-GPU step needs it
    version = f"not available ({error})"
print(f"cupy {cupy.__version__}, numpy {numpy.__version__}, CUDA runtime {runtime.runtimeGetVersion()}, "
      f"NCCL {version}, {count} GPU(s): {names}")
PY
then
    echo "-- CuPy cannot use a GPU here: install it with pip install -e '.[gpu]' on a machine with CUDA 12. Stopped."
    exit 1
fi
N_GPUS=$(python -c "import cupy; print(cupy.cuda.runtime.getDeviceCount())")

step "2. GPU test module"
check python -m pytest -q -p no:cacheprovider tests/test_engine_gpu.py

step "3. one Amazon Games epoch: minishop on CuPy vs PyTorch CUDA eager"
cat > "$SCRATCH/epoch.py" <<'PY'
"""One epoch of SASRec on Amazon Games, minishop (CuPy) and PyTorch (CUDA), same weights and batches."""
import sys
import time

import numpy as np

sys.path.insert(0, "bench")
import minishop  # noqa: E402
from minishop.data import prepare  # noqa: E402
from minishop.recsys.objectives import LOSSES  # noqa: E402
from minishop.recsys.training import RecommenderConfig, batch_maker, build_model  # noqa: E402
from minishop.train import TrainConfig, train  # noqa: E402

SIZES = dict(d_model=50, n_blocks=2, n_heads=1, max_len=50, dropout=0.5)
WARM_UP = 5  # batches trained before the clock starts (CuPy compiles its kernels on first use)


def minishop_epoch(model, epoch, loss):
    config = TrainConfig(epochs=1, lr=1e-3, betas=(0.9, 0.98), clip_grad_norm=1.0, progress=False, seed=0)
    train(model, lambda rng: epoch[:WARM_UP], LOSSES[loss], config)
    started = time.perf_counter()
    train(model, lambda rng: epoch, LOSSES[loss], config)  # every step reads its loss: synchronised
    return len(epoch) / (time.perf_counter() - started)


def torch_model(n_items, source, device):
    """bench/recommender_throughput.py's PyTorch SASRec, built on `device`, with `source`'s weights."""
    from recommender_throughput import torch_sasrec

    return torch_sasrec(n_items, source).to(device)


def torch_loss(model, batch, loss, device):
    import torch
    import torch.nn.functional as TF

    items = torch.from_numpy(batch.items).to(device)
    B, T = items.shape
    hidden = model(items).reshape(B * T, -1)[torch.from_numpy(batch.positions).to(device)]  # (N, D)
    targets = torch.from_numpy(batch.targets.reshape(-1)[batch.positions]).to(device)
    if loss == "bce":
        pos = (hidden * model.items(targets)).sum(-1)
        neg = (hidden * model.items(torch.from_numpy(batch.negatives).to(device))).sum(-1)
        return (TF.binary_cross_entropy_with_logits(pos, torch.ones_like(pos))
                + TF.binary_cross_entropy_with_logits(neg, torch.zeros_like(neg)))
    return TF.cross_entropy(hidden @ model.items.weight[1:].T, targets - 1)


def torch_epoch(model, epoch, loss, device):
    import torch

    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.98))

    def step(batch):
        optimizer.zero_grad(set_to_none=True)
        value = torch_loss(model, batch, loss, device)
        value.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        return value.item()  # synchronises, as minishop's loop does

    model.train()
    for batch in epoch[:WARM_UP]:
        step(batch)
    started = time.perf_counter()
    for batch in epoch:
        step(batch)
    torch.cuda.synchronize()
    return len(epoch) / (time.perf_counter() - started)


def main(path):
    split = prepare(path, format="sasrec").split
    minishop.set_backend("cupy")
    try:
        import torch
        device = "cuda" if torch.cuda.is_available() else None
        print(f"torch {torch.__version__}, CUDA available: {torch.cuda.is_available()}")
    except ImportError:
        device = None
    for loss in ("bce", "ce"):
        config = RecommenderConfig(**SIZES, loss=loss, batch_size=128, seed=0)
        minishop.manual_seed(0)
        model = build_model(config, split.n_items)
        epoch = batch_maker(split.train, split.n_items, config)(np.random.default_rng(0))  # host batches
        reference = torch_model(split.n_items, model, device) if device else None
        if reference is not None:  # same model? the loss of one batch without dropout, before any step
            model.eval(), reference.eval()
            with minishop.no_grad():
                ours = float(LOSSES[loss](model, epoch[0]).item())
            theirs = float(torch_loss(reference, epoch[0], loss, device).item())
            print(f"[{loss}] same weights, eval mode: minishop {ours:.6f}, torch {theirs:.6f}")
        ours = minishop_epoch(model, epoch, loss)
        line = f"[{loss}] one epoch, {len(epoch)} steps of 128: minishop on CuPy {ours:.1f} steps/s"
        if reference is not None:
            theirs = torch_epoch(reference, epoch, loss, device)
            line += f", PyTorch CUDA eager {theirs:.1f} steps/s: minishop/PyTorch {ours / theirs:.2f}x"
        print(line, flush=True)


main(sys.argv[1])
PY
if [ -f "$DATA" ]; then
    check python "$SCRATCH/epoch.py" "$DATA"
else
    echo "-- skipped: no Amazon Games file at $DATA (pass --data FILE or set MINISHOP_AMAZON_GAMES)"
fi

step "4. two GPUs over NCCL"
if [ "$N_GPUS" -lt 2 ]; then
    echo "-- skipped: $N_GPUS GPU here; the NCCL check needs two"
else
    cat > "$SCRATCH/allreduce.py" <<'PY'
"""Time an NCCL allreduce of one Games-sized gradient (1.2 M float32) between two GPUs."""
import time

import cupy

from minishop import distributed

comm = distributed.init("nccl")
gradient = cupy.ones(1_200_000, dtype=cupy.float32)
for _ in range(5):
    comm.allreduce(gradient)
cupy.cuda.get_current_stream().synchronize()
started = time.perf_counter()
for _ in range(50):
    comm.allreduce(gradient)
cupy.cuda.get_current_stream().synchronize()
seconds = (time.perf_counter() - started) / 50
assert float(gradient[0]) == 2.0 ** 55 and float(gradient[-1]) == 2.0 ** 55, "allreduce did not sum"
if comm.rank == 0:
    print(f"NCCL allreduce of {gradient.nbytes / 1e6:.1f} MB between 2 GPUs: {1e3 * seconds:.3f} ms, "
          f"{gradient.nbytes / seconds / 1e9:.1f} GB/s")
PY
    check mpiexec -n 2 python "$SCRATCH/allreduce.py"
    check env MINISHOP_BACKEND=cupy python -m pytest -q -p no:cacheprovider tests/test_distributed_mpi.py
fi

echo
echo "gpu_check: $failures failed step(s)"
exit "$failures"
