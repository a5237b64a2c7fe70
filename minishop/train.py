"""One training loop for every minishop model: the recommender, the text language model, the classifier.

The task supplies the data and the loss; this file supplies everything around them:

    from minishop.train import TrainConfig, train

    def batches(rng):                  # one epoch of batches, shuffled with the host NumPy Generator rng
        order = rng.permutation(len(examples))
        for start in range(0, len(order), 32):
            yield examples[order[start:start + 32]]

    def loss_fn(model, batch):         # a scalar Tensor; the loop calls backward() on it
        return F.cross_entropy(model(batch.inputs), batch.targets)

    def evaluate(model):               # optional: {metric name: float} on held-out data
        return {"NDCG@10": ...}

    result = train(model, batches, loss_fn, TrainConfig(epochs=10, monitor="NDCG@10"),
                   evaluate=evaluate, out_dir="runs/demo")

Each epoch: shuffled batches -> loss -> backward -> gradient clipping -> Adam/AdamW step with a warm-up
schedule; every `eval_every` epochs, `evaluate(model)` and early stopping on `config.monitor`.
With `average_from=S`, from epoch S on the loop also keeps the running mean of the end-of-epoch weights
(stochastic weight averaging, minishop.optim.averaging), and it is that mean which is validated, saved as
best.ckpt and handed back; training itself goes on from the raw weights.
With an out_dir it keeps:

    out_dir/best.ckpt      the weights with the best monitored metric so far
    out_dir/last.ckpt      the newest epoch: weights, optimizer, and the training state (epoch, RNG states,
                           history), so train(..., resume=True) continues EXACTLY as if never interrupted
    out_dir/average.ckpt   with average_from: the running mean of the weights (for an exact resume)
    out_dir/metrics.jsonl  one JSON object per epoch (train loss, learning rate, speed, validation metrics),
                           easy to plot: pandas.read_json("metrics.jsonl", lines=True)

A loss that becomes NaN or infinite stops training with TrainingDiverged; last.ckpt then still holds the
last good epoch.

Started on several processes (mpiexec, minishop.distributed), the same call trains data-parallel: every
rank builds the same global batches, computes the gradient of its share of each, and the shares are combined
into the whole batch's gradient before clipping and the step; rank 0 alone writes the run folder and shows
progress. The batch size is the global one, so 1 and N ranks take the same steps.
"""

import json
import math
import os
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field, replace

from tqdm.auto import tqdm

from minishop import backend, distributed
from minishop.checkpoint import load_checkpoint, save_checkpoint
from minishop.optim import Adam, AdamW, WeightAverage, clip_grad_norm, warmup_cosine

BEST, LAST, AVERAGE, LOG = "best.ckpt", "last.ckpt", "average.ckpt", "metrics.jsonl"


@dataclass
class TrainConfig:
    """Everything the loop needs besides the model, the data and the loss."""

    epochs: int = 20
    lr: float = 1e-3
    optimizer: str = "adam"  # "adam" or "adamw"
    betas: tuple = (0.9, 0.98)
    weight_decay: float = 0.0
    warmup_steps: int = 0  # linear warm-up from lr/warmup_steps to lr
    schedule: str = "constant"  # after warm-up: "constant", or "cosine" down to 0 at the last step
    clip_grad_norm: float = 1.0  # 0 or None: no clipping
    eval_every: int = 1  # validate every N epochs (and after the last one)
    monitor: str = "NDCG@10"  # the metric from evaluate() that early stopping and best.ckpt follow
    mode: str = "max"  # "max" if higher is better, "min" if lower is better
    patience: int = 0  # stop after this many evaluations without improvement; 0 = never stop early
    average_from: int = 0  # from this epoch on, validate/save/return the mean of the end-of-epoch weights; 0 = off
    seed: int = 0  # seeds parameter-free randomness: shuffling (host rng) and dropout (backend rng)
    progress: bool = True  # show a tqdm bar


@dataclass
class TrainResult:
    """What train() returns: the per-epoch history and where the best model is."""

    history: list  # the records written to metrics.jsonl
    best_metric: float  # best value of config.monitor (nan if evaluate was never called)
    best_epoch: int  # epoch of best_metric (0 if none)
    epochs_run: int  # epochs completed, counting those before a resume
    stopped_early: bool
    seconds: float  # training wall time of this call (evaluation included)
    out_dir: str = None
    extra: dict = field(default_factory=dict)


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; training stopped."""


def make_optimizer(model, config):
    """Adam or AdamW over all of the model's parameters, as the config says."""
    kinds = {"adam": Adam, "adamw": AdamW}
    if config.optimizer not in kinds:
        raise ValueError(f"TrainConfig.optimizer={config.optimizer!r}: expected one of {sorted(kinds)}")
    return kinds[config.optimizer](model.parameters(), lr=config.lr, betas=tuple(config.betas),
                                   weight_decay=config.weight_decay)


