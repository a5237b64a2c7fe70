"""Training and evaluating the sequential recommender: the recommender's side of minishop.train.

    from minishop.data import prepare
    from minishop.recsys.training import RecommenderConfig, fit_recommender, compare_with_baselines

    prepared = prepare()                                  # the bundled shop, split leave-one-out
    config = RecommenderConfig(loss="ce", epochs=30)
    model, result = fit_recommender(prepared, config, out_dir="runs/shop")
    results = compare_with_baselines(model, prepared.split)   # test metrics, both protocols

fit_recommender() gives minishop.train.train() the three things a task supplies: shuffled padded batches
of training histories, the loss (bce, ce or sampled; see objectives.py), and a validation function
(metrics on the validation items, full ranking by default; early stopping follows NDCG@10).
"""

import json
import os
from dataclasses import asdict, dataclass, fields

import safetensors

from minishop import backend
from minishop.checkpoint import CheckpointError, load_checkpoint
from minishop.eval import ItemKNNRecommender, MarkovRecommender, PopularRecommender, evaluate, evaluate_all
from minishop.eval.protocols import PROTOCOLS
from minishop.recsys.objectives import LOSSES, make_batch
from minishop.recsys.model import SequentialRecommender
from minishop.train import TrainConfig, train


@dataclass
class RecommenderConfig:
    """Data, model, objective and training settings of one run (saved as config.json in the run folder).

    The defaults train a small model on the bundled shop in about a minute on a laptop CPU.
    """

    data: str = None  # path of an interactions file; None = the bundled shop
    format: str = "shop"  # the data format understood by minishop.data.prepare
    d_model: int = 64
    n_blocks: int = 2
    n_heads: int = 2
    max_len: int = 50
    dropout: float = 0.2
    norm_first: bool = True
    loss: str = "ce"  # "bce" (SASRec), "ce" (full softmax) or "sampled" (sampled softmax)
    n_negatives: int = 100  # negatives per batch of the sampled softmax
    batch_size: int = 128
    epochs: int = 20
    lr: float = 3e-3
    weight_decay: float = 0.0
    warmup_steps: int = 50
    clip_grad_norm: float = 1.0
    eval_every: int = 2
    patience: int = 3  # evaluations without NDCG@10 improvement before stopping; 0 = never
    average_from: int = 0  # from this epoch on, validate and keep the mean of the end-of-epoch weights (SWA); 0 = off
    valid_users: int = None  # validate on this many random users (None = all)
    valid_protocol: str = "full"  # early stopping follows NDCG@10 under "full" ranking or the paper's "sampled" one
    seed: int = 0
    device: str = "numpy"  # "numpy" (CPU) or "cupy" (GPU)
    progress: bool = True

    @classmethod
    def from_dict(cls, values, source="config"):
        """Build a config from a dict, naming any unknown key (a typo in a config file fails loudly)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"{source}: unknown setting(s) {unknown}; expected some of {sorted(known)}")
        return cls(**values)

    def train_config(self):
        """The settings minishop.train.train() reads."""
        return TrainConfig(epochs=self.epochs, lr=self.lr, optimizer="adam", betas=(0.9, 0.98),
                           weight_decay=self.weight_decay, warmup_steps=self.warmup_steps,
                           clip_grad_norm=self.clip_grad_norm, eval_every=self.eval_every, monitor="NDCG@10",
                           mode="max", patience=self.patience, average_from=self.average_from, seed=self.seed,
                           progress=self.progress)


def build_model(config, n_items):
    """A SequentialRecommender with the sizes in `config` (parameters drawn from minishop's seeded rng)."""
    return SequentialRecommender(n_items, d_model=config.d_model, n_blocks=config.n_blocks,
                                 n_heads=config.n_heads, max_len=config.max_len, dropout=config.dropout,
                                 norm_first=config.norm_first)


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

    prepared: what minishop.data.prepare returns. With out_dir, the run folder gets best.ckpt, last.ckpt,
    metrics.jsonl and config.json.
    """
    if config.loss not in LOSSES:
        raise ValueError(f"RecommenderConfig.loss={config.loss!r}: expected one of {sorted(LOSSES)}")
    if config.valid_protocol not in PROTOCOLS:
        raise ValueError(f"RecommenderConfig.valid_protocol={config.valid_protocol!r}: expected 'full' or 'sampled'")
    backend.set_backend(config.device)
    split = prepared.split
    backend.manual_seed(config.seed)
    model = build_model(config, split.n_items)
    if out_dir is not None:
        os.makedirs(out_dir, exist_ok=True)
        with open(os.path.join(out_dir, "config.json"), "w", encoding="utf-8") as file:
            json.dump(asdict(config), file, indent=2)

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
