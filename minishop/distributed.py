"""Data-parallel training: several processes, one model, one optimizer step at a time.

Past one process, minishop uses an existing distributed engine instead of a home-made one: MPI (mpi4py over
MPICH) between CPU processes, NCCL (cupy.cuda.nccl, the library under PyTorch DDP and Horovod) between GPUs.

    pip install -e ".[dist]"                     # mpi4py + mpich
    mpiexec -n 2 minishop train --out runs/shop  # or: minishop train --procs 2 --out runs/shop

How data parallelism works. Each of the W processes ("ranks") holds a full copy of the model and of the
optimizer. Every rank builds the same global batch (the host random generator that shuffles and samples
is seeded alike everywhere), keeps its own slice of the rows, and runs forward and backward on that slice
alone. Then one collective operation, the allreduce, sums the ranks' gradients so that every rank holds
the gradient of the WHOLE batch, and every rank takes the same optimizer step. Same weights, same gradient,
same step: the copies never drift apart, and nothing but gradients crosses the network.

Why the combined gradient IS the big-batch gradient. The loss of a batch is a mean over its N terms
(positions, tokens or rows), L = (1/N) Σ_i ℓ_i. Give rank r n_r of them; it computes L_r = (1/n_r) Σ_{i∈r} ℓ_i.
Differentiation is linear, so

    ∇L = (1/N) Σ_r Σ_{i∈r} ∇ℓ_i = Σ_r (n_r / N) ∇L_r.

Each rank scales its gradient by n_r / N (one small allreduce first tells everyone N = Σ_r n_r), and the
big allreduce sums the scaled gradients: the result is ∇L, up to the order of floating-point additions.
When every rank holds the same number of terms, n_r / N = 1 / W and this is the plain average of DDP.
tests/test_distributed_mpi.py checks it: 2 ranks and 1 rank give the same weights to 1e-10 in float64.

Gradients travel in a few large flat buffers ("buckets", BUCKET_BYTES each at most), not one message per
tensor: each message pays a fixed latency, so fewer, larger messages use the network better.

Seeds, so that a run is reproducible for a given number of ranks: the host generator (shuffling, negative
sampling) starts from `seed` on every rank, so all ranks agree on every global batch. Dropout draws from
the backend generator, which must differ between ranks or all replicas would drop the same units: with
W > 1 ranks, rank r reseeds it at the start of epoch e from rank_seed(seed, r, e). A run with one process
keeps the single-process stream untouched.

The communicator is the small interface below (rank, world_size, allreduce, broadcast, gather, barrier),
with three implementations: SingleProcess (everything is a no-op), MPICommunicator (NumPy buffers) and
NCCLCommunicator (CuPy arrays on GPUs; MPI only starts it and carries host arrays). world() returns this
process's communicator; a process started by mpiexec calls init() first (the `minishop` command calls
init_from_launcher(), which picks MPI or NCCL from --device).
"""

import os
import shutil
import subprocess
import sys

from minishop import backend
from minishop.row_gradient import RowGradient

BUCKET_BYTES = 16 * 2**20  # gradients travel in flat buffers of at most 16 MiB (a Games model: one buffer)
INSTALL_HINT = "pip install 'minishop[dist]' (mpi4py and an MPI library, mpich)"

# environment variables by which MPI launchers tell a process its place (MPICH/Hydra, Open MPI, Slurm/PMI2)
_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE")
_RANK_VARIABLES = ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK")


# ---- the three communicators ---------------------------------------------------------------------------

class SingleProcess:
    """The communicator of a process that trains alone: world size 1, every operation leaves data as it is."""

    rank, world_size, kind = 0, 1, "single"

    def allreduce(self, array):
        """Sum `array` over all ranks, in place (one rank: nothing to add). Returns the array."""
        return array

    def broadcast(self, array, root=0):
        """Copy root's `array` into every rank's `array`, in place. Returns the array."""
        return array

    def gather(self, array):
        """Every rank's host array, concatenated along axis 0 in rank order, on every rank."""
        return array

    def barrier(self):
        """Wait until every rank has arrived here."""

    def abort(self, code):
        """Stop every rank (after an error on this one, the others would wait for it forever)."""