def learning_rate(config, step, total_steps):
    """The learning rate of optimizer step `step` (counted from 0): warm-up, then constant or cosine."""
    if config.schedule == "cosine":
        return warmup_cosine(step, config.lr, min(config.warmup_steps, total_steps), max(total_steps, 1))
    if config.schedule != "constant":
        raise ValueError(f"TrainConfig.schedule={config.schedule!r}: expected 'constant' or 'cosine'")
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    return config.lr


def _improved(value, best, mode):
    if math.isnan(best):
        return not math.isnan(value)
    return value > best if mode == "max" else value < best


# ---- random state: saved with every checkpoint so a resumed run draws the same numbers ---------------

def _rng_state(host_rng):
    """JSON-friendly states of the host Generator (shuffling, sampling) and the backend's (dropout)."""
    state = {"host": host_rng.bit_generator.state}
    device_rng = backend.rng()
    if backend.backend_name() == "numpy":
        state["backend"] = device_rng.bit_generator.state
    return state


def _set_rng_state(host_rng, state):
    host_rng.bit_generator.state = state["host"]
    if "backend" in state and backend.backend_name() == "numpy":
        backend.rng().bit_generator.state = state["backend"]


# ---- the loop ------------------------------------------------------------------------------------

def train(model, batches, loss_fn, config=None, evaluate=None, out_dir=None, resume=False, run_config=None):
    """Train `model` and return a TrainResult (see the module docstring for the roles of the arguments).

    batches(rng) -> iterable of batches for one epoch (rng: a seeded NumPy Generator on the host).
    loss_fn(model, batch) -> scalar Tensor. evaluate(model) -> dict of floats, or None.
    out_dir: folder for best.ckpt, last.ckpt and metrics.jsonl (nothing is written when None).
    resume: continue from out_dir/last.ckpt if it exists. run_config: a JSON dict stored in every
    checkpoint under "run" (what is needed to rebuild the model and find its data). The model ends in eval
    mode with the BEST weights when evaluate is given (else the last ones, or with average_from their mean).
    """
    config = config or TrainConfig()
    backend.tune_malloc()  # keep freed arrays for reuse between steps (opt-in: see backend.tune_malloc)
    _check(config)
    comm = distributed.world()  # one process, or one rank of several (minishop.distributed): rank 0 alone writes
    config = config if comm.rank == 0 else replace(config, progress=False)
    backend.manual_seed(config.seed)
    host_rng = backend.np.random.default_rng(config.seed)  # the same on every rank: all agree on every batch
    distributed.broadcast_parameters(model.parameters(), comm)  # every replica starts from rank 0's weights
    optimizer = make_optimizer(model, config)
    average = WeightAverage(model.parameters()) if config.average_from else None
    state = _start(out_dir, resume, model, optimizer, average, host_rng)
    saved = {"run": run_config or {}, "train": asdict(config)}  # stored in every checkpoint
    started, steps_per_epoch, stopped_early = time.perf_counter(), None, False

    while state["epoch"] < config.epochs and not stopped_early:
        epoch = state["epoch"] + 1
        model.train()
        if comm.world_size > 1:  # dropout masks: different on each rank, reproducible for a given rank count
            backend.manual_seed(distributed.rank_seed(config.seed, comm.rank, epoch))
        epoch_batches = batches(host_rng)
        steps_per_epoch = steps_per_epoch or _steps_in(epoch_batches, config)
        total_steps = config.epochs * (steps_per_epoch or 1)
        record = _run_epoch(model, epoch_batches, loss_fn, optimizer, config, epoch, total_steps, out_dir)
        if average is not None and epoch >= config.average_from:
            average.update()  # θ̄ <- θ̄ + (θ - θ̄) / n with this epoch's weights
            state["averaged"] = record["averaged_epochs"] = average.count
        if evaluate is not None and (epoch % config.eval_every == 0 or epoch == config.epochs):
            stopped_early = _validate(model, evaluate, average, state, record, epoch, config, out_dir, saved)
        state["epoch"] = epoch
        state["history"].append(record)
        _save_epoch(out_dir, model, optimizer, average, state, host_rng, record, saved)
        _report(config, record, state, stopped_early)

    comm.barrier()  # rank 0 has written best.ckpt before any rank reads it
    _hand_back(model, evaluate, average, state, out_dir)
    return TrainResult(history=state["history"], best_metric=state["best_metric"], best_epoch=state["best_epoch"],
                       epochs_run=state["epoch"], stopped_early=stopped_early,
                       seconds=time.perf_counter() - started, out_dir=out_dir)


