"""minishop.distributed in one process: splitting batches, weighting, bucketed allreduce, clear errors.

The 2-rank runs over real MPI are in test_distributed_mpi.py; here "ranks" are parts of one batch computed
one after the other, or threads sharing a fake communicator, so the arithmetic is checked without MPI.
"""

import sys
import threading

import numpy as np
import pytest

import minishop
from minishop import distributed
from minishop.nn.module import Parameter
from minishop.recsys.model import SequentialRecommender
from minishop.recsys.objectives import LOSSES, make_batch

N_ITEMS = 23
HISTORIES = [[1 + (3 * u + k) % N_ITEMS for k in range(2 + u % 5)] for u in range(11)]  # lengths 2..6


@pytest.mark.parametrize("n, world_size", [(11, 2), (12, 2), (1, 2), (7, 3), (0, 4)])
def test_shards_cover_everything_once_in_rank_order_and_balanced(n, world_size):
    parts = [distributed.shard_slice(n, rank, world_size) for rank in range(world_size)]
    covered = [i for part in parts for i in range(n)[part]]
    assert covered == list(range(n))
    sizes = [len(range(n)[part]) for part in parts]
    assert max(sizes) - min(sizes) <= 1


def test_buckets_keep_one_dtype_and_a_byte_limit():
    arrays = [np.zeros(100, np.float32), np.zeros(100, np.float32), np.zeros(300, np.float32),
              np.zeros(10, np.float64), np.zeros(10, np.float32)]
    assert distributed.plan_buckets(arrays, bucket_bytes=800) == [[0, 1], [2], [3], [4]]
    assert distributed.plan_buckets(arrays, bucket_bytes=10**6) == [[0, 1, 2], [3], [4]]


def gradients_of(model, loss_fn, batch):
    for parameter in model.parameters():
        parameter.grad = None
    loss = loss_fn(model, batch)
    loss.backward()
    return float(loss.item()), [minishop.to_numpy(p.grad).copy() for p in model.parameters()]


@pytest.mark.parametrize("loss_name", ["ce", "bce", "sampled"])
@pytest.mark.parametrize("world_size", [2, 3])
def test_weighted_parts_of_a_batch_give_the_loss_and_gradient_of_the_whole(float64, loss_name, world_size):
    """Σ_r (n_r / N) L_r = L and Σ_r (n_r / N) ∇L_r = ∇L: what the allreduce computes, done by hand here."""
    model = SequentialRecommender(N_ITEMS, d_model=8, n_blocks=1, n_heads=2, max_len=5, dropout=0.0)
    batch = make_batch(HISTORIES, N_ITEMS, 5, loss_name, np.random.default_rng(1), n_negatives=7)
    whole_loss, whole_grads = gradients_of(model, LOSSES[loss_name], batch)
    parts = [distributed.shard_batch(batch, rank, world_size) for rank in range(world_size)]
    n_terms = sum(weight for _, weight in parts)
    assert n_terms == len(batch.positions) and sum(len(part) for part, _ in parts) == len(batch)
    combined_loss, combined = 0.0, [np.zeros_like(g) for g in whole_grads]
    for part, weight in parts:
        loss, grads = gradients_of(model, LOSSES[loss_name], part)
        combined_loss += weight / n_terms * loss
        combined = [total + weight / n_terms * g for total, g in zip(combined, grads)]
    assert combined_loss == pytest.approx(whole_loss, abs=1e-12)
    for ours, whole in zip(combined, whole_grads):
        np.testing.assert_allclose(ours, whole, atol=1e-12)


def test_a_plain_array_batch_splits_by_rows():
    batch = np.arange(14).reshape(7, 2)
    part, weight = distributed.shard_batch(batch, 1, 2)
    np.testing.assert_array_equal(part, batch[3:])
    assert weight == 4


def test_a_batch_that_cannot_split_says_how_to_fix_it():
    with pytest.raises(TypeError, match="shard\\(rank, world_size\\)"):
        distributed.shard_batch({"ids": [1, 2]}, 0, 2)


class ThreadedWorld:
    """`size` ranks as threads of this process; allreduce sums their arrays in rank order via shared slots."""

    def __init__(self, size):
        self.size, self.slots, self.calls = size, [None] * size, [0] * size
        self.meeting = threading.Barrier(size)

    def rank(self, rank):
        return ThreadedRank(self, rank)


class ThreadedRank:
    """One thread's communicator in a ThreadedWorld (only what allreduce_gradients uses)."""

    def __init__(self, world, rank):
        self.world, self.rank, self.world_size = world, rank, world.size

    def allreduce(self, array):
        world = self.world
        world.calls[self.rank] += 1
        world.slots[self.rank] = array.copy()
        world.meeting.wait()  # every rank has put its array in
        total = sum(world.slots[r] for r in range(world.size))
        world.meeting.wait()  # every rank has read them all
        array[...] = total
        return array