class MPICommunicator(SingleProcess):
    """Collectives between CPU processes over MPI (mpi4py), on contiguous NumPy arrays.

    mpi4py's capitalised methods (Allreduce, Bcast, Allgatherv) send the arrays' raw memory: no pickling.
    """

    kind = "mpi"

    def __init__(self):
        self.mpi = _import_mpi()
        self.comm = self.mpi.COMM_WORLD
        self.rank, self.world_size = self.comm.Get_rank(), self.comm.Get_size()

    def allreduce(self, array):
        _check_host_array(array, "allreduce")
        self.comm.Allreduce(self.mpi.IN_PLACE, array, op=self.mpi.SUM)
        return array

    def broadcast(self, array, root=0):
        _check_host_array(array, "broadcast")
        self.comm.Bcast(array, root=root)
        return array

    def gather(self, array):
        np = backend.np
        array = np.ascontiguousarray(array)
        counts = np.zeros(self.world_size, dtype=np.int64)
        self.comm.Allgather(np.asarray([array.size], dtype=np.int64), counts)  # how much each rank sends
        gathered = np.empty(int(counts.sum()), dtype=array.dtype)
        self.comm.Allgatherv(array.reshape(-1), [gathered, counts.tolist()])
        return gathered.reshape((-1,) + array.shape[1:])

    def barrier(self):
        self.comm.Barrier()

    def abort(self, code):
        self.comm.Abort(code)


class NCCLCommunicator(MPICommunicator):
    """Collectives between GPUs with NCCL, on CuPy arrays; one GPU per rank.

    MPI starts it: rank 0 asks NCCL for a unique id and broadcasts its 128 bytes; every rank then joins the
    NCCL communicator under that id. Each rank uses GPU (local rank mod GPU count), chosen here, before
    anything is allocated, which is why init("nccl") must come first. Host arrays (gather) still go over MPI.
    """

    kind = "nccl"

    def __init__(self):
        cupy, nccl = _import_nccl()  # before MPI starts: a missing library fails at once, with its hint
        super().__init__()
        self.cupy, self.nccl = cupy, nccl
        local_rank = self.comm.Split_type(self.mpi.COMM_TYPE_SHARED).Get_rank()  # rank within this machine
        self.device = local_rank % cupy.cuda.runtime.getDeviceCount()
        cupy.cuda.Device(self.device).use()
        np = backend.np
        unique_id = np.asarray(nccl.get_unique_id() if self.rank == 0 else [0] * 128, dtype=np.int16)
        self.comm.Bcast(unique_id, root=0)  # the 128 bytes (as int16) naming the NCCL communicator
        self.nccl_comm = nccl.NcclCommunicator(self.world_size, tuple(int(b) for b in unique_id), self.rank)
        self.types = {np.dtype(np.float32): nccl.NCCL_FLOAT32, np.dtype(np.float64): nccl.NCCL_FLOAT64,
                      np.dtype(np.int64): nccl.NCCL_INT64, np.dtype(np.int32): nccl.NCCL_INT32}

    def _pointer_count_type(self, array, operation):
        if not isinstance(array, self.cupy.ndarray) or not array.flags.c_contiguous:
            raise TypeError(f"NCCLCommunicator.{operation}: expected a contiguous CuPy array, got "
                            f"{type(array).__name__}")
        if array.dtype not in self.types:
            raise TypeError(f"NCCLCommunicator.{operation}: dtype {array.dtype} is not one of "
                            f"{sorted(str(t) for t in self.types)}")
        return array.data.ptr, array.size, self.types[array.dtype]

    def allreduce(self, array):
        pointer, count, dtype = self._pointer_count_type(array, "allreduce")
        stream = self.cupy.cuda.get_current_stream()
        self.nccl_comm.allReduce(pointer, pointer, count, dtype, self.nccl.NCCL_SUM, stream.ptr)
        return array  # later work on this stream waits for the sum; reading it on the host waits too

    def broadcast(self, array, root=0):
        pointer, count, dtype = self._pointer_count_type(array, "broadcast")
        stream = self.cupy.cuda.get_current_stream()
        self.nccl_comm.bcast(pointer, count, dtype, root, stream.ptr)
        return array

    def gather(self, array):
        return super().gather(backend.to_numpy(array))


def _import_mpi():
    try:
        from mpi4py import MPI
    except ImportError as error:
        raise RuntimeError(f"training on several processes needs MPI ({error}); install it with: "
                           f"{INSTALL_HINT}") from None
    return MPI


def _import_nccl():
    try:
        import cupy
        from cupy.cuda import nccl
    except ImportError as error:
        raise RuntimeError(f"training on several GPUs needs CuPy with NCCL ({error}); install CuPy with: "
                           "pip install 'minishop[gpu]'") from None
    if not getattr(nccl, "available", True):
        raise RuntimeError("CuPy found no NCCL library; install it, e.g. pip install nvidia-nccl-cu12, or "
                           "python -m cupyx.tools.install_library --library nccl --cuda 12.x")
    return cupy, nccl