def _check(config):
    if config.mode not in ("max", "min"):
        raise ValueError(f"TrainConfig.mode={config.mode!r}: expected 'max' or 'min'")


def _start(out_dir, resume, model, optimizer, average, host_rng):
    """The training state of a fresh run, or of out_dir/last.ckpt when resuming; rewrites the log to match."""
    state = {"epoch": 0, "best_metric": float("nan"), "best_epoch": 0, "bad_evals": 0, "averaged": 0,
             "history": []}
    if out_dir is not None:
        os.makedirs(out_dir, exist_ok=True)
        if resume and os.path.exists(os.path.join(out_dir, LAST)):
            state = _resume(out_dir, model, optimizer, average, host_rng)
        if _writes(out_dir):
            _write_log(out_dir, state["history"])  # the log matches the restored history exactly
    return state


def _writes(out_dir):
    """Whether this process writes the run folder: it has one, and it is the only or the first rank."""
    return out_dir is not None and distributed.world().rank == 0


def _steps_in(epoch_batches, config):
    """Optimizer steps per epoch (the cosine schedule needs them), or None for a generator of batches."""
    if hasattr(epoch_batches, "__len__"):
        return len(epoch_batches)
    if config.schedule == "cosine":
        raise ValueError("TrainConfig.schedule='cosine' needs the number of steps: make batches(rng) return "
                         "a list (or anything with len()), not a generator")
    return None


# ---- validation and early stopping, checkpoints, the handed-back weights ---------------------------

def _validate(model, evaluate, average, state, record, epoch, config, out_dir, saved):
    """Validate, keep best.ckpt and count evaluations without improvement; returns True to stop early.

    What is validated and saved as best: the averaged weights once there are any, else the raw ones.
    """
    with average.applied() if average is not None else nullcontext():
        metrics = evaluate(model)
        record.update({f"valid_{name}": value for name, value in metrics.items()})
        value = float(metrics[config.monitor]) if config.monitor in metrics else _missing(config, metrics)
        if not _improved(value, state["best_metric"], config.mode):
            state["bad_evals"] += 1
            return 0 < config.patience <= state["bad_evals"]
        state.update(best_metric=value, best_epoch=epoch, bad_evals=0)
        if _writes(out_dir):
            save_checkpoint(os.path.join(out_dir, BEST), model, None, dict(saved, epoch=epoch, metrics=metrics))
    return False


def _save_epoch(out_dir, model, optimizer, average, state, host_rng, record, saved):
    """Write the running mean, last.ckpt (weights, optimizer, state, RNGs) and the epoch's log line."""
    if not _writes(out_dir):
        return
    if state["averaged"]:
        with average.applied():  # written before last.ckpt, whose train_state counts it
            save_checkpoint(os.path.join(out_dir, AVERAGE), model, None, {"averaged": average.count})
    saved_state = dict(state, rng=_rng_state(host_rng))
    save_checkpoint(os.path.join(out_dir, LAST), model, optimizer, dict(saved, train_state=saved_state))
    _append_log(out_dir, record)


def _report(config, record, state, stopped_early):
    """One line per epoch (and one for an early stop) above the progress bar."""
    if not config.progress:
        return
    tqdm.write(_summary(record))
    if stopped_early:
        tqdm.write(f"early stop: no {config.monitor} improvement in {config.patience} evaluations; "
                   f"best {state['best_metric']:.4f} at epoch {state['best_epoch']}")


def _hand_back(model, evaluate, average, state, out_dir):
    """Leave the model in eval mode with the best weights (or, with no validation, the averaged ones)."""
    if evaluate is not None and out_dir is not None and state["best_epoch"] > 0:
        load_checkpoint(os.path.join(out_dir, BEST), model)
    elif average is not None:
        average.assign()
    model.eval()


def _resume(out_dir, model, optimizer, average, host_rng):
    """Restore model, optimizer, RNGs and (with weight averaging) the running mean; returns the train state."""
    saved = load_checkpoint(os.path.join(out_dir, LAST), model, optimizer)
    state = saved["train_state"]
    state.setdefault("averaged", 0)  # checkpoints written before weight averaging existed
    _set_rng_state(host_rng, state.pop("rng"))
    if average is not None and state["averaged"]:
        raw = [parameter.data for parameter in average.parameters]
        counted = load_checkpoint(os.path.join(out_dir, AVERAGE), model)["averaged"]
        if counted != state["averaged"]:
            raise ValueError(f"{os.path.join(out_dir, AVERAGE)} averages {counted} epochs but "
                             f"{os.path.join(out_dir, LAST)} expects {state['averaged']}; cannot resume exactly")
        average.load(counted)
        for parameter, array in zip(average.parameters, raw):
            parameter.data = array  # back to the raw weights that training continues from
    return state


