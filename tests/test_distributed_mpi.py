"""Data parallelism over 2 MPI ranks computes what one process computes (minishop.distributed).

One `mpiexec -n 2 python distributed_worker.py` run (about 10 s) trains, resumes and evaluates on 2 ranks;
each test compares a piece of its output with the same work done here in one process:

- 2 ranks x half of each global batch reach the weights of 1 rank x the whole batch, after 3 epochs of Adam
  with clipping, for full CE and for BCE (whose negatives must follow their rows), in float64 to 1e-10;
- the two replicas end bit-for-bit equal, and only rank 0 wrote the run folder;
- checkpoints resume across rank counts (2 -> 1 and 1 -> 2) to the weights of the uninterrupted run;
- sharded evaluation over 2 ranks equals single-process evaluation exactly, both protocols;
- gather, broadcast and allreduce move what they should;
- `minishop train --procs 2` trains, prints and writes once; an error stops both ranks with its message.

Skipped, saying why, only where mpi4py or mpiexec is missing (pip install 'minishop[dist]'). With
MINISHOP_BACKEND=cupy on a machine with two GPUs (bench/gpu_check.sh) the same tests run over NCCL.
"""

import json
import os
import shutil
import subprocess
import sys
from contextlib import contextmanager

import numpy as np
import pytest

import minishop

pytest.importorskip("mpi4py", reason="mpi4py is not installed (pip install 'minishop[dist]'); 2-rank tests skipped")
MPIEXEC = shutil.which("mpiexec", path=os.path.dirname(sys.executable)) or shutil.which("mpiexec")
if MPIEXEC is None:
    pytest.skip("no mpiexec found (pip install mpich); 2-rank tests skipped", allow_module_level=True)

