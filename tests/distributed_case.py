"""The small training run that tests/test_distributed_mpi.py does on 1 rank and distributed_worker.py on 2.

Float64, dropout off, so that one process with global batch 2B and two processes with B each compute the
same numbers up to the order of float additions. 47 users in global batches of 12: the last batch (11 rows)
splits 5 / 6, so the ranks' parts differ in size and the weighting n_r / N is exercised.
"""

import numpy as np

import minishop
from minishop.data.splits import leave_one_out
from minishop.eval import evaluate
from minishop.recsys.model import SequentialRecommender
from minishop.recsys.objectives import LOSSES, make_batch
from minishop.train import TrainConfig

N_ITEMS = 37
GLOBAL_BATCH = 12
MAX_LEN = 6
# each user walks up the catalogue (next item = item + 1, sometimes + 2), so there is something to learn
_starts = np.random.default_rng(0).integers(1, N_ITEMS + 1, size=47)
SEQUENCES = {f"u{u:02d}": [1 + (int(start) + k + (k // 3) * (u % 2)) % N_ITEMS for k in range(4 + u % 6)]
             for u, start in enumerate(_starts)}
SPLIT = leave_one_out(SEQUENCES, n_items=N_ITEMS)
USERS = sorted(SPLIT.train)


def setup():
    """float64, one BLAS thread: call once in each process before anything else."""
    minishop.set_default_dtype("float64")
    minishop.set_num_threads(1)


def new_model():
    minishop.manual_seed(7)
    return SequentialRecommender(N_ITEMS, d_model=8, n_blocks=1, n_heads=2, max_len=MAX_LEN, dropout=0.0)


def batches_for(loss):
    """batches(rng): global batches of GLOBAL_BATCH shuffled training histories (BCE draws its negatives)."""
    def batches(rng):
        order = rng.permutation(len(USERS))
        return [make_batch([SPLIT.train[USERS[i]] for i in order[start:start + GLOBAL_BATCH]], N_ITEMS, MAX_LEN,
                           loss, rng)
                for start in range(0, len(order), GLOBAL_BATCH)]
    return batches


def validate(model):
    """Validation under full ranking, 7 users per scoring batch (6 batches: an uneven split over ranks)."""
    return evaluate(model, SPLIT, stage="valid", ks=(5,), batch_size=7, progress=False)


def config(epochs):
    return TrainConfig(epochs=epochs, lr=1e-2, warmup_steps=2, clip_grad_norm=0.5, eval_every=1, patience=0,
                       monitor="NDCG@5", progress=False, seed=3)


def run(loss, epochs, out_dir=None, resume=False):
    """Train a fresh model (or resume out_dir); returns (model, TrainResult)."""
    from minishop.train import train

    model = new_model()
    result = train(model, batches_for(loss), LOSSES[loss], config(epochs), evaluate=validate, out_dir=out_dir,
                   resume=resume)
    return model, result


def weights(model):
    """{parameter name: host array} of a model."""
    return {name: minishop.to_numpy(parameter.data).copy() for name, parameter in model.named_parameters()}