# ---- one epoch, one step -------------------------------------------------------------------------

def _run_epoch(model, epoch_batches, loss_fn, optimizer, config, epoch, total_steps, out_dir):
    """One pass over the batches; returns the epoch's record (mean loss, lr, speed)."""
    total_loss, n_steps, n_examples = 0.0, 0, 0
    started = time.perf_counter()
    bar = tqdm(epoch_batches, desc=f"epoch {epoch}/{config.epochs}", disable=not config.progress,
               leave=False, unit="step")
    for batch in bar:
        optimizer.lr = learning_rate(config, optimizer.step_count, total_steps)
        value = _step(model, batch, loss_fn, optimizer, config)
        if not math.isfinite(value):
            bar.close()
            raise _diverged(value, epoch, n_steps + 1, optimizer.lr, out_dir)
        total_loss += value
        n_steps += 1
        n_examples += len(batch) if hasattr(batch, "__len__") else 1
        if n_steps % 10 == 0 or n_steps == 1:
            elapsed = max(time.perf_counter() - started, 1e-9)
            bar.set_postfix(loss=f"{total_loss / n_steps:.4f}", ex_per_s=f"{n_examples / elapsed:.0f}")
    seconds = time.perf_counter() - started
    return {"epoch": epoch, "step": optimizer.step_count, "train_loss": total_loss / max(n_steps, 1),
            "lr": optimizer.lr, "seconds": seconds, "steps_per_s": n_steps / max(seconds, 1e-9),
            "examples_per_s": n_examples / max(seconds, 1e-9)}


def _step(model, batch, loss_fn, optimizer, config):
    """One optimizer step: loss, backward, clip, update. Returns the loss (a non-finite one skips the update).

    With several ranks (data parallelism), the ranks' gradients are combined after backward and before
    clipping, so that every rank clips and steps with the same gradient, that of the whole batch.
    """
    value = _gradients(model, batch, loss_fn, optimizer)
    if not math.isfinite(value):
        return value
    if config.clip_grad_norm:
        clip_grad_norm(model.parameters(), config.clip_grad_norm)
    optimizer.step()
    return value


def _gradients(model, batch, loss_fn, optimizer):
    """Zero the gradients, then leave in them the gradient of the whole batch's loss; returns that loss.

    With several ranks, this rank computes its part of the batch, and allreduce_gradients combines the
    parts (minishop.distributed explains why the result is the whole batch's gradient). A non-finite loss
    skips backward; it makes the combined loss non-finite too, so every rank stops at the same step.
    """
    comm = distributed.world()
    optimizer.zero_grad()
    part, weight = (batch, 1) if comm.world_size == 1 else distributed.shard_batch(batch, comm.rank, comm.world_size)
    value = 0.0
    if weight:  # a rank whose part is empty (a short last batch) adds zeros
        loss = loss_fn(model, part)
        value = float(loss.item())
        if math.isfinite(value):
            loss.backward()
    return distributed.allreduce_gradients(model.parameters(), weight, value, comm)


def _diverged(value, epoch, step, lr, out_dir):
    """The TrainingDiverged error for a non-finite loss, saying what is still on disk."""
    where = (f"{os.path.join(out_dir, LAST)} still holds the last good epoch ({epoch - 1})"
             if out_dir is not None and epoch > 1 else "no checkpoint was written")
    return TrainingDiverged(f"training loss became {value} at epoch {epoch}, step {step} (lr {lr:.3g}); stopped. "
                            f"{where}. Try a lower learning rate, more warm-up, or gradient clipping.")


def _summary(record):
    """One line per epoch: 'epoch 3  loss 5.1234  lr 0.001  12.3 steps/s  valid_NDCG@10 0.0712'."""
    parts = [f"epoch {record['epoch']}", f"loss {record['train_loss']:.4f}", f"lr {record['lr']:.3g}",
             f"{record['steps_per_s']:.2f} steps/s", f"{record['seconds']:.1f} s"]
    parts += [f"{name} {value:.4f}" for name, value in record.items()
              if name.startswith("valid_") and isinstance(value, float)]
    return "  ".join(parts)


def _missing(config, metrics):
    raise KeyError(f"TrainConfig.monitor={config.monitor!r} is not among the evaluate() metrics {sorted(metrics)}")


def _write_log(out_dir, history):
    with open(os.path.join(out_dir, LOG), "w", encoding="utf-8") as file:
        for record in history:
            file.write(json.dumps(record) + "\n")


def _append_log(out_dir, record):
    with open(os.path.join(out_dir, LOG), "a", encoding="utf-8") as file:
        file.write(json.dumps(record) + "\n")