def _check_host_array(array, operation):
    if type(array).__module__.split(".")[0] != "numpy" or not array.flags.c_contiguous:
        raise TypeError(f"MPICommunicator.{operation}: expected a contiguous NumPy array, got "
                        f"{type(array).__name__}; GPU arrays travel with the NCCL communicator "
                        "(minishop.distributed.init('nccl'), or --device cupy on the command line)")


# ---- this process's communicator -------------------------------------------------------------------

_world = {"communicator": SingleProcess()}


def launched_world_size():
    """How many processes the MPI launcher started (1 when this process was not started by mpiexec)."""
    for name in _SIZE_VARIABLES:
        if os.environ.get(name, "").isdigit():
            return int(os.environ[name])
    return 1


def launched_rank():
    """This process's rank as the MPI launcher announced it (0 outside mpiexec); readable before init()."""
    for name in _RANK_VARIABLES:
        if os.environ.get(name, "").isdigit():
            return int(os.environ[name])
    return 0


def init(kind="mpi"):
    """Create this process's communicator: "mpi" (CPU), "nccl" (GPU) or "single"; returns it.

    Call it first thing in a process started by mpiexec: "nccl" picks the rank's GPU before any array exists.
    """
    kinds = {"single": SingleProcess, "mpi": MPICommunicator, "nccl": NCCLCommunicator}
    if kind not in kinds:
        raise ValueError(f"distributed.init(kind={kind!r}): expected one of {sorted(kinds)}")
    _world["communicator"] = kinds[kind]()
    return _world["communicator"]


def world():
    """This process's communicator (SingleProcess unless init() created another)."""
    return _world["communicator"]


def init_from_launcher(device=None):
    """In a process started by mpiexec, join the other ranks: NCCL for device "cupy", else MPI.

    device: what the command trains on (the `minishop` command passes its --device; None means "numpy",
    as in the training configs). Ranks other than 0 also stop printing (stdout goes nowhere), so a run
    prints its report once; errors, on stderr, still show from every rank. Outside mpiexec this does
    nothing. Returns the communicator.
    """
    if launched_world_size() > 1 and world().world_size == 1:
        init("nccl" if device == "cupy" else "mpi")
        if world().rank != 0:
            sys.stdout = open(os.devnull, "w", encoding="utf-8")
    return world()


def rank_seed(seed, rank, epoch):
    """The dropout seed of `rank` in `epoch`: a SeedSequence hash of the three, so no two (rank, epoch) share it."""
    return int(backend.np.random.SeedSequence([seed, rank, epoch]).generate_state(1)[0])


# ---- splitting batches ---------------------------------------------------------------------------

