"""Sparse row gradients: RowGradient's algebra, sparse embeddings, lazy Adam (vs torch's SparseAdam), clip, SGD,
the recommender with sparse_items, and data parallelism, each checked against the dense computation."""

import threading
from dataclasses import replace

import numpy as np
import pytest

import minishop
import minishop.functional as F
from minishop import Tensor, distributed, optim
from minishop.gradcheck import gradcheck
from minishop.nn import Embedding, Parameter
from minishop.recsys.model import SequentialRecommender
from minishop.recsys.objectives import LOSSES, make_batch
from minishop.row_gradient import RowGradient

torch = pytest.importorskip("torch", reason="PyTorch is the reference; CI installs torch==2.13.0")

V, D = 13, 5  # a table of 13 rows of width 5: all dimensions differ


def random_row_gradient(rng, n_rows=9, shape=(V, D)):
    rows = rng.integers(0, shape[0], size=n_rows)
    rows[:3] = [4, 4, 7]  # always some repeated rows
    return RowGradient(rows, rng.standard_normal((n_rows,) + shape[1:]), shape)


def dense_of(grad):
    """The reference dense form, by np.add.at (a different route than RowGradient.to_dense)."""
    out = np.zeros(grad.shape)
    np.add.at(out, grad.rows, grad.values)
    return out


# ----- the algebra ---------------------------------------------------------------------------------------
def test_to_dense_sums_repeated_rows():
    grad = random_row_gradient(np.random.default_rng(0))
    np.testing.assert_allclose(grad.to_dense(), dense_of(grad), rtol=1e-14)
    np.testing.assert_allclose(np.asarray(grad), dense_of(grad), rtol=1e-14)  # what host tools read


def test_coalesce_keeps_each_row_once_sorted_and_the_same_gradient():
    grad = random_row_gradient(np.random.default_rng(1))
    summed = grad.coalesce()
    assert summed.coalesced and list(summed.rows) == sorted(set(grad.rows.tolist()))
    np.testing.assert_allclose(summed.to_dense(), dense_of(grad), rtol=1e-14)
    np.testing.assert_allclose(summed.values[list(summed.rows).index(4)], dense_of(grad)[4], rtol=1e-14)
    assert summed.coalesce() is summed


def test_sum_of_row_gradients_is_a_row_gradient_equal_to_the_dense_sum():
    rng = np.random.default_rng(2)
    a, b = random_row_gradient(rng), random_row_gradient(rng, n_rows=4)
    total = a + b
    assert isinstance(total, RowGradient) and len(total.rows) == 13
    np.testing.assert_allclose(total.to_dense(), dense_of(a) + dense_of(b), rtol=1e-14)


def test_row_gradient_plus_dense_is_dense_both_ways_and_leaves_the_dense_array_alone():
    rng = np.random.default_rng(3)
    grad, dense = random_row_gradient(rng), rng.standard_normal((V, D))
    before = dense.copy()
    for total in (grad + dense, dense + grad):
        assert isinstance(total, np.ndarray) and total is not dense
        np.testing.assert_allclose(total, dense_of(grad) + before, rtol=1e-14)
    np.testing.assert_array_equal(dense, before)


def test_scaling_and_add_to():
    rng = np.random.default_rng(4)
    grad, dense = random_row_gradient(rng), rng.standard_normal((V, D))
    np.testing.assert_allclose((2.5 * grad).to_dense(), 2.5 * dense_of(grad), rtol=1e-14)
    np.testing.assert_allclose((-grad).to_dense(), -dense_of(grad), rtol=1e-14)
    expected = dense - 0.1 * dense_of(grad)
    np.testing.assert_allclose(grad.add_to(dense, alpha=-0.1), expected, rtol=1e-14)
    np.testing.assert_allclose(dense, expected, rtol=1e-14)  # in place


def test_mismatched_shapes_are_clear_errors():
    rng = np.random.default_rng(5)
    grad = random_row_gradient(rng)
    with pytest.raises(ValueError, match=r"tables \(13, 5\) and \(14, 5\)"):
        grad + random_row_gradient(rng, shape=(14, D))
    with pytest.raises(TypeError, match=r"shape \(13, 5\)"):
        grad + np.zeros((V, D + 1))
    with pytest.raises(ValueError, match="rows"):
        RowGradient(np.zeros(3, dtype=np.int64), np.zeros((4, D)), (V, D))


