"""Training the sequential recommender: from a RecommenderConfig to a trained model and its test metrics.

    from minishop.recsys.training import RecommenderConfig, train_recommender

    run = train_recommender(RecommenderConfig(loss="ce", epochs=30), out_dir="runs/shop")
    run.model, run.result.best_metric, run.results["model"]["full"]["NDCG@10"]

train_recommender() reads top to bottom, each step entered once: the data (minishop.data.prepare, split
leave-one-out), the model, the training loop (minishop.train), the test metrics next to three baselines
(minishop.eval), and the run folder (minishop.runs). fit_recommender() is its middle part, for callers
that already hold the data: it gives minishop.train.train() the three things a task supplies: shuffled
padded batches of training histories, the loss (bce, ce or sampled; see objectives.py), and a validation
function (metrics on the validation items; early stopping follows NDCG@10).
"""

import json
import os
from dataclasses import asdict, dataclass, replace

import safetensors

from minishop import backend, runs
from minishop.checkpoint import CheckpointError, load_checkpoint
from minishop.config import ModelConfig, check_ranges, check_settings, setting
from minishop.data import prepare
from minishop.eval import (ItemKNNRecommender, MarkovRecommender, PopularRecommender, evaluate, evaluate_all,
                           format_table)
from minishop.eval.report import verdicts
from minishop.eval.protocols import PROTOCOLS
from minishop.recsys import defaults, runfiles
from minishop.recsys.objectives import LOSSES, make_batch
from minishop.recsys.model import SequentialRecommender
from minishop.train import TrainResult, train


@dataclass
class RecommenderConfig(ModelConfig):
    """Data, model, objective and training settings of one run (saved as config.json in the run folder).

    The widths are ModelConfig's defaults. The settings that default to None (max_len, dropout, batch_size,
    epochs, eval_every, patience) are chosen from the data when the run starts (minishop.recsys.defaults);
    a value given here, in a --config file or on the command line is kept as it is.
    """

    max_len: int = setting(None, "longest history read, in items (default: chosen from the data: nine "
                                 "histories in ten fit)")
    dropout: float = setting(None, "dropout probability (default: chosen from the data: 0.5 for rare items, "
                                   "else 0.2)")
    data: str = setting(None, "interactions file, or a downloaded registry data set's name (minishop download "
                              "NAME; default: the bundled shop)")
    format: str = setting("shop", "data format of --data, as minishop.data.prepare reads it")
    columns: str = setting(None, "csv/tsv/parquet: the file's columns, as user=visitorid,item=itemid,timestamp=ts "
                                 "(default: the usual names are recognised)")
    errors: str = setting(None, "malformed rows: raise = stop naming file, line and column; skip = drop and count "
                                "them (default: skip for the bundled shop, raise otherwise)", choices=("raise", "skip"))
    encoding: str = setting("utf-8", "text encoding of --data (utf-8, latin-1, cp1252, ...)")
    min_user_count: int = setting(None, "k-core: keep users (and items) with at least this many interactions "
                                        "(default: 3 for the shop, 0 for sasrec, otherwise chosen from the data: "
                                        "the largest of 5, 3, 2 that keeps half of the rows)")
    loss: str = setting("ce", "bce = SASRec's one-negative BCE, ce = full softmax, sampled = sampled softmax",
                        choices=tuple(sorted(LOSSES)))
    n_negatives: int = setting(100, "negatives per batch of the sampled softmax")
    sparse_items: bool = setting(False, "sampled and bce losses: keep the item table's gradient as the rows looked "
                                        "up and let Adam update only those (lazy Adam: a step's cost stays flat "
                                        "as the catalogue grows, but the updates differ from dense Adam's)")
    batch_size: int = setting(None, "histories per optimizer step (default: chosen from the data: 128, fewer "
                                    "for long histories)")
    epochs: int = setting(None, "maximum passes over the training data (default: chosen from the data: about "
                                "4,000 steps; early stopping may end sooner)")
    lr: float = 3e-3
    weight_decay: float = 0.0
    warmup_steps: int = 50
    clip_grad_norm: float = 1.0
    eval_every: int = setting(None, "validate every N epochs (default: chosen from the data: about every "
                                    "120 steps)")
    patience: int = setting(None, "evaluations without improvement before stopping, 0 = never (default: "
                                  "chosen from the data: 3, or 5 with under 5,000 validation users)")
    average_from: int = 0
    valid_users: int = setting(None, "validate on this many random users (default: all)")
    valid_protocol: str = setting("full", "early stopping follows validation NDCG@10 under full ranking or "
                                          "the paper's sampled protocol (100 negatives)", choices=PROTOCOLS)
    seed: int = 0
    device: str = None
    progress: bool = True

    TRAINING = {"optimizer": "adam", "betas": (0.9, 0.98), "monitor": "NDCG@10", "mode": "max"}  # train_config()

    @classmethod
    def from_dict(cls, values, source="config"):
        """Build a config from a dict, naming any unknown key (a typo in a config file fails loudly)."""
        check_settings(values, cls, source)
        return cls(**values)