import distributed_case as case  # noqa: E402
from minishop import distributed  # noqa: E402
from minishop.eval import evaluate_all  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TOLERANCE = 1e-10


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory):
    """Run the worker on 2 ranks (after 2 single-rank epochs for it to resume); returns its output folder."""
    out = str(tmp_path_factory.mktemp("two_ranks"))
    with float64_one_thread():
        case.run("ce", epochs=2, out_dir=os.path.join(out, "from_one_rank"))
    environment = dict(launch_environment(), PYTHONPATH=os.pathsep.join([HERE, os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run([MPIEXEC, "-n", "2", sys.executable, os.path.join(HERE, "distributed_worker.py"), out],
                          env=environment, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"the 2-rank worker failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return out


@contextmanager
def float64_one_thread():
    """The case's setting (float64, one BLAS thread) for a while; the previous default dtype after."""
    previous = minishop.default_dtype()
    case.setup()
    try:
        yield
    finally:
        minishop.set_default_dtype(previous)


@pytest.fixture
def float64_case():
    with float64_one_thread():
        yield


def load(out, rank, name):
    with np.load(os.path.join(out, f"rank{rank}_{name}.npz")) as arrays:
        return dict(arrays)


def record(out, rank, name):
    with open(os.path.join(out, f"rank{rank}_{name}.json"), encoding="utf-8") as file:
        return json.load(file)


def max_difference(weights, model):
    ours = case.weights(model)
    assert sorted(ours) == sorted(weights)
    return max(float(np.abs(ours[name] - weights[name]).max()) for name in ours)


@pytest.mark.parametrize("loss", ["ce", "bce"])
def test_two_ranks_reach_the_weights_of_one_rank_with_the_whole_batch(two_ranks, float64_case, tmp_path, loss):
    model, result = case.run(loss, epochs=3, out_dir=str(tmp_path / "one"))
    assert max_difference(load(two_ranks, 0, f"train_{loss}"), model) < TOLERANCE
    untrained = case.new_model()
    assert max_difference(load(two_ranks, 0, f"train_{loss}"), untrained) > 1e-2  # training did move them
    history = record(two_ranks, 0, f"train_{loss}")["history"]
    for ours, theirs in zip(result.history, history, strict=True):
        assert abs(ours["train_loss"] - theirs["train_loss"]) < TOLERANCE  # the loss of the whole batch
        assert ours["valid_NDCG@5"] == pytest.approx(theirs["valid_NDCG@5"], abs=TOLERANCE)


@pytest.mark.parametrize("loss", ["ce", "bce"])
def test_replicas_stay_identical_and_only_rank_0_writes(two_ranks, loss):
    rank0, rank1 = load(two_ranks, 0, f"train_{loss}"), load(two_ranks, 1, f"train_{loss}")
    for name in rank0:
        np.testing.assert_array_equal(rank0[name], rank1[name])
    with open(os.path.join(two_ranks, f"run_{loss}", "metrics.jsonl"), encoding="utf-8") as file:
        assert len(file.read().splitlines()) == 3  # one line per epoch: rank 1 appended nothing


def test_checkpoints_resume_across_rank_counts(two_ranks, float64_case, tmp_path):
    straight, _ = case.run("ce", epochs=4, out_dir=str(tmp_path / "straight"))
    two_then_one = os.path.join(two_ranks, "from_two_ranks")  # 2 epochs on 2 ranks, the rest here
    shutil.copytree(two_then_one, tmp_path / "two_then_one")
    resumed, result = case.run("ce", epochs=4, out_dir=str(tmp_path / "two_then_one"), resume=True)
    assert [record["epoch"] for record in result.history] == [1, 2, 3, 4]
    assert max_difference(case.weights(straight), resumed) < TOLERANCE
    one_then_two = load(two_ranks, 0, "resumed")  # 2 epochs on 1 rank, the rest on 2
    assert max_difference(one_then_two, straight) < TOLERANCE


def test_sharded_evaluation_equals_single_process_evaluation_exactly(two_ranks, float64_case):
    model = case.new_model()
    for name, parameter in model.named_parameters():
        parameter.data = minishop.backend.asarray(load(two_ranks, 0, "evaluate")[name])
    here = evaluate_all(model, case.SPLIT, stage="test", ks=(1, 5, 10), batch_size=5, progress=False)
    there = record(two_ranks, 0, "evaluate")
    assert here == there
    assert record(two_ranks, 1, "evaluate") == there
    assert here["full"]["n_users"] == len(case.SPLIT.test) and here["full"]["HR@10"] > 0


def test_collectives_move_the_right_numbers(two_ranks):
    for rank in (0, 1):
        moved = load(two_ranks, rank, "collectives")
        np.testing.assert_array_equal(moved["gathered"], [0, 1, 10, 11, 12])  # rank order, unequal parts
        np.testing.assert_array_equal(moved["broadcast"], [101.0] * 3)  # rank 1's array everywhere
        np.testing.assert_array_equal(moved["summed"], [2.0, 1.0])


def launch_environment():
    environment = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
                       MINISHOP_BACKEND=os.environ.get("MINISHOP_BACKEND", "numpy"))  # cupy: bench/gpu_check.sh
    for name in ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK"):  # not nested in a launch
        environment.pop(name, None)
    return environment


def test_minishop_train_procs_2_trains_once_and_reports_once(tmp_path):
    out = tmp_path / "run"
    command = [sys.executable, "-m", "minishop.cli", "train", "--procs", "2", "--epochs", "2", "--d-model", "8",
               "--n-blocks", "1", "--max-len", "8", "--quiet", "--out", str(out)]
    done = subprocess.run(command, env=launch_environment(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("data: bundled shop") == 1  # rank 1 prints nothing
    assert "trained 2 epochs" in done.stdout and "itemknn" in done.stdout
    assert len((out / "metrics.jsonl").read_text().splitlines()) == 2
    assert json.loads((out / "results.json").read_text())["model"]["full"]["n_users"] > 0


def test_an_error_on_the_ranks_stops_the_run_with_the_message(tmp_path):
    command = [sys.executable, "-m", "minishop.cli", "train", "--procs", "2", "--data", str(tmp_path / "missing.txt"),
               "--format", "sasrec", "--quiet"]
    done = subprocess.run(command, env=launch_environment(), capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "missing.txt" in done.stderr and "Traceback" not in done.stderr


def test_the_single_process_world_is_the_default():
    assert distributed.world().world_size == 1 and distributed.world().rank == 0