# ----- the engine: sparse embedding backward == dense ---------------------------------------------------
def lookups(weight, sparse, first, second):
    """A graph that reads the table three ways: two lookups (repeated ids, 2-D ids) and a dense use."""
    y = F.embedding(weight, first, sparse=sparse)  # (2, 4, D)
    z = F.embedding(weight, second, sparse=sparse)  # (3, D)
    return (y * y).sum() + (z.tanh() * 3.0).sum()


def test_sparse_embedding_backward_equals_dense(float64):
    rng = np.random.default_rng(6)
    table = rng.standard_normal((V, D))
    first, second = np.array([[1, 4, 4, 12], [0, 4, 7, 1]]), np.array([7, 2, 7])
    dense, sparse = Tensor(table.copy(), requires_grad=True), Tensor(table.copy(), requires_grad=True)
    lookups(dense, False, first, second).backward()
    lookups(sparse, True, first, second).backward()
    assert isinstance(sparse.grad, RowGradient) and sparse.grad.dtype == np.float64
    assert sorted(set(sparse.grad.rows.tolist())) == [0, 1, 2, 4, 7, 12]
    np.testing.assert_allclose(sparse.grad.to_dense(), dense.grad, rtol=1e-13)
    # a dense use of the same table makes the sum dense; accumulating a second backward adds to it
    for weight, sparse_ids in ((dense, False), (sparse, True)):
        weight.grad = None
        (lookups(weight, sparse_ids, first, second) + (weight * 2.0).sum()).backward()
        lookups(weight, sparse_ids, first, second).backward()
    assert isinstance(sparse.grad, np.ndarray)
    np.testing.assert_allclose(sparse.grad, dense.grad, rtol=1e-13)


def test_gradients_accumulate_across_backward_calls_as_rows(float64):
    table = np.random.default_rng(7).standard_normal((V, D))
    dense, sparse = Tensor(table.copy(), requires_grad=True), Tensor(table.copy(), requires_grad=True)
    for ids in (np.array([3, 3, 5]), np.array([5, 9])):
        (F.embedding(dense, ids) ** 2).sum().backward()
        (F.embedding(sparse, ids, sparse=True) ** 2).sum().backward()
    assert isinstance(sparse.grad, RowGradient)
    np.testing.assert_allclose(sparse.grad.to_dense(), dense.grad, rtol=1e-13)


def test_a_callers_gradient_is_never_written_into(float64):
    weight = Tensor(np.random.default_rng(8).standard_normal((V, D)), requires_grad=True)
    upstream = np.ones((4, D))
    F.embedding(weight, np.array([1, 2, 2, 6]), sparse=True).backward(upstream)
    weight.grad *= 0.5  # what clipping does
    optim.SGD([weight], lr=1.0).step()
    np.testing.assert_array_equal(upstream, np.ones((4, D)))


def test_gradcheck_of_sparse_lookups(float64):
    rng = np.random.default_rng(9)
    weight = Tensor(rng.standard_normal((6, 3)), requires_grad=True)
    ids = np.array([[5, 0, 5], [2, 5, 1]])
    gradcheck(lambda w: (F.embedding(w, ids, sparse=True) * F.embedding(w, ids[::-1], sparse=True)).tanh(),
              [weight])


def test_embedding_module_passes_sparse_on():
    layer = Embedding(V, D, sparse=True)
    layer(np.array([1, 2])).sum().backward()
    assert isinstance(layer.weight.grad, RowGradient) and "sparse=True" in repr(layer)


# ----- optimizers -------------------------------------------------------------------------------------------
def sparse_and_dense(table, rows, values):
    """Two parameters holding `table`: one with a RowGradient, one with its dense form."""
    sparse, dense = Parameter(table.copy()), Parameter(table.copy())
    sparse.grad = RowGradient(np.asarray(rows), np.asarray(values, dtype=np.float64), table.shape)
    dense.grad = dense_of(sparse.grad)
    return sparse, dense


ADAMS = {"adam": lambda p: optim.Adam(p, lr=0.1, betas=(0.8, 0.9)),
         "adam, L2": lambda p: optim.Adam(p, lr=0.1, weight_decay=0.3),
         "adamw": lambda p: optim.AdamW(p, lr=0.1, weight_decay=0.3)}