def test_bucketed_allreduce_gives_every_rank_the_weighted_sum(float64):
    rng = np.random.default_rng(0)
    shapes = [(5, 3), (7,), (2, 2, 2), (11,)]
    weights, losses = [3, 0, 5], [0.5, 0.0, 2.0]  # rank 1 holds an empty part: no gradients at all
    grads = [[rng.standard_normal(shape) for shape in shapes] for _ in weights]
    expected = [sum(w * g[i] for w, g in zip(weights, grads)) / sum(weights) for i in range(len(shapes))]
    world = ThreadedWorld(len(weights))
    results = [None] * len(weights)

    def work(rank):
        parameters = [Parameter(np.zeros(shape)) for shape in shapes]
        for parameter, grad in zip(parameters, grads[rank]):
            parameter.grad = None if weights[rank] == 0 else grad.copy()
        loss = distributed.allreduce_gradients(parameters, weights[rank], losses[rank], comm=world.rank(rank),
                                               bucket_bytes=8 * 16)  # 16 float64 a bucket: several buckets
        results[rank] = (loss, [parameter.grad for parameter in parameters])

    threads = [threading.Thread(target=work, args=(rank,)) for rank in range(len(weights))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert world.calls == [4, 4, 4]  # N and the loss first, then 3 buckets of 15 | 7 + 8 | 11 numbers
    for loss, grads_here in results:
        assert loss == pytest.approx((3 * 0.5 + 5 * 2.0) / 8)
        for ours, theirs in zip(grads_here, expected):
            np.testing.assert_allclose(ours, theirs, rtol=1e-14)


def test_one_process_leaves_gradients_alone():
    parameter = Parameter(np.zeros(3))
    parameter.grad = np.ones(3)
    assert distributed.allreduce_gradients([parameter], weight=3, loss=1.5) == 1.5
    np.testing.assert_array_equal(parameter.grad, np.ones(3))


def test_dropout_seeds_differ_between_ranks_and_epochs():
    seeds = {distributed.rank_seed(0, rank, epoch) for rank in range(4) for epoch in range(1, 6)}
    assert len(seeds) == 20
    assert distributed.rank_seed(0, 1, 2) == distributed.rank_seed(0, 1, 2)


def test_unknown_communicator_kind_is_named():
    with pytest.raises(ValueError, match="'mpi', 'nccl', 'single'"):
        distributed.init("gloo")


def test_without_mpi4py_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # import mpi4py now fails
    with pytest.raises(RuntimeError, match=r"pip install 'minishop\[dist\]'"):
        distributed.launch(2, ["train"])
    with pytest.raises(RuntimeError, match="mpi4py and an MPI library"):
        distributed.init("mpi")
    assert distributed.world().world_size == 1  # a failed init leaves the single-process world


def test_without_cupy_the_gpu_communicator_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)
    with pytest.raises(RuntimeError, match=r"CuPy with NCCL .*pip install 'minishop\[gpu\]'"):
        distributed.init("nccl")


def test_launch_drops_procs_from_the_command_it_repeats():
    argv = ["train", "--procs", "2", "--epochs", "1", "--procs=3", "--out", "runs/x"]
    assert distributed._without_procs(argv) == ["train", "--epochs", "1", "--out", "runs/x"]
    with pytest.raises(ValueError, match="--procs 0: expected a positive number"):
        distributed.launch(0, ["train"])


def test_launcher_environment_gives_rank_and_size(monkeypatch):
    for name in ("PMI_SIZE", "PMI_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK", "PMIX_SIZE", "PMIX_RANK"):
        monkeypatch.delenv(name, raising=False)
    assert (distributed.launched_world_size(), distributed.launched_rank()) == (1, 0)
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "4")
    monkeypatch.setenv("OMPI_COMM_WORLD_RANK", "3")
    assert (distributed.launched_world_size(), distributed.launched_rank()) == (4, 3)


def test_a_review_batch_splits_into_its_rows():
    from minishop.text.training import LabelledBatch

    batch = LabelledBatch(np.arange(10).reshape(5, 2), np.zeros((5, 2), dtype=bool), np.arange(5))
    parts = [distributed.shard_batch(batch, rank, 2) for rank in range(2)]
    assert [weight for _, weight in parts] == [2, 3]
    np.testing.assert_array_equal(np.concatenate([part.ids for part, _ in parts]), batch.ids)
    np.testing.assert_array_equal(np.concatenate([part.labels for part, _ in parts]), batch.labels)