def shard_slice(n, rank, world_size):
    """Rank `rank`'s contiguous part of n things: sizes differ by at most one, in rank order, covering all n."""
    return slice(n * rank // world_size, n * (rank + 1) // world_size)


def shard_batch(batch, rank, world_size):
    """This rank's part of a global batch, and its weight n_r: how many terms its loss is a mean over.

    A batch that knows how to split itself has `shard(rank, world_size)` (and `loss_terms`, when its loss is
    a mean over something other than rows, like the recommender's real positions). A plain array is split by
    rows and weighted by rows: exact for a mean over rows, and DDP's usual approximation for a mean over
    tokens (the text LM's padded id arrays) when ranks hold unequal numbers of tokens.
    """
    if hasattr(batch, "shard"):
        part = batch.shard(rank, world_size)
    elif hasattr(batch, "shape"):
        part = batch[shard_slice(batch.shape[0], rank, world_size)]
    else:
        raise TypeError(f"a batch of type {type(batch).__name__} cannot be split across ranks: give it a "
                        "shard(rank, world_size) method, or make batches plain arrays")
    weight = part.loss_terms if hasattr(part, "loss_terms") else len(part)
    return part, int(weight)


# ---- the collective steps of training ------------------------------------------------------------

def broadcast_parameters(parameters, comm=None):
    """Copy rank 0's weights to every rank (once, before training), so all replicas start equal."""
    comm = comm or world()
    for parameter in parameters:
        comm.broadcast(parameter.data, root=0)


def plan_buckets(arrays, bucket_bytes=BUCKET_BYTES):
    """Group array indices into buckets of one dtype and at most bucket_bytes (a bigger array: alone)."""
    buckets, sizes = [], []
    for index, array in enumerate(arrays):
        nbytes = array.size * array.dtype.itemsize
        fits = buckets and arrays[buckets[-1][0]].dtype == array.dtype and sizes[-1] + nbytes <= bucket_bytes
        if fits:
            buckets[-1].append(index)
            sizes[-1] += nbytes
        else:
            buckets.append([index])
            sizes.append(nbytes)
    return buckets


def allreduce_gradients(parameters, weight, loss=0.0, comm=None, bucket_bytes=BUCKET_BYTES):
    """Turn every rank's gradient of its part into the gradient of the global batch; return the global loss.

    weight: n_r, the number of terms this rank's loss averages (0 for an empty part, whose gradients are
    zero). loss: this rank's mean loss. After the call every parameter.grad holds Σ_r (n_r / N) ∇L_r on
    every rank, and the return value is Σ_r (n_r / N) L_r, the loss of the whole batch.
    A RowGradient (sparse_items, minishop/row_gradient.py) is made dense for the all-reduce, then cut back
    to the rows that any rank looked up (a (V,) mask summed over the ranks), so lazy Adam updates the rows one
    process would update. Each rank looked up other rows, and a sum of dense arrays is the simple correct
    way to combine them (gathering every rank's rows would be cheaper for a huge table; not written), so
    data parallelism gains no speed from sparse rows, but trains as one process does.
    """
    comm = comm or world()
    if comm.world_size == 1:
        return loss
    xp = backend.xp()
    totals = comm.allreduce(xp.asarray([float(weight), float(weight) * float(loss)], dtype=xp.float64))
    n_terms, loss_sum = (float(value) for value in backend.to_numpy(totals))  # N and Σ_r n_r L_r
    scale = weight / n_terms  # n_r / N
    gradients, looked_up = [], {}
    for index, parameter in enumerate(parameters):
        if parameter.grad is None:  # not reached by this rank's part (or an empty part)
            parameter.grad = xp.zeros_like(parameter.data)
        if isinstance(parameter.grad, RowGradient):  # ranks looked up different rows: sum them as dense arrays
            looked_up[index] = xp.zeros(parameter.shape[0], dtype=xp.float64)
            looked_up[index][parameter.grad.rows] = 1.0  # (V,) the rows this rank looked up
            parameter.grad = parameter.grad.to_dense()
        gradients.append(parameter.grad)
    for bucket in plan_buckets(gradients, bucket_bytes):
        flat = xp.concatenate([gradients[i].reshape(-1) for i in bucket])  # (Σ sizes,) this rank's ∇L_r
        flat *= scale  # n_r / N ∇L_r
        comm.allreduce(flat)  # now Σ_r: the big-batch gradient
        offset = 0
        for i in bucket:
            size = gradients[i].size
            parameters[i].grad = flat[offset:offset + size].reshape(gradients[i].shape)
            offset += size
    for index, rows in looked_up.items():  # back to the rows any rank looked up, as one process has them
        rows = xp.flatnonzero(comm.allreduce(rows))  # (U,) sorted
        dense = parameters[index].grad
        parameters[index].grad = RowGradient(rows, dense[rows], dense.shape, coalesced=True)
    return loss_sum / n_terms


# ---- starting the processes ----------------------------------------------------------------------

def launch(procs, argv):
    """Run `python -m minishop.cli argv` as `procs` MPI ranks with mpiexec; return its exit code.

    This is what `minishop train --procs N` does: argv is that command line, whose --procs is left out.
    """
    if not isinstance(procs, int) or procs < 1:
        raise ValueError(f"--procs {procs!r}: expected a positive number of processes")
    _import_mpi()  # fail early, with the install hint, where mpi4py is missing
    here = os.path.dirname(sys.executable)
    mpiexec = shutil.which("mpiexec", path=here) or shutil.which("mpiexec")
    if mpiexec is None:
        raise RuntimeError(f"--procs {procs}: no mpiexec found (next to {sys.executable} or on PATH); "
                           f"install one with: {INSTALL_HINT}")
    command = [mpiexec, "-n", str(procs), sys.executable, "-m", "minishop.cli", *_without_procs(argv)]
    return subprocess.call(command)


def _without_procs(argv):
    """argv without its "--procs N" or "--procs=N"."""
    kept, skip = [], False
    for argument in argv:
        if skip:
            skip = False
        elif argument == "--procs":
            skip = True
        elif not argument.startswith("--procs="):
            kept.append(argument)
    return kept