@pytest.mark.parametrize("name", ADAMS)
def test_first_lazy_adam_step_equals_dense_adam_at_the_rows_and_leaves_the_others(float64, name):
    rng = np.random.default_rng(10)
    table, rows = rng.standard_normal((V, D)), [2, 9, 2, 5]
    sparse, dense = sparse_and_dense(table, rows, rng.standard_normal((4, D)))
    ADAMS[name]([sparse]).step()
    ADAMS[name]([dense]).step()
    touched = [2, 5, 9]
    untouched = [r for r in range(V) if r not in touched]
    np.testing.assert_allclose(sparse.data[touched], dense.data[touched], rtol=1e-13)
    np.testing.assert_array_equal(sparse.data[untouched], table[untouched])


def test_lazy_adam_follows_torch_sparse_adam_over_steps_with_repeated_ids(float64):
    rng = np.random.default_rng(11)
    table = rng.standard_normal((V, D))
    ours = Parameter(table.copy())
    theirs = torch.nn.Embedding(V, D, sparse=True, dtype=torch.float64)
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(table))
    # SparseAdam adds eps to √v before the bias correction, dense Adam after: a tiny eps hides the difference
    optimizer = optim.Adam([ours], lr=0.05, betas=(0.8, 0.95), eps=1e-12)
    reference = torch.optim.SparseAdam(list(theirs.parameters()), lr=0.05, betas=(0.8, 0.95), eps=1e-12)
    seen = set()
    for step in range(5):
        ids = rng.integers(0, V, size=7)
        ids[:2] = ids[2]  # a row looked up three times in this step
        upstream = rng.standard_normal((7, D))
        optimizer.zero_grad()
        F.embedding(ours, ids, sparse=True).backward(upstream)
        optimizer.step()
        reference.zero_grad()
        theirs(torch.from_numpy(ids)).backward(torch.from_numpy(upstream))
        reference.step()
        seen |= set(ids.tolist())
    assert 3 < len(seen) < V  # some rows were seen in some steps only, some never
    np.testing.assert_allclose(ours.data, theirs.weight.detach().numpy(), rtol=1e-10)


def test_lazy_adam_differs_from_dense_adam_once_a_row_is_skipped(float64):
    rng = np.random.default_rng(12)
    table = rng.standard_normal((V, D))
    sparse, dense = Parameter(table.copy()), Parameter(table.copy())
    lazy, full = optim.Adam([sparse], lr=0.1), optim.Adam([dense], lr=0.1)
    for ids in (np.array([1, 3]), np.array([3])):  # row 1 is looked up in the first step only
        upstream = rng.standard_normal((len(ids), D))
        for parameter, optimizer, sparse_ids in ((sparse, lazy, True), (dense, full, False)):
            optimizer.zero_grad()
            F.embedding(parameter, ids, sparse=sparse_ids).backward(upstream)
            optimizer.step()
        if len(ids) == 2:
            row_1_after_first_step = sparse.data[1].copy()
    np.testing.assert_array_equal(sparse.data[1], row_1_after_first_step)  # lazy: untouched in step 2
    assert np.abs(dense.data[1] - row_1_after_first_step).min() > 1e-3  # dense: moved by its momentum
    np.testing.assert_array_equal(sparse.data[[0, 2]], table[[0, 2]])


@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_counts_each_row_once_like_the_dense_gradient(float64, max_norm):
    rng = np.random.default_rng(13)
    table, values = rng.standard_normal((V, D)), rng.standard_normal((5, D))
    sparse, dense = sparse_and_dense(table, [4, 4, 4, 0, 8], values)
    other_sparse, other_dense = Parameter(np.zeros(3)), Parameter(np.zeros(3))
    other_sparse.grad, other_dense.grad = np.arange(3.0), np.arange(3.0)
    total_sparse = optim.clip_grad_norm([sparse, other_sparse], max_norm)
    total_dense = optim.clip_grad_norm([dense, other_dense], max_norm)
    assert total_sparse == pytest.approx(total_dense, rel=1e-13)
    np.testing.assert_allclose(sparse.grad.to_dense(), dense.grad, rtol=1e-13)
    np.testing.assert_allclose(other_sparse.grad, other_dense.grad, rtol=1e-13)