def prepare_data(config, path=None, data_format=None):
    """minishop.data.prepare with the data settings of `config` (another path and format if given)."""
    options = {"columns": config.columns} if config.columns else {}
    return prepare(path or config.data, format=data_format or config.format, errors=config.errors,
                   encoding=config.encoding, min_user_count=config.min_user_count, **options)


@dataclass
class RecommenderRun:
    """What train_recommender hands back: the data, the trained model, the loop's result, the test metrics."""

    prepared: object  # what minishop.data.prepare returned
    model: SequentialRecommender  # with the best validated weights, in eval mode
    result: TrainResult
    results: dict  # compare_with_baselines: {"model": {"full": .., "sampled": ..}, "popular": .., ...}
    config: RecommenderConfig = None  # the settings the run used, those chosen from the data filled in


def train_recommender(config, out_dir=None, resume=False, overwrite=False, log=print):
    """config -> data -> model -> training loop -> test metrics -> run folder; returns a RecommenderRun.

    With out_dir the run folder gets config.json and the data's id maps and fingerprint first (see
    minishop.recsys.runfiles), best.ckpt, last.ckpt, metrics.jsonl as training goes, and results.json
    last. A folder that is not empty is refused unless overwrite; resume continues the run in out_dir
    from its last.ckpt (the data must be the same). A run that fails before its first epoch leaves no
    files behind. log(text) reports each step, ending with the table of test metrics.
    """
    if resume and out_dir is None:
        raise ValueError("resume needs out_dir (the run folder to continue)")
    _check(config)
    check_ranges(config)
    runs.open_run_folder(out_dir, resume, overwrite)
    with runs.building(out_dir):
        prepared = prepare_data(config)
        log(f"data: {config.data or 'bundled shop'}: {prepared.split.n_users} users, {prepared.split.n_items} items")
        config, chosen = choose_settings(config, prepared)
        if resume:  # the saved config holds the values chosen when the run started; so does data.json
            chosen = runfiles.read_chosen(out_dir)
        elif chosen:
            log(f"chosen from the data: {defaults.describe(chosen)}")
        if out_dir is not None:
            runfiles.write_start(out_dir, asdict(config), prepared, config.data, resume, chosen)
        log(f"model: d_model {config.d_model}, {config.n_blocks} blocks, {config.n_heads} heads, max_len "
            f"{config.max_len}, dropout {config.dropout}; loss {config.loss}; up to {config.epochs} epochs")
        model, result = fit_recommender(prepared, config, out_dir=out_dir, resume=resume)
        log(f"trained {result.epochs_run} epochs in {result.seconds:.0f} s; best validation NDCG@10 "
            f"{result.best_metric:.4f} at epoch {result.best_epoch}" + (" (early stop)" if result.stopped_early else ""))
        results = compare_with_baselines(model, prepared.split, seed=config.seed, progress=config.progress)
        log(format_table(results))
        if out_dir is not None:
            runs.write_run(out_dir, results=dict(results, verdict=verdicts(results), from_data=chosen))
    return RecommenderRun(prepared, model, result, results, config)


def choose_settings(config, prepared):
    """(config with every setting left at None filled from the data, {setting: {value, why}}): the k-core
    prepare chose (kept as min_user_count, so evaluate and recommend prepare the same data), then the
    model and training settings of minishop.recsys.defaults."""
    chosen = {}
    if config.min_user_count is None and prepared.k_core is not None:
        config = replace(config, min_user_count=prepared.k_core)
        why = next(step.chosen["why"] for step in prepared.report.steps if "k" in step.chosen)
        chosen["min_user_count"] = {"value": prepared.k_core, "why": why}
    config, settings = defaults.choose(config, prepared.split)
    return config, dict(chosen, **settings)


