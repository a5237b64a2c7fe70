"""The 2-rank side of tests/test_distributed_mpi.py; run as `mpiexec -n 2 python distributed_worker.py OUT`.

Every rank writes OUT/rank<r>_<what>.npz (or .json), which the test compares with single-process runs:

    train_<loss>     the weights after 3 epochs of training (ce and bce), and the per-epoch history
    resumed          OUT/from_one_rank (2 epochs on 1 rank) resumed here on 2 ranks to 4 epochs
    evaluate         test metrics of the trained ce model, both protocols, with each user's rank
    collectives      gather of unequal parts, broadcast from rank 1, allreduce

and OUT/from_two_ranks holds 2 epochs trained here, for the test to resume on 1 rank.
"""

import json
import os
import sys

import numpy as np

from minishop import backend, distributed

comm = distributed.init("nccl" if os.environ.get("MINISHOP_BACKEND") == "cupy" else "mpi")  # GPUs: NCCL

import distributed_case as case  # noqa: E402  (after init: as `minishop` does it)
from minishop.eval import evaluate_all  # noqa: E402


def save(out, name, arrays=None, record=None):
    prefix = os.path.join(out, f"rank{comm.rank}_{name}")
    if arrays is not None:
        np.savez(prefix + ".npz", **arrays)
    if record is not None:
        with open(prefix + ".json", "w", encoding="utf-8") as file:
            json.dump(record, file)


def collectives(out):
    """gather takes host arrays; broadcast and allreduce take the backend's (device arrays under NCCL)."""
    parts = comm.gather(np.arange(comm.rank * 10, comm.rank * 10 + 2 + comm.rank, dtype=np.int64))  # 2, 3 items
    shared = backend.asarray(np.full(3, 100.0 + comm.rank))
    comm.broadcast(shared, root=1)
    summed = comm.allreduce(backend.asarray(np.asarray([1.0, comm.rank], dtype=np.float64)))
    save(out, "collectives", {"gathered": parts, "broadcast": backend.to_numpy(shared),
                              "summed": backend.to_numpy(summed)})


def main(out):
    case.setup()
    collectives(out)
    for loss in ("ce", "bce"):
        model, result = case.run(loss, epochs=3, out_dir=os.path.join(out, f"run_{loss}"))
        save(out, f"train_{loss}", case.weights(model), {"history": result.history})
        if loss == "ce":
            results = evaluate_all(model, case.SPLIT, stage="test", ks=(1, 5, 10), batch_size=5, progress=False)
            save(out, "evaluate", case.weights(model), results)
    case.run("ce", epochs=2, out_dir=os.path.join(out, "from_two_ranks"))
    model, result = case.run("ce", epochs=4, out_dir=os.path.join(out, "from_one_rank"), resume=True)
    save(out, "resumed", case.weights(model), {"history": result.history})


if __name__ == "__main__":
    main(sys.argv[1])