@pytest.mark.parametrize("settings", [dict(lr=0.3), dict(lr=0.3, momentum=0.9, weight_decay=0.1)])
def test_sgd_on_rows_equals_dense_sgd(float64, settings):
    rng = np.random.default_rng(14)
    table = rng.standard_normal((V, D))
    sparse, dense = Parameter(table.copy()), Parameter(table.copy())
    optimizers = optim.SGD([sparse], **settings), optim.SGD([dense], **settings)
    for _ in range(2):
        rows, values = [6, 1, 6], rng.standard_normal((3, D))
        sparse.grad = RowGradient(np.array(rows), values, (V, D))
        dense.grad = dense_of(sparse.grad)
        for optimizer in optimizers:
            optimizer.step()
    np.testing.assert_allclose(sparse.data, dense.data, rtol=1e-13)


# ----- the recommender with sparse_items ----------------------------------------------------------------------
N_ITEMS = 41
HISTORIES = [[1 + (5 * u + 3 * k) % N_ITEMS for k in range(2 + u % 6)] for u in range(9)]


def recommender(sparse_items):
    minishop.manual_seed(4)
    return SequentialRecommender(N_ITEMS, d_model=12, n_blocks=2, n_heads=2, max_len=6, dropout=0.0,
                                 sparse_items=sparse_items)


@pytest.mark.parametrize("loss_name, sparse_grad", [("sampled", True), ("bce", True), ("ce", False)])
def test_sparse_items_give_the_same_loss_gradient_and_sgd_step(float64, loss_name, sparse_grad):
    batch = make_batch(HISTORIES, N_ITEMS, 6, loss_name, np.random.default_rng(0), n_negatives=7)
    dense, sparse = recommender(False), recommender(True)
    losses = []
    for model in (dense, sparse):
        loss = LOSSES[loss_name](model, batch)
        loss.backward()
        losses.append(loss.item())
    assert losses[0] == pytest.approx(losses[1], rel=1e-13)
    table_grad = sparse.item_embedding.weight.grad
    assert isinstance(table_grad, RowGradient) == sparse_grad
    assert len(np.unique(np.asarray(getattr(table_grad, "rows", [])))) < N_ITEMS + 1  # only some rows
    np.testing.assert_allclose(np.asarray(table_grad), dense.item_embedding.weight.grad, rtol=1e-10, atol=1e-14)
    for model in (dense, sparse):
        optim.SGD(model.parameters(), lr=0.5).step()
    for ours, theirs in zip(sparse.parameters(), dense.parameters()):
        np.testing.assert_allclose(ours.data, theirs.data, rtol=1e-12, atol=1e-14)
    assert np.abs(sparse.item_embedding.weight.data - recommender(True).item_embedding.weight.data).max() > 1e-4


def test_data_parallel_ranks_sum_sparse_gradients_and_keep_the_rows_any_rank_looked_up(float64):
    from test_distributed import ThreadedWorld  # the fake communicator of test_distributed.py

    rows = [np.array([1, 1, 4]), np.array([4, 9])]
    values = [np.random.default_rng(r).standard_normal((len(rows[r]), D)) for r in range(2)]
    weights = [3, 1]
    expected = sum(w * dense_of(RowGradient(r, v, (V, D))) for w, r, v in zip(weights, rows, values)) / 4
    world, results = ThreadedWorld(2), [None, None]

    def work(rank):
        parameter = Parameter(np.zeros((V, D)))
        parameter.grad = RowGradient(rows[rank], values[rank], (V, D))
        distributed.allreduce_gradients([parameter], weights[rank], 1.0, comm=world.rank(rank))
        results[rank] = parameter.grad

    threads = [threading.Thread(target=work, args=(rank,)) for rank in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    for grad in results:  # the rows of the whole batch, as one process would have them: lazy Adam updates those
        assert isinstance(grad, RowGradient) and grad.rows.tolist() == [1, 4, 9]
        np.testing.assert_allclose(grad.to_dense(), expected, rtol=1e-14)


def test_the_sparse_items_setting_reaches_the_model():
    from minishop.cli import build_parser
    from minishop.config import config_from_args
    from minishop.recsys.training import RecommenderConfig, build_model

    config = config_from_args(RecommenderConfig, build_parser().parse_args(["train", "--sparse-items"]))
    model = build_model(replace(config, max_len=10, dropout=0.1), n_items=5)
    assert config.sparse_items and model.item_embedding.sparse
    assert not build_model(RecommenderConfig(max_len=10, dropout=0.1), n_items=5).item_embedding.sparse