def _check(config):
    if config.loss not in LOSSES:
        raise ValueError(f"RecommenderConfig.loss={config.loss!r}: expected one of {sorted(LOSSES)}")
    if config.valid_protocol not in PROTOCOLS:
        raise ValueError(f"RecommenderConfig.valid_protocol={config.valid_protocol!r}: expected 'full' or 'sampled'")


def build_model(config, n_items):
    """A SequentialRecommender with the sizes in `config` (parameters drawn from minishop's seeded rng)."""
    return SequentialRecommender(n_items, d_model=config.d_model, n_blocks=config.n_blocks,
                                 n_heads=config.n_heads, max_len=config.max_len, dropout=config.dropout,
                                 norm_first=config.norm_first, sparse_items=config.sparse_items)


def batch_maker(train_sequences, n_items, config):
    """batches(rng) for minishop.train: all users with >= 2 training items, shuffled, in padded batches."""
    users = sorted(user for user, items in train_sequences.items() if len(items) >= 2)
    if not users:
        raise ValueError("fit_recommender: no user has 2 or more training items; nothing to learn from")

    def batches(rng):
        order = rng.permutation(len(users))
        epoch = []
        for start in range(0, len(order), config.batch_size):
            histories = [train_sequences[users[i]] for i in order[start:start + config.batch_size]]
            epoch.append(make_batch(histories, n_items, config.max_len, config.loss, rng, config.n_negatives))
        return epoch

    return batches


def fit_recommender(prepared, config, out_dir=None, resume=False):
    """Train a SequentialRecommender on prepared.split.train; returns (model with the best weights, TrainResult).

    prepared: what minishop.data.prepare returns. Settings left at None are chosen from prepared.split
    (minishop.recsys.defaults). With out_dir, the loop keeps best.ckpt, last.ckpt and metrics.jsonl there.
    """
    _check(config)
    config, _ = defaults.choose(config, prepared.split)
    if config.device is not None:
        backend.set_backend(config.device)
    split = prepared.split
    backend.manual_seed(config.seed)
    model = build_model(config, split.n_items)

    def validate(model):
        return evaluate(model, split, stage="valid", protocol=config.valid_protocol, ks=(10,),
                        users=config.valid_users, seed=config.seed, progress=False)

    result = train(model, batch_maker(split.train, split.n_items, config), LOSSES[config.loss],
                   config.train_config(), evaluate=validate, out_dir=out_dir, resume=resume,
                   run_config={"recommender": asdict(config), "model": model.config})
    return model, result


def compare_with_baselines(model, split, ks=(5, 10, 20), seed=0, progress=False):
    """Test metrics of the model and the three baselines, both protocols: {"model": {"full":.., "sampled":..}, ...}."""
    recommenders = {
        "model": model,
        "popular": PopularRecommender().fit(split.train, split.n_items),
        "markov": MarkovRecommender().fit(split.train, split.n_items),
        "itemknn": ItemKNNRecommender().fit(split.train, split.n_items),
    }
    ks = tuple(k for k in ks if k <= split.n_items) or (split.n_items,)  # a catalogue smaller than 20 items
    return {name: evaluate_all(recommender, split, stage="test", ks=ks, seed=seed, progress=progress)
            for name, recommender in recommenders.items()}


def load_recommender(path):
    """Rebuild a trained model from a checkpoint (or a run folder holding best.ckpt): (model, RecommenderConfig).

    The model is built on the active backend (minishop.set_backend), whatever device it was trained on.
    """
    if os.path.isdir(path):
        path = os.path.join(path, "best.ckpt")
    if not os.path.exists(path):
        raise FileNotFoundError(f"load_recommender: no checkpoint at {path}")
    run = saved_config(path).get("run", {})
    if "recommender" not in run or "model" not in run:
        raise ValueError(f"load_recommender: {path} is a minishop checkpoint but not of a recommender run")
    config = RecommenderConfig.from_dict(run["recommender"], source=path)
    model = SequentialRecommender(**run["model"])
    load_checkpoint(path, model)
    model.eval()
    return model, config


def saved_config(path):
    """The JSON config stored in a checkpoint's header, read without loading any weights."""
    try:
        with safetensors.safe_open(path, framework="numpy") as file:
            metadata = file.metadata() or {}
        return json.loads(metadata["config"])
    except Exception as error:  # not safetensors, truncated, or no config: say which file and why
        raise CheckpointError(f"{path}: not a readable minishop checkpoint ({type(error).__name__}: {error})") from None
